import { createHash } from 'node:crypto';
import { AssistantError, isAssistantError } from '../../errors.ts';
import type { KeyIdentity, KeyStore, PinState } from '../types.ts';
import { parseCertificate } from '../../pki/certificate.ts';
import { signatureAlgorithmFor, type SignatureAlgorithm } from '../../pki/signature-algorithm.ts';
import type { Pkcs11ModuleReport, Pkcs11SlotReport } from '../worker/protocol.ts';
import { Pkcs11Module, readUlong, ulongBytes, type Handle, type TokenInfo } from './binding.ts';
import { CKR_OK, CKR_PIN_INCORRECT, CKR_USER_ALREADY_LOGGED_IN, pkcs11Error } from './ckr.ts';
import {
  CKA_CLASS, CKA_EC_PARAMS, CKA_ID, CKA_KEY_TYPE, CKA_LABEL, CKA_VALUE, CKF_LOGIN_REQUIRED, CKF_PROTECTED_AUTHENTICATION_PATH, CKF_TOKEN_INITIALIZED,
  CKF_USER_PIN_COUNT_LOW, CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_LOCKED, CKK_EC, CKK_RSA, CKM_ECDSA, CKM_RSA_PKCS, CKM_SHA256_RSA_PKCS,
  CKO_CERTIFICATE, CKO_PRIVATE_KEY, CKO_PUBLIC_KEY, CKU_USER, EC_PARAMS_P256, EC_PARAMS_SM2,
} from './constants.ts';
import { checkModulePath } from '../module-path.ts';
import { deviceRemovedError, mayMeanRemoved, type KeyStoreErrorCode } from '../errors.ts';
import { decryptFailed, digestInfo, digestNameForLength } from '../../pki/rsa-pkcs1.ts';

function rsaOnly(what: string): AssistantError {
  return new AssistantError('OPERATION_NOT_SUPPORTED', `USB Key 中的该类密钥暂不支持${what}（仅 RSA）`, { en: 'only RSA keys on PKCS#11 tokens can do this' });
}

/** Token flags → PinState. PKCS#11 has no retry counter; final try means one left, locked none. */
export function pinStateFromFlags(flags: number): PinState {
  const locked = (flags & CKF_USER_PIN_LOCKED) !== 0;
  const finalTry = (flags & CKF_USER_PIN_FINAL_TRY) !== 0;
  return {
    retriesLeft: locked ? 0 : finalTry ? 1 : null,
    low: (flags & CKF_USER_PIN_COUNT_LOW) !== 0,
    finalTry,
    locked,
  };
}

/** `<slot>:<hex CKA_ID>`: the identity id within one module. */
export function pkcs11IdentityId(slot: number, ckaIdHex: string): string {
  return `${slot}:${ckaIdHex.toLowerCase()}`;
}

function parseIdentityId(id: string): { slot: number | null; ckaId: string } {
  const m = /^(?:(\d+):)?([0-9a-fA-F]*)$/.exec(id);
  if (!m) throw new AssistantError('IDENTITY_NOT_FOUND', '找不到所选证书，请重新选择', { en: 'identity not found', details: { identityId: id } });
  return { slot: m[1] === undefined ? null : Number(m[1]), ckaId: (m[2] ?? '').toLowerCase() };
}

/** What the certificate's key can do, from its SubjectPublicKeyInfo; null when unusable. */
function certificateKeyAlgorithm(der: Uint8Array): { algorithm: SignatureAlgorithm | null; isCA: boolean } {
  try {
    const cert = parseCertificate(der);
    return { algorithm: signatureAlgorithmFor(cert.publicKey), isCA: cert.isCA };
  } catch {
    return { algorithm: null, isCA: false };
  }
}

/** Codes after which we ask "is the token still there?" to tell a removed key from a driver fault. */
const MAYBE_REMOVED: ReadonlySet<KeyStoreErrorCode> = new Set<KeyStoreErrorCode>([
  'OBJECT_HANDLE_INVALID', 'SESSION_HANDLE_INVALID', 'SESSION_CLOSED', 'DEVICE_GENERAL_ERROR', 'DEVICE_ERROR',
  'DEVICE_REMOVED', 'TOKEN_NOT_PRESENT', 'SLOT_ID_INVALID', 'FUNCTION_FAILED', 'TOKEN_NOT_RECOGNIZED',
]);

