import { createHash } from 'node:crypto';
import { AssistantError, isAssistantError } from '../../errors.ts';
import type { EnvelopeContent, KeyIdentity, KeyStore, PinState } from '../types.ts';
import { parseCertificate } from '../../pki/certificate.ts';
import { publicKeyObject } from '../../pki/public-key.ts';
import { signatureAlgorithmFor, type SignatureAlgorithm } from '../../pki/signature-algorithm.ts';
import { checkModulePath } from '../module-path.ts';
import { deviceRemovedError, envelopeCipherNotOnDevice, mayMeanRemoved, type KeyStoreErrorCode } from '../errors.ts';
import { SKF_ENVELOPE_CIPHERS, type SkfModuleReport } from '../worker/protocol.ts';
import { CONTAINER_TYPE, displayName, ECC_CIPHER_BLOB_HEAD, RSA_PUBLIC_KEY_BLOB_SIZE, SGD_SM3, SGD_SM4_CBC, SkfModule, type DevInfo, type SkfHandle } from './binding.ts';
import { SAR_OK, SAR_PIN_INCORRECT, SAR_PIN_LOCKED, SAR_USER_ALREADY_LOGGED_IN, skfError } from './sar.ts';
import { decryptFailed, digestInfo, digestNameForLength } from '../../pki/rsa-pkcs1.ts';
import { sm2CiphertextToC1C3C2 } from '../../pki/sm2.ts';
import { TAG } from '../../pki/asn1-tags.ts';

/** GM/T 0009 default signer ID: the device hashes Z_A over it, as every verifier does. */
const SM2_USER_ID = Buffer.from('1234567812345678', 'ascii');
const MAX_PIN_BYTES = 64;

/** PIN state from SKF_GetPINInfo's counters. */
export function pinStateFromCounts(maxRetry: number, remainRetry: number): PinState {
  return { retriesLeft: remainRetry, low: remainRetry < maxRetry, finalTry: remainRetry === 1, locked: remainRetry === 0 };
}

/** `<device>/<application>/<container>`, each part URI-encoded: the identity id within one library. */
export function skfIdentityId(device: string, application: string, container: string): string {
  return [device, application, container].map((s) => encodeURIComponent(s)).join('/');
}

function parseIdentityId(id: string): { device: string; application: string; container: string } {
  const parts = id.split('/');
  try {
    if (parts.length === 3 && parts.every((p) => p !== '')) {
      const [device, application, container] = parts.map((p) => decodeURIComponent(p)) as [string, string, string];
      return { device, application, container };
    }
  } catch {}
  throw new AssistantError('IDENTITY_NOT_FOUND', '找不到所选证书，请重新选择', { en: 'identity not found', details: { identityId: id } });
}

/** ECCSIGNATUREBLOB (r[64] || s[64], big-endian, left-padded) → DER SEQUENCE { INTEGER r, INTEGER s }. */
export function eccSignatureBlobToDer(blob: Uint8Array): Uint8Array {
  if (blob.length !== 128) throw new AssistantError('SKF_BAD_SIGNATURE', 'USB Key 返回的签名格式错误', { en: 'malformed ECCSIGNATUREBLOB' });
  const int = (b: Uint8Array): Buffer => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = Buffer.from(b.subarray(i));
    const body = v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v;
    return Buffer.concat([Buffer.from([TAG.integer, body.length]), body]);
  };
  const r = int(blob.subarray(0, 64));
  const s = int(blob.subarray(64, 128));
  if (r.length + s.length > 127) throw new AssistantError('SKF_BAD_SIGNATURE', 'USB Key 返回的签名格式错误', { en: 'signature values too long' });
  return new Uint8Array(Buffer.concat([Buffer.from([TAG.sequence, r.length + s.length]), r, s]));
}

interface CertFacts { algorithm: SignatureAlgorithm | null; ecPoint: Buffer | null; rsaModulus: Buffer | null }
const NO_FACTS: CertFacts = { algorithm: null, ecPoint: null, rsaModulus: null };