interface Session { handle: Handle; serial: string }

/**
 * USB keys through one PKCS#11 module. Runs inside the key-store worker only: every call is a
 * synchronous native call that a bad driver can hang or crash.
 */
export class Pkcs11KeyStore implements KeyStore {
  readonly kind = 'pkcs11' as const;
  readonly module: Pkcs11Module;
  private readonly sessions = new Map<number, Session>();
  closed = false;

  private constructor(module: Pkcs11Module) {
    this.module = module;
  }

  /** Checks the path is admin-controlled, loads and initialises the module. */
  static open(modulePath: string): Pkcs11KeyStore {
    const real = checkModulePath(modulePath);
    const m = Pkcs11Module.load(real, modulePath);
    m.initialize();
    return new Pkcs11KeyStore(m);
  }

  /** A session per token, kept open between calls (as a user's key stays plugged in). */
  private session(slot: number, token?: TokenInfo): Session {
    const info = token ?? this.module.tokenInfo(slot);
    const have = this.sessions.get(slot);
    if (have && have.serial === info.serial) return have;
    if (have) this.dropSession(slot);
    const s = { handle: this.module.openSession(slot), serial: info.serial };
    this.sessions.set(slot, s);
    return s;
  }

  private dropSession(slot: number): void {
    const s = this.sessions.get(slot);
    this.sessions.delete(slot);
    if (s) {
      try {
        this.module.closeSession(s.handle);
      } catch {}
    }
  }

  /** Runs `fn` on the slot's session; on device-ish failures tells whether the token is gone. */
  private withSession<T>(slot: number, fn: (s: Session) => T): T {
    let s: Session;
    try {
      s = this.session(slot);
    } catch (e) {
      if (mayMeanRemoved(e, MAYBE_REMOVED)) throw deviceRemovedError({ slot }, e);
      throw e;
    }
    try {
      return fn(s);
    } catch (e) {
      if (!mayMeanRemoved(e, MAYBE_REMOVED)) throw e;
      this.dropSession(slot);
      if (!this.tokenStillThere(slot, s.serial)) throw deviceRemovedError({ slot }, e);
      throw e;
    }
  }

  private stillPresent(identityId: string): boolean {
    try {
      const { slot } = parseIdentityId(identityId);
      return slot !== null && this.module.slots(true).includes(slot);
    } catch {
      return false;
    }
  }

  private tokenStillThere(slot: number, serial: string): boolean {
    try {
      return this.module.slots(true).includes(slot) && this.module.tokenInfo(slot).serial === serial;
    } catch {
      return false;
    }
  }

  private find(session: Handle, template: Array<{ type: number; value: Buffer }>): Handle[] {
    return this.module.findObjects(session, template);
  }

  private slotIdentities(slot: number, token: TokenInfo): KeyIdentity[] {
    const s = this.session(slot, token).handle;
    const m = this.module;
    const certs = this.find(s, [{ type: CKA_CLASS, value: ulongBytes(CKO_CERTIFICATE) }]).map((h) => ({
      id: (m.attribute(s, h, CKA_ID) ?? Buffer.alloc(0)).toString('hex'),
      label: (m.attribute(s, h, CKA_LABEL) ?? Buffer.alloc(0)).toString('utf8'),
      der: m.attribute(s, h, CKA_VALUE),
    })).filter((c): c is { id: string; label: string; der: Buffer } => c.der !== null && c.der.length > 0);
    // Private keys are often CKA_PRIVATE (invisible before login): public keys count as evidence too.
    const keyIds = new Set<string>();
    for (const cls of [CKO_PRIVATE_KEY, CKO_PUBLIC_KEY]) {
      for (const h of this.find(s, [{ type: CKA_CLASS, value: ulongBytes(cls) }])) {
        const id = m.attribute(s, h, CKA_ID);
        if (id) keyIds.add(id.toString('hex'));
      }
    }
    const analysed = certs.map((c) => ({ ...c, ...certificateKeyAlgorithm(c.der) }));
    const isIdentity = (c: (typeof analysed)[number]) =>
      c.id !== '' && (keyIds.has(c.id) || (!c.isCA && keyIds.size === 0 && (token.flags & CKF_LOGIN_REQUIRED) !== 0));
    const identities = analysed.filter(isIdentity);
    const others = analysed.filter((c) => !isIdentity(c)).map((c) => new Uint8Array(c.der));
    return identities.map((c) => ({
      id: pkcs11IdentityId(slot, c.id),
      label: c.label || token.label,
      certificate: new Uint8Array(c.der),
      intermediates: others,
      algorithm: c.algorithm ?? 'RS256',
      location: { kind: 'pkcs11', module: this.module.path, slot, tokenLabel: token.label, tokenSerial: token.serial },
    }));
  }

  private presentTokens(): Array<{ slot: number; token: TokenInfo }> {
    const out: Array<{ slot: number; token: TokenInfo }> = [];
    for (const slot of this.module.slots(true)) {
      let token: TokenInfo;
      try {
        token = this.module.tokenInfo(slot);
      } catch {
        continue; // removed between the two calls
      }
      if (token.flags & CKF_TOKEN_INITIALIZED) out.push({ slot, token });
    }
    return out;
  }

  /** Initialised tokens present now: what a watcher compares between polls. */
  async tokens(): Promise<Array<{ slot: number; serial: string; label: string }>> {
    return this.presentTokens().map(({ slot, token }) => ({ slot, serial: token.serial, label: token.label }));
  }

  async listIdentities(): Promise<KeyIdentity[]> {
    const out: KeyIdentity[] = [];
    for (const { slot, token } of this.presentTokens()) {
      try {
        out.push(...this.withSession(slot, () => this.slotIdentities(slot, token)));
      } catch (e) {
        if (isAssistantError(e) && e.code === 'DEVICE_REMOVED') continue;
        throw e;
      }
    }
    return out;
  }

  /** Everything `tokens` shows, per slot with a token. */
  async describe(): Promise<Pkcs11ModuleReport> {
    const slots: Pkcs11SlotReport[] = [];
    for (const slot of this.module.slots(true)) {
      let token: TokenInfo;
      let description: string;
      try {
        description = this.module.slotInfo(slot).description;
        token = this.module.tokenInfo(slot);
      } catch {
        continue;
      }
      const initialized = (token.flags & CKF_TOKEN_INITIALIZED) !== 0;
      const r: Pkcs11SlotReport = {
        id: slot, description, label: token.label, manufacturer: token.manufacturer, model: token.model, serial: token.serial,
        initialized, loginRequired: (token.flags & CKF_LOGIN_REQUIRED) !== 0, pinPad: (token.flags & CKF_PROTECTED_AUTHENTICATION_PATH) !== 0,
        pin: pinStateFromFlags(token.flags), identities: [],
      };
      if (initialized) {
        try {
          r.identities = this.withSession(slot, () => this.slotIdentities(slot, token));
        } catch (e) {
          r.error = isAssistantError(e) ? e.toJSON() : { code: 'INTERNAL_ERROR', message: '内部错误' };
        }
      }
      slots.push(r);
    }
    return { path: this.module.path, info: this.module.info(), slots };
  }

  private locate(identityId: string): { slot: number; ckaId: string } {
    const { slot, ckaId } = parseIdentityId(identityId);
    if (slot !== null) return { slot, ckaId };
    // A bare CKA_ID: fine when exactly one present token holds it.
    const hits: number[] = [];
    for (const { slot: sl, token } of this.presentTokens()) {
      if (this.slotIdentities(sl, token).some((i) => i.id === pkcs11IdentityId(sl, ckaId))) hits.push(sl);
    }
    if (hits.length !== 1) {
      throw new AssistantError(hits.length ? 'IDENTITY_AMBIGUOUS' : 'IDENTITY_NOT_FOUND', hits.length ? '多个 USB Key 中有相同标识的证书，请指定插槽' : '找不到所选证书，请确认 USB Key 已插入', {
        en: hits.length ? 'several tokens hold this id; give the slot' : 'identity not found', details: { identityId },
      });
    }
    return { slot: hits[0]!, ckaId };
  }

  async pinState(identityId: string): Promise<PinState> {
    const { slot } = this.locate(identityId);
    try {
      return pinStateFromFlags(this.module.tokenInfo(slot).flags);
    } catch (e) {
      if (mayMeanRemoved(e, MAYBE_REMOVED)) throw deviceRemovedError({ slot }, e);
      throw e;
    }
  }