/** The key's login algorithm and its EC point or RSA modulus (to match the container's key), from the certificate. */
function certificateFacts(der: Uint8Array): CertFacts {
  try {
    const { publicKey } = parseCertificate(der);
    const ecPoint = publicKey.kind === 'SM2' || publicKey.kind === 'EC' ? Buffer.from(publicKey.keyBytes) : null;
    let rsaModulus: Buffer | null = null;
    if (publicKey.kind === 'RSA') {
      const n = publicKeyObject(publicKey).export({ format: 'jwk' }).n;
      rsaModulus = n ? Buffer.from(n, 'base64url') : null;
    }
    return { algorithm: signatureAlgorithmFor(publicKey), ecPoint, rsaModulus };
  } catch {
    return NO_FACTS;
  }
}

/** Codes after which we ask "is the key still plugged in?" to tell a removed key from a driver fault. */
const MAYBE_REMOVED: ReadonlySet<KeyStoreErrorCode> = new Set<KeyStoreErrorCode>(['DEVICE_REMOVED', 'SKF_HANDLE_INVALID', 'SKF_FAILED', 'SKF_UNKNOWN_ERROR', 'SKF_FILE_ERROR', 'SKF_OBJECT_ERROR']);

function pinLocked(state: PinState): AssistantError {
  return new AssistantError('PIN_LOCKED', 'PIN 码已锁定，请联系发证机构解锁', { en: 'the PIN is locked; ask the CA to unlock it', details: { pin: state } });
}

interface Device { handle: SkfHandle; info: DevInfo; apps: Map<string, SkfHandle> }

/**
 * USB keys through one vendor SKF library (GM/T 0016-2012): devices → applications → containers,
 * each container one signing key with its certificate. Runs inside the key-store worker only:
 * every call is a synchronous native call that a bad driver can hang or crash.
 */
export class SkfKeyStore implements KeyStore {
  readonly kind = 'skf' as const;
  /** SKF_ImportSessionKey + SKF_Decrypt open SM4 content (GM/T 0016 has no AES). */
  readonly envelopeCiphers: readonly string[] = SKF_ENVELOPE_CIPHERS;
  readonly module: SkfModule;
  private readonly devices = new Map<string, Device>();
  closed = false;

  private constructor(module: SkfModule) {
    this.module = module;
  }

  /** Checks the path is admin-controlled (same rules as PKCS#11 drivers) and loads the library. */
  static open(modulePath: string): SkfKeyStore {
    const real = checkModulePath(modulePath);
    return new SkfKeyStore(SkfModule.load(real, modulePath));
  }

  /** A connection per device, kept while the key stays plugged in. */
  private device(name: string): Device {
    const have = this.devices.get(name);
    if (have) return have;
    const handle = this.module.connect(name);
    let info: DevInfo;
    try {
      info = this.module.devInfo(handle);
    } catch (e) {
      this.module.disconnect(handle);
      throw e;
    }
    const d = { handle, info, apps: new Map<string, SkfHandle>() };
    this.devices.set(name, d);
    return d;
  }

  private application(dev: Device, name: string): SkfHandle {
    const have = dev.apps.get(name);
    if (have !== undefined) return have;
    const h = this.module.openApplication(dev.handle, name);
    dev.apps.set(name, h);
    return h;
  }

  private dropDevice(name: string): void {
    const d = this.devices.get(name);
    this.devices.delete(name);
    if (!d) return;
    for (const a of d.apps.values()) {
      try {
        this.module.closeApplication(a);
      } catch {}
    }
    try {
      this.module.disconnect(d.handle);
    } catch {}
  }

  private present(): string[] {
    return this.module.enumDevices(true);
  }