  async sign(identityId: string, data: Uint8Array, algorithm: SignatureAlgorithm, pin: string): Promise<Uint8Array> {
    return this.withPrivateKey(identityId, algorithm, pin, (session, k) => {
      const m = this.module;
      if (algorithm === 'RS256') return new Uint8Array(m.sign(session, CKM_SHA256_RSA_PKCS, k, data));
      const digest = createHash('sha256').update(data).digest();
      // CKM_ECDSA returns r||s already (IEEE P1363), as ES256 wants.
      return new Uint8Array(m.sign(session, CKM_ECDSA, k, digest));
    });
  }

  /** RSA only: CKM_RSA_PKCS over the DigestInfo of a SHA-1 or SHA-256 digest. */
  async signDigest(identityId: string, digest: Uint8Array, algorithm: SignatureAlgorithm, pin: string): Promise<Uint8Array> {
    const hash = digestNameForLength(digest.length);
    if (algorithm !== 'RS256' || !hash) throw rsaOnly('对摘要签名');
    return this.withPrivateKey(identityId, algorithm, pin, (session, k) => new Uint8Array(this.module.sign(session, CKM_RSA_PKCS, k, digestInfo(hash, digest))));
  }

  /** RSA only: CKM_RSA_PKCS decryption (PKCS#1 v1.5), inside the token. */
  async decrypt(identityId: string, ciphertext: Uint8Array, algorithm: SignatureAlgorithm, pin: string): Promise<Uint8Array> {
    if (algorithm !== 'RS256') throw rsaOnly('解密');
    return this.withPrivateKey(identityId, algorithm, pin, (session, k) => {
      try {
        return new Uint8Array(this.module.decrypt(session, CKM_RSA_PKCS, k, ciphertext));
      } catch (e) {
        if (isAssistantError(e) && (e.code === 'ENCRYPTED_DATA_INVALID' || e.code === 'ENCRYPTED_DATA_LEN_RANGE')) throw decryptFailed();
        // Some tokens (SoftHSM2 among them) answer a bad padding with CKR_GENERAL_ERROR: with the
        // token still present, that is the ciphertext's fault, not the device's.
        if (isAssistantError(e) && (e.code === 'DEVICE_GENERAL_ERROR' || e.code === 'FUNCTION_FAILED') && this.stillPresent(identityId)) throw decryptFailed();
        throw e;
      }
    });
  }

  /** PIN checks, C_Login, the identity's private key to `use`, then C_Logout — one PIN, one use. */
  private withPrivateKey<T>(identityId: string, algorithm: SignatureAlgorithm, pin: string, use: (session: Handle, key: Handle) => T): T {
    if (algorithm === 'SM2-SM3') {
      throw new AssistantError('SM2_NOT_SUPPORTED_ON_TOKEN', '暂不支持用 USB Key 中的 SM2 证书签名（需厂商 SKF 驱动，后续版本支持）', {
        en: 'SM2 signing on USB keys needs the vendor SKF driver (not yet supported)',
      });
    }
    const { slot, ckaId } = this.locate(identityId);
    return this.withSession(slot, (s) => {
      const m = this.module;
      const before = m.tokenInfo(slot);
      // Never spend a try on a locked key.
      if (before.flags & CKF_USER_PIN_LOCKED) throw pinLocked(before.flags);
      const pinPad = (before.flags & CKF_PROTECTED_AUTHENTICATION_PATH) !== 0 && pin === '';
      if (!pinPad) checkPinLength(pin, before);
      // A visible key lets us refuse a wrong algorithm before spending a PIN try.
      const visible = this.findPrivateKeyPublicly(s.handle, ckaId);
      if (visible) this.checkKeyFits(s.handle, visible, algorithm);
      this.login(s.handle, slot, pin);
      try {
        // Found again after login: a C_Logout inside login() invalidates private object handles.
        const k = this.findPrivateKey(s.handle, ckaId);
        this.checkKeyFits(s.handle, k, algorithm);
        return use(s.handle, k);
      } finally {
        try {
          m.logout(s.handle);
        } catch {}
      }
    });
  }