  /** Runs `fn` on a device; on device-ish failures tells whether the key is gone. */
  private withDevice<T>(name: string, fn: (d: Device) => T): T {
    try {
      return fn(this.device(name));
    } catch (e) {
      if (!mayMeanRemoved(e, MAYBE_REMOVED)) throw e;
      this.dropDevice(name);
      let still = false;
      try {
        still = this.present().includes(name);
      } catch {}
      if (!still || e.code === 'DEVICE_REMOVED') throw deviceRemovedError({ device: displayName(name) }, e);
      throw e;
    }
  }

  private withContainer<T>(app: SkfHandle, name: string, fn: (con: SkfHandle) => T): T {
    const con = this.module.openContainer(app, name);
    try {
      return fn(con);
    } finally {
      try {
        this.module.closeContainer(con);
      } catch {}
    }
  }

  private deviceIdentities(devName: string, dev: Device): KeyIdentity[] {
    const out: KeyIdentity[] = [];
    // One unreadable application or container (vendor-internal, half-written) must not hide the others.
    const tolerant = <T>(fn: () => T): T | null => {
      try {
        return fn();
      } catch (e) {
        if (isAssistantError(e) && !mayMeanRemoved(e, MAYBE_REMOVED)) return null;
        throw e;
      }
    };
    for (const appName of this.module.applications(dev.handle)) {
      const app = tolerant(() => this.application(dev, appName));
      if (app === null) continue;
      for (const conName of tolerant(() => this.module.containers(app)) ?? []) {
        const found = tolerant(() => this.withContainer(app, conName, (con) => {
          const type = this.module.containerType(con);
          if (type === CONTAINER_TYPE.UNKNOWN) return null;
          const cert = this.module.exportCertificate(con, true);
          if (!cert || cert.length === 0) return null;
          return { cert, facts: certificateFacts(cert), type, enc: this.module.exportCertificate(con, false) };
        }));
        if (!found) continue;
        const algorithm = found.facts.algorithm ?? (found.type === CONTAINER_TYPE.RSA ? 'RS256' : 'SM2-SM3');
        out.push({
          id: skfIdentityId(devName, appName, conName),
          label: displayName(conName),
          certificate: new Uint8Array(found.cert),
          intermediates: [],
          ...(found.enc && found.enc.length > 0 ? { encryptionCertificate: new Uint8Array(found.enc) } : {}),
          algorithm,
          location: {
            kind: 'skf', module: this.module.path, device: displayName(devName), application: displayName(appName), container: displayName(conName),
            deviceLabel: dev.info.label, deviceSerial: dev.info.serial,
          },
        });
      }
    }
    return out;
  }

  async listIdentities(): Promise<KeyIdentity[]> {
    const out: KeyIdentity[] = [];
    for (const name of this.present()) {
      try {
        out.push(...this.withDevice(name, (d) => this.deviceIdentities(name, d)));
      } catch (e) {
        if (isAssistantError(e) && e.code === 'DEVICE_REMOVED') continue; // pulled out while listing
        throw e;
      }
    }
    return out;
  }

  /** Devices present now (name, serial, label): what a watcher compares between polls. */
  async tokens(): Promise<Array<{ device: string; serial: string; label: string }>> {
    const out: Array<{ device: string; serial: string; label: string }> = [];
    for (const name of this.present()) {
      try {
        const d = this.withDevice(name, (x) => x);
        out.push({ device: displayName(name), serial: d.info.serial, label: d.info.label });
      } catch {}
    }
    return out;
  }

  /** Everything `tokens --skf` shows: devices, their applications with PIN state, identities. */
  async describe(): Promise<SkfModuleReport> {
    const report: SkfModuleReport = { path: this.module.path, devices: [] };
    for (const name of this.present()) {
      try {
        report.devices.push(this.withDevice(name, (d) => {
          const identities = this.deviceIdentities(name, d);
          const applications = this.module.applications(d.handle).map((appName) => {
            let pin: PinState = { retriesLeft: null, low: false, finalTry: false, locked: false };
            let defaultPin = false;
            try {
              const p = this.module.pinInfo(this.application(d, appName));
              pin = pinStateFromCounts(p.maxRetry, p.remainRetry);
              defaultPin = p.defaultPin;
            } catch {}
            return { name: displayName(appName), pin, defaultPin, identities: identities.filter((i) => i.location.kind === 'skf' && i.location.application === displayName(appName)) };
          });
          return { name: displayName(name), info: d.info, applications };
        }));
      } catch (e) {
        report.devices.push({ name: displayName(name), error: isAssistantError(e) ? e.toJSON() : { code: 'INTERNAL_ERROR', message: '内部错误' }, applications: [] });
      }
    }
    return report;
  }