  private login(session: Handle, slot: number, pin: string): void {
    const pinBytes = pin === '' ? null : Buffer.from(pin, 'utf8');
    let rv: number;
    try {
      rv = this.module.login(session, CKU_USER, pinBytes);
      if (rv === CKR_USER_ALREADY_LOGGED_IN) {
        // Someone else's login must not stand in for this PIN: log out and check this one.
        this.module.logout(session);
        rv = this.module.login(session, CKU_USER, pinBytes);
      }
    } finally {
      pinBytes?.fill(0);
    }
    if (rv === CKR_OK) return;
    let flags = 0;
    try {
      flags = this.module.tokenInfo(slot).flags;
    } catch {}
    const state = pinStateFromFlags(flags);
    if (rv === CKR_PIN_INCORRECT) {
      if (state.locked) throw pinLocked(flags);
      const hint = state.finalTry ? '，再错一次 USB Key 将被锁定' : state.low ? '，多次输错将锁定 USB Key' : '';
      throw new AssistantError('PIN_INCORRECT', `PIN 码错误${hint}`, {
        en: state.finalTry ? 'wrong PIN; one more wrong PIN locks the key' : 'wrong PIN',
        details: { pin: state, ckr: 'CKR_PIN_INCORRECT', function: 'C_Login' },
      });
    }
    const err = pkcs11Error(rv, 'C_Login', { pin: state });
    if (err.code === 'PIN_LOCKED') throw pinLocked(flags);
    throw err;
  }

  private findPrivateKeyPublicly(session: Handle, ckaId: string): Handle | null {
    return this.find(session, [{ type: CKA_CLASS, value: ulongBytes(CKO_PRIVATE_KEY) }, { type: CKA_ID, value: Buffer.from(ckaId, 'hex') }])[0] ?? null;
  }

  private findPrivateKey(session: Handle, ckaId: string): Handle {
    const k = this.findPrivateKeyPublicly(session, ckaId);
    if (k === null) {
      throw new AssistantError('KEY_NOT_FOUND', 'USB Key 中找不到与证书对应的私钥', { en: 'no private key matches the certificate', details: { ckaId } });
    }
    return k;
  }

  private checkKeyFits(session: Handle, key: Handle, algorithm: SignatureAlgorithm): void {
    const kt = this.module.attribute(session, key, CKA_KEY_TYPE);
    if (!kt) return;
    const type = readUlong(kt);
    if (type === CKK_EC) {
      const params = this.module.attribute(session, key, CKA_EC_PARAMS);
      if (params && params.equals(EC_PARAMS_SM2)) {
        throw new AssistantError('SM2_NOT_SUPPORTED_ON_TOKEN', '暂不支持用 USB Key 中的 SM2 证书签名（需厂商 SKF 驱动，后续版本支持）', { en: 'SM2 signing on USB keys is not supported yet' });
      }
      if (algorithm === 'ES256' && (!params || params.equals(EC_PARAMS_P256))) return;
    } else if (type === CKK_RSA && algorithm === 'RS256') return;
    throw new AssistantError('ALGORITHM_MISMATCH', '签名算法与 USB Key 中的密钥类型不符', { en: 'algorithm does not fit the key type', details: { algorithm, keyType: type } });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const slot of [...this.sessions.keys()]) this.dropSession(slot);
    this.module.close();
  }
}

/** A PIN the token's own limits rule out would only cost a try: refuse it before C_Login. */
function checkPinLength(pin: string, token: TokenInfo): void {
  const len = Buffer.byteLength(pin, 'utf8');
  const sane = (n: number) => Number.isSafeInteger(n) && n > 0 && n < 1024;
  const min = sane(token.minPinLen) ? token.minPinLen : 1;
  const max = sane(token.maxPinLen) ? Math.max(token.maxPinLen, min) : 1023;
  if (len < min || len > max) {
    throw new AssistantError('PIN_LEN_RANGE', `PIN 码长度应为 ${min}–${max} 位`, { en: `the PIN must be ${min}-${max} characters`, details: { minPinLen: min, maxPinLen: max } });
  }
}

function pinLocked(flags: number): AssistantError {
  return new AssistantError('PIN_LOCKED', 'PIN 码已锁定，请联系发证机构解锁', { en: 'the PIN is locked; ask the CA to unlock it', details: { pin: pinStateFromFlags(flags) } });
}