  private locate(identityId: string): { device: string; application: string; container: string } {
    const loc = parseIdentityId(identityId);
    if (!this.present().includes(loc.device)) throw deviceRemovedError({ device: displayName(loc.device) });
    return loc;
  }

  async pinState(identityId: string): Promise<PinState> {
    const { device, application } = this.locate(identityId);
    return this.withDevice(device, (d) => {
      const p = this.module.pinInfo(this.application(d, application));
      return pinStateFromCounts(p.maxRetry, p.remainRetry);
    });
  }

  async sign(identityId: string, data: Uint8Array, algorithm: SignatureAlgorithm, pin: string): Promise<Uint8Array> {
    return this.withKey(identityId, algorithm, pin, (d, con, publicKeyBlob) => {
      const m = this.module;
      if (algorithm === 'SM2-SM3') {
        // The device hashes SM3(Z_A || M) itself, from the public key and the default ID.
        const e = m.digest(d.handle, SGD_SM3, data, publicKeyBlob, SM2_USER_ID);
        if (e.length !== 32) throw new AssistantError('SKF_BAD_DIGEST', 'USB Key 返回的摘要长度错误', { en: 'the device returned a digest of the wrong length', details: { length: e.length } });
        return eccSignatureBlobToDer(m.eccSign(con, e));
      }
      // GM/T 0016: the device pads PKCS#1 v1.5 around what it is given, so it is given the DigestInfo.
      return new Uint8Array(m.rsaSign(con, Buffer.from(digestInfo('sha256', createHash('sha256').update(data).digest()))));
    });
  }

  /** SM2: SKF_ECCSignData over e (already SM3(Z_A ‖ M)); RSA: SKF_RSASignData over the DigestInfo. */
  async signDigest(identityId: string, digest: Uint8Array, algorithm: SignatureAlgorithm, pin: string): Promise<Uint8Array> {
    const hash = digestNameForLength(digest.length);
    if (algorithm === 'SM2-SM3' ? digest.length !== 32 : !hash) {
      throw new AssistantError('DIGEST_LENGTH', '摘要长度与密钥类型不符', { en: 'digest length does not fit the key' });
    }
    return this.withKey(identityId, algorithm, pin, (_d, con) => algorithm === 'SM2-SM3'
      ? eccSignatureBlobToDer(this.module.eccSign(con, Buffer.from(digest)))
      : new Uint8Array(this.module.rsaSign(con, Buffer.from(digestInfo(hash!, digest)))));
  }

  /** The container's signing key after the checks and one SKF_VerifyPIN; the secure state is cleared after `use`. */
  private withKey<T>(identityId: string, algorithm: SignatureAlgorithm, pin: string, use: (d: Device, con: SkfHandle, publicKeyBlob: Buffer | null) => T): Promise<T> {
    return this.withLogin(identityId, pin, (con) => {
      const m = this.module;
      const cert = m.exportCertificate(con, true);
      const facts = cert ? certificateFacts(cert) : NO_FACTS;
      const type = m.containerType(con);
      const keyAlg = facts.algorithm ?? (type === CONTAINER_TYPE.RSA ? 'RS256' : type === CONTAINER_TYPE.ECC ? 'SM2-SM3' : null);
      if (keyAlg !== algorithm || (algorithm !== 'SM2-SM3' && algorithm !== 'RS256')) {
        throw new AssistantError('ALGORITHM_MISMATCH', '签名算法与 USB Key 中的密钥类型不符', { en: 'algorithm does not fit the key type', details: { algorithm, keyAlgorithm: keyAlg, containerType: type } });
      }
      if (algorithm !== 'SM2-SM3') {
        checkRsaKeyMatchesCertificate(() => m.exportPublicKey(con, true), facts.rsaModulus, '签名');
        return null;
      }
      const publicKeyBlob = m.exportPublicKey(con, true);
      checkKeyMatchesCertificate(publicKeyBlob, facts.ecPoint, '签名');
      return publicKeyBlob;
    }, use);
  }

  /**
   * One container, `check` (everything that can be refused is refused there, before a PIN try is
   * spent), one SKF_VerifyPIN, `use`; the secure state is cleared after.
   */
  private withLogin<P, T>(identityId: string, pin: string, check: (con: SkfHandle) => P, use: (d: Device, con: SkfHandle, checked: P) => T): Promise<T> {
    const { device, application, container } = this.locate(identityId);
    return Promise.resolve(this.withDevice(device, (d) => {
      const m = this.module;
      const app = this.application(d, application);
      return this.withContainer(app, container, (con) => {
        const checked = check(con);
        this.verifyPin(app, pin);
        try {
          return use(d, con, checked);
        } finally {
          try {
            m.clearSecureState(app);
          } catch {}
        }
      });
    }));
  }

  /**
   * A digital envelope opened inside the key (GM/T 0016 §7.6): SKF_ImportSessionKey unwraps the
   * session key with the container's encryption key pair (SM2: the key as ECCCIPHERBLOB; RSA: the
   * PKCS#1 v1.5 block), SKF_DecryptInit/SKF_Decrypt run SM4-CBC with it, and the PKCS#7 padding is
   * checked and stripped here. The session key never leaves the device.
   */
  async decryptEnvelope(identityId: string, encryptedKey: Uint8Array, content: EnvelopeContent, _algorithm: SignatureAlgorithm, pin: string): Promise<Uint8Array> {
    if (!this.envelopeCiphers.includes(content.cipher)) throw envelopeCipherNotOnDevice(content.cipher);
    if (content.iv.length !== 16 || content.ciphertext.length === 0 || content.ciphertext.length % 16 !== 0) throw decryptFailed();
    const { device } = parseIdentityId(identityId);
    const m = this.module;
    return this.withLogin(identityId, pin, (con) => {
      const cert = m.exportCertificate(con, false);
      if (!cert) {
        throw new AssistantError('CERTIFICATE_NOT_FOUND', 'USB Key 容器中没有加密证书，不能解开数字信封', { en: 'the container holds no encryption certificate' });
      }
      const facts = certificateFacts(cert);
      const type = m.containerType(con);
      const sm2 = facts.algorithm ? facts.algorithm === 'SM2-SM3' : type === CONTAINER_TYPE.ECC;
      if (!sm2 && facts.algorithm !== 'RS256' && type !== CONTAINER_TYPE.RSA) {
        throw new AssistantError('ALGORITHM_MISMATCH', 'USB Key 中的加密密钥不能解开该数字信封', { en: 'the encryption key cannot open this envelope', details: { keyAlgorithm: facts.algorithm, containerType: type } });
      }
      if (!sm2) {
        checkRsaKeyMatchesCertificate(() => m.exportPublicKey(con, false), facts.rsaModulus, '加密');
        return Buffer.from(encryptedKey);
      }
      checkKeyMatchesCertificate(m.exportPublicKey(con, false), facts.ecPoint, '加密');
      return eccCipherBlob(encryptedKey);
    }, (d, con, wrapped) => {
      let key: SkfHandle;
      try {
        key = m.importSessionKey(con, SGD_SM4_CBC, wrapped);
      } catch (e) {
        // The key refused the wrapped session key: not for this key, or damaged.
        if (isAssistantError(e) && (UNWRAP_FAILED.has(e.code) || (e.code === 'SKF_FAILED' && this.present().includes(device)))) throw decryptFailed();
        throw e;
      }
      try {
        return new Uint8Array(stripPkcs7(m.decryptBlocks(key, content.iv, content.ciphertext, d.info.maxBufferSize)));
      } finally {
        m.closeHandle(key);
      }
    });
  }

  /** SKF_VerifyPIN once (never retried); a locked key is refused without spending a try. */
  private verifyPin(app: SkfHandle, pin: string): void {
    const m = this.module;
    let before: PinState | null = null;
    let maxRetry: number | null = null;
    try {
      const p = m.pinInfo(app);
      maxRetry = p.maxRetry;
      before = pinStateFromCounts(p.maxRetry, p.remainRetry);
    } catch (e) {
      if (!isAssistantError(e) || e.code !== 'SKF_FUNCTION_NOT_SUPPORTED') throw e;
    }
    if (before?.locked) throw pinLocked(before);
    const bytes = Buffer.from(pin, 'utf8');
    try {
      if (bytes.length === 0 || bytes.length > MAX_PIN_BYTES || bytes.includes(0)) {
        throw new AssistantError('PIN_LEN_RANGE', `PIN 码长度应为 1–${MAX_PIN_BYTES} 位`, { en: `the PIN must be 1-${MAX_PIN_BYTES} characters`, details: { maxPinLen: MAX_PIN_BYTES } });
      }
      let r = m.verifyPin(app, bytes);
      if (r.rv === SAR_USER_ALREADY_LOGGED_IN) {
        // Someone else's login must not stand in for this PIN: clear it and check this one.
        m.clearSecureState(app);
        r = m.verifyPin(app, bytes);
      }
      if (r.rv === SAR_OK) return;
      const max = maxRetry ?? r.retries + 1;
      const state = r.rv === SAR_PIN_INCORRECT || r.rv === SAR_PIN_LOCKED ? pinStateFromCounts(max, r.rv === SAR_PIN_LOCKED ? 0 : r.retries) : null;
      if (r.rv === SAR_PIN_LOCKED || (state && state.locked)) throw pinLocked(state ?? pinStateFromCounts(max, 0));
      if (r.rv === SAR_PIN_INCORRECT && state) {
        const hint = state.finalTry ? '，再错一次 USB Key 将被锁定' : `，还可以再试 ${state.retriesLeft} 次`;
        throw new AssistantError('PIN_INCORRECT', `PIN 码错误${hint}`, {
          en: state.finalTry ? 'wrong PIN; one more wrong PIN locks the key' : `wrong PIN; ${state.retriesLeft} tries left`,
          details: { pin: state, sar: 'SAR_PIN_INCORRECT', function: 'SKF_VerifyPIN' },
        });
      }
      throw skfError(r.rv, 'SKF_VerifyPIN');
    } finally {
      bytes.fill(0);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const name of [...this.devices.keys()]) this.dropDevice(name);
    this.module.close();
  }
}

/** The container's signing (or encryption) key must be the certificate's: otherwise Z_A (and the signature) would not verify. */
function checkKeyMatchesCertificate(blob: Buffer, certPoint: Buffer | null, what: '签名' | '加密'): void {
  if (!certPoint || certPoint.length !== 65 || certPoint[0] !== 0x04) return;
  if (blob.length < 132) throw new AssistantError('SKF_BAD_PUBLIC_KEY', 'USB Key 返回的公钥格式错误', { en: 'malformed ECCPUBLICKEYBLOB', details: { length: blob.length } });
  const x = blob.subarray(4 + 32, 4 + 64);
  const y = blob.subarray(4 + 64 + 32, 4 + 128);
  if (!x.equals(certPoint.subarray(1, 33)) || !y.equals(certPoint.subarray(33, 65))) {
    throw new AssistantError('KEY_CERTIFICATE_MISMATCH', `USB Key 中的${what}密钥与证书不匹配，请联系发证机构`, { en: 'the container key does not match its certificate' });
  }
}

/**
 * The modulus in an RSAPUBLICKEYBLOB (AlgID, BitLen, Modulus[256], PublicExponent[4]): the last
 * BitLen/8 bytes of the field as GM/T 0016 lays it out (right-aligned), and the first BitLen/8
 * bytes for vendors that left-align it (the same bytes for 2048-bit keys). Null when malformed.
 */
export function rsaBlobModuli(blob: Uint8Array): Buffer[] | null {
  if (blob.length < RSA_PUBLIC_KEY_BLOB_SIZE) return null;
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const bits = b.readUInt32LE(4);
  if (bits < 512 || bits > 2048) return null;
  const field = b.subarray(8, 8 + 256);
  const n = Math.ceil(bits / 8);
  return [Buffer.from(field.subarray(256 - n)), Buffer.from(field.subarray(0, n))];
}

/**
 * An RSA container's key must be its certificate's (checked before the PIN, as for SM2): otherwise
 * the key signs, and every portal refuses the signature. A driver without SKF_ExportPublicKey is
 * not checked (the signature self-check still is).
 */
function checkRsaKeyMatchesCertificate(exportBlob: () => Buffer, certModulus: Buffer | null, what: '签名' | '加密'): void {
  if (!certModulus) return;
  let blob: Buffer;
  try {
    blob = exportBlob();
  } catch (e) {
    if (isAssistantError(e) && e.code === 'SKF_FUNCTION_NOT_SUPPORTED') return;
    throw e;
  }
  const moduli = rsaBlobModuli(blob);
  if (!moduli) throw new AssistantError('SKF_BAD_PUBLIC_KEY', 'USB Key 返回的公钥格式错误', { en: 'malformed RSAPUBLICKEYBLOB', details: { length: blob.length } });
  if (!moduli.some((n) => n.equals(certModulus))) {
    throw new AssistantError('KEY_CERTIFICATE_MISMATCH', `USB Key 中的${what}密钥与证书不匹配，请联系发证机构`, { en: 'the container key does not match its certificate' });
  }
}

/** SAR codes after which SKF_ImportSessionKey means "this wrapped key is not for this key, or damaged". */
const UNWRAP_FAILED: ReadonlySet<string> = new Set(['DATA_INVALID', 'DATA_LEN_RANGE', 'SKF_CRYPTO_ERROR']);


/** An SM2 ciphertext (GM/T 0009 DER or C1‖C3‖C2) → ECCCIPHERBLOB (X[64] Y[64] HASH[32] CipherLen Cipher). */
export function eccCipherBlob(ct: Uint8Array): Buffer {
  const raw = sm2CiphertextToC1C3C2(ct);
  if (!raw || raw.length < 98 || raw.length - 97 > 1024) throw decryptFailed();
  const blob = Buffer.alloc(ECC_CIPHER_BLOB_HEAD + raw.length - 97);
  blob.set(raw.subarray(1, 33), 32);
  blob.set(raw.subarray(33, 65), 64 + 32);
  blob.set(raw.subarray(65, 97), 128);
  blob.writeUInt32LE(raw.length - 97, 160);
  blob.set(raw.subarray(97), ECC_CIPHER_BLOB_HEAD);
  return blob;
}

/** PKCS#7 padding of a 16-byte-block cipher, checked and removed; DECRYPT_FAILED when it is wrong. */
function stripPkcs7(data: Buffer): Buffer {
  const n = data.length > 0 ? data[data.length - 1]! : 0;
  let bad = n < 1 || n > 16 || n > data.length ? 1 : 0;
  for (let i = 1; i <= 16 && i <= data.length; i++) if (i <= n && data[data.length - i] !== n) bad = 1;
  if (bad) {
    data.fill(0);
    throw decryptFailed();
  }
  const out = Buffer.from(data.subarray(0, data.length - n));
  data.fill(0);
  return out;
}
