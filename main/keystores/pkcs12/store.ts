/**
 * A .pfx/.p12 file as a KeyStore. The file password is the PIN: it opens the file at sign time
 * and is dropped right after; the decrypted key lives only inside sign().
 */
import { constants, createPublicKey, privateEncrypt, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { AssistantError } from '../../errors.ts';
import { parseCertificate, type ParsedCertificate } from '../../pki/certificate.ts';
import { KdfSession } from '../../pki/pbe.ts';
import { decodePkcs12Async, decryptPkcs8, type Pkcs12Contents } from '../../pki/pkcs12.ts';
import { describePrivateKey, nodePrivateKey, sm2PrivateKeyHex } from '../../pki/private-key.ts';
import { MAX_FILE_BYTES } from '../../pki/read.ts';
import { decryptFailed, digestInfo, digestNameForLength, rsaPkcs1Decrypt } from '../../pki/rsa-pkcs1.ts';
import { bytesToHex, sm2Decrypt, sm2PublicKeyFromPrivate, sm2Sign, sm2SignHash } from '../../pki/sm2.ts';
import type { KeyIdentity, KeyStore, PinState } from '../types.ts';
import { signatureAlgorithmFor, type SignatureAlgorithm } from '../../pki/signature-algorithm.ts';

export interface Pkcs12StoreOptions {
  /** Reads the file (tests and the app's sandboxed reader pass their own). */
  readFile?: (path: string) => Promise<Uint8Array>;
}

interface IdentityEntry {
  identity: KeyIdentity;
  /** Index of the key bag in the file. */
  keyIndex: number;
  fingerprint: string;
}

function pinIncorrect(): AssistantError {
  return new AssistantError('PIN_INCORRECT', 'PFX 文件密码错误', { en: 'wrong PFX file password' });
}

export class Pkcs12KeyStore implements KeyStore {
  readonly kind = 'pkcs12' as const;
  readonly file: string;
  private readonly read: (path: string) => Promise<Uint8Array>;
  private entries: IdentityEntry[] | null = null;
  private closed = false;

  constructor(file: string, opts: Pkcs12StoreOptions = {}) {
    this.file = file;
    this.read = opts.readFile ?? (async (p) => new Uint8Array(await readFile(p)));
  }

  /**
   * Opens a file and lists its identities at once. Most PFX files encrypt their certificates
   * too, so listing needs the password; it is used here and not kept.
   */
  static async open(file: string, opts: Pkcs12StoreOptions & { password?: string } = {}): Promise<Pkcs12KeyStore> {
    const store = new Pkcs12KeyStore(file, opts);
    store.entries = store.buildEntries(await store.decode(opts.password));
    return store;
  }

  private async bytes(): Promise<Uint8Array> {
    if (this.closed) throw new AssistantError('STORE_CLOSED', '证书存储已关闭', { en: 'key store closed' });
    let b: Uint8Array;
    try {
      b = await this.read(this.file);
    } catch {
      throw new AssistantError('FILE_UNREADABLE', `无法读取证书文件：${basename(this.file)}`, { en: `cannot read ${this.file}` });
    }
    if (b.length === 0) throw new AssistantError('FILE_EMPTY', '文件为空', { en: 'file is empty' });
    if (b.length > MAX_FILE_BYTES) throw new AssistantError('FILE_TOO_LARGE', '文件过大，不是证书文件', { en: 'file too large' });
    return b;
  }

  /** `kdf`: keys derived for this open, kept so signing derives the key bag's key once (ahead, in the thread pool). */
  private async decode(password: string | undefined, kdf?: KdfSession): Promise<Pkcs12Contents> {
    try {
      return await decodePkcs12Async(await this.bytes(), password, { decryptKeys: false, listWithoutPassword: true, ...(kdf ? { kdf, prefetchKeys: true } : {}) });
    } catch (e) {
      if (e instanceof AssistantError && (e.code === 'PFX_BAD_PASSWORD' || e.code === 'PFX_PASSWORD_REQUIRED') && password !== undefined) throw pinIncorrect();
      throw e;
    }
  }

  private buildEntries(contents: Pkcs12Contents): IdentityEntry[] {
    const certs = contents.certificates.map((c) => ({ ...c, parsed: parseCertificate(c.der) }));
    const out: IdentityEntry[] = [];
    contents.keys.forEach((key, keyIndex) => {
      // Pair key and certificate by localKeyId; a single key with no ids goes with the end-entity certificate.
      let leaf = key.localKeyId !== undefined ? certs.find((c) => c.localKeyId === key.localKeyId) : undefined;
      if (!leaf && contents.keys.length === 1) leaf = certs.find((c) => !c.parsed.isCA) ?? certs[0];
      if (!leaf) return;
      const algorithm = signatureAlgorithmFor(leaf.parsed.publicKey);
      if (!algorithm) return;
      const cn = /(?:^|, )CN=([^,]*)/.exec(leaf.parsed.subject)?.[1];
      out.push({
        keyIndex,
        fingerprint: leaf.parsed.fingerprintSha256,
        identity: {
          id: String(keyIndex),
          label: key.friendlyName ?? leaf.friendlyName ?? cn ?? leaf.parsed.subject,
          certificate: leaf.der,
          intermediates: certs.filter((c) => c !== leaf).map((c) => c.der),
          algorithm,
          location: { kind: 'pkcs12', file: this.file },
        },
      });
    });
    return out;
  }

  async listIdentities(): Promise<KeyIdentity[]> {
    if (!this.entries) this.entries = this.buildEntries(await this.decode(undefined));
    return this.entries.map((e) => e.identity);
  }

  async pinState(_identityId: string): Promise<PinState> {
    return { retriesLeft: null, low: false, finalTry: false, locked: false };
  }

  async sign(identityId: string, data: Uint8Array, algorithm: SignatureAlgorithm, pin: string): Promise<Uint8Array> {
    return this.withKey(identityId, algorithm, pin, (pkcs8, cert) => signWith(pkcs8, cert, data, algorithm));
  }

  async signDigest(identityId: string, digest: Uint8Array, algorithm: SignatureAlgorithm, pin: string): Promise<Uint8Array> {
    return this.withKey(identityId, algorithm, pin, (pkcs8, cert) => signDigestWith(pkcs8, cert, digest, algorithm));
  }

  async decrypt(identityId: string, ciphertext: Uint8Array, algorithm: SignatureAlgorithm, pin: string): Promise<Uint8Array> {
    return this.withKey(identityId, algorithm, pin, (pkcs8, cert) => decryptWith(pkcs8, cert, ciphertext));
  }

  /** Opens the file with the PIN, finds the identity's key, runs `use` on it, then wipes it. */
  private async withKey<T>(identityId: string, algorithm: SignatureAlgorithm, pin: string, use: (pkcs8: Uint8Array, cert: ParsedCertificate) => T): Promise<T> {
    const kdf = new KdfSession();
    try {
      return await this.withKeyInSession(identityId, algorithm, pin, use, kdf);
    } finally {
      kdf.wipe();
    }
  }

  private async withKeyInSession<T>(identityId: string, algorithm: SignatureAlgorithm, pin: string, use: (pkcs8: Uint8Array, cert: ParsedCertificate) => T, kdf: KdfSession): Promise<T> {
    const contents = await this.decode(pin, kdf);
    const entries = this.buildEntries(contents);
    const known = this.entries?.find((e) => e.identity.id === identityId);
    const entry = entries.find((e) => e.identity.id === identityId && (!known || known.fingerprint === e.fingerprint));
    if (!entry) throw new AssistantError('IDENTITY_NOT_FOUND', '找不到所选证书（文件可能已被更换），请重新选择', { en: 'identity not found (file changed?)', details: { identityId } });
    if (entry.identity.algorithm !== algorithm) {
      throw new AssistantError('ALGORITHM_MISMATCH', `该证书的密钥只能使用 ${entry.identity.algorithm} 签名`, { en: `this key signs with ${entry.identity.algorithm}`, details: { requested: algorithm } });
    }
    const bag = contents.keys[entry.keyIndex]!;
    let pkcs8: Uint8Array | undefined;
    try {
      try {
        pkcs8 = bag.pkcs8 ? new Uint8Array(bag.pkcs8) : decryptPkcs8(bag.encrypted!, pin, kdf);
      } catch (e) {
        if (e instanceof AssistantError && (e.code === 'PFX_BAD_PASSWORD' || e.code === 'PFX_PASSWORD_REQUIRED')) throw pinIncorrect();
        throw e;
      }
      return use(pkcs8, parseCertificate(entry.identity.certificate));
    } finally {
      pkcs8?.fill(0);
      bag.pkcs8?.fill(0);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.entries = null;
  }
}

function mismatch(): AssistantError {
  return new AssistantError('KEY_CERT_MISMATCH', 'PFX 文件中的私钥与证书不匹配', { en: 'private key does not match the certificate' });
}

/** Proves an RSA or SM2 PKCS#8 key is the certificate's (before it signs a digest or decrypts). */
function keyFor(pkcs8: Uint8Array, cert: ParsedCertificate): { kind: 'SM2'; d: string } | { kind: 'RSA'; key: KeyObject } {
  const info = describePrivateKey(pkcs8);
  if (cert.publicKey.kind === 'SM2') {
    if (info.kind !== 'SM2') throw mismatch();
    const d = sm2PrivateKeyHex(pkcs8);
    if (sm2PublicKeyFromPrivate(d).toLowerCase() !== bytesToHex(cert.publicKey.keyBytes).toLowerCase()) throw mismatch();
    return { kind: 'SM2', d };
  }
  if (cert.publicKey.kind !== 'RSA' || info.kind !== 'RSA') throw notRsaOrSm2();
  const key = nodePrivateKey(pkcs8);
  const pub = createPublicKey({ key: Buffer.from(cert.publicKey.spki), format: 'der', type: 'spki' });
  if (key.export({ format: 'jwk' }).n !== pub.export({ format: 'jwk' }).n) throw mismatch();
  return { kind: 'RSA', key };
}

function notRsaOrSm2(): AssistantError {
  return new AssistantError('OPERATION_NOT_SUPPORTED', '该证书的密钥类型不支持此操作（仅 RSA 与 SM2）', { en: 'only RSA and SM2 keys can do this' });
}

/** RSA: PKCS#1 v1.5 over DigestInfo (SHA-1 or SHA-256 by length); SM2: DER r,s over e. */
export function signDigestWith(pkcs8: Uint8Array, cert: ParsedCertificate, digest: Uint8Array, algorithm: SignatureAlgorithm): Uint8Array {
  const k = keyFor(pkcs8, cert);
  if ((k.kind === 'SM2') !== (algorithm === 'SM2-SM3')) throw mismatch();
  if (k.kind === 'SM2') {
    if (digest.length !== 32) throw new AssistantError('DIGEST_LENGTH', 'SM2 摘要应为 32 字节', { en: 'an SM2 digest is 32 bytes' });
    return sm2SignHash(k.d, digest);
  }
  const hash = digestNameForLength(digest.length);
  if (!hash) throw new AssistantError('DIGEST_LENGTH', '摘要长度应为 20（SHA-1）或 32（SHA-256）字节', { en: 'digest must be 20 (SHA-1) or 32 (SHA-256) bytes' });
  // Type-1 padding around the DigestInfo: exactly what a PKCS#1 v1.5 signature is.
  return new Uint8Array(privateEncrypt({ key: k.key, padding: constants.RSA_PKCS1_PADDING }, digestInfo(hash, digest)));
}

/** RSA PKCS#1 v1.5 or SM2 (C1C3C2 / DER) decryption with the certificate's key. */
export function decryptWith(pkcs8: Uint8Array, cert: ParsedCertificate, ciphertext: Uint8Array): Uint8Array {
  const k = keyFor(pkcs8, cert);
  if (k.kind === 'RSA') return rsaPkcs1Decrypt(k.key, ciphertext);
  const out = sm2Decrypt(k.d, ciphertext);
  if (!out) throw decryptFailed();
  return out;
}

/** Signs with a PKCS#8 key and proves the key belongs to `cert` before returning. */
export function signWith(pkcs8: Uint8Array, cert: ParsedCertificate, data: Uint8Array, algorithm: SignatureAlgorithm): Uint8Array {
  const info = describePrivateKey(pkcs8);
  if (algorithm === 'SM2-SM3') {
    if (info.kind !== 'SM2') throw mismatch();
    const d = sm2PrivateKeyHex(pkcs8);
    if (sm2PublicKeyFromPrivate(d).toLowerCase() !== bytesToHex(cert.publicKey.keyBytes).toLowerCase()) throw mismatch();
    return sm2Sign(d, data);
  }
  const key: KeyObject = nodePrivateKey(pkcs8);
  const pub = createPublicKey({ key: Buffer.from(cert.publicKey.spki), format: 'der', type: 'spki' });
  if (algorithm === 'RS256') {
    if (info.kind !== 'RSA') throw mismatch();
    const sig = cryptoSign('sha256', data, key);
    if (!cryptoVerify('sha256', data, pub, sig)) throw mismatch();
    return new Uint8Array(sig);
  }
  if (info.kind !== 'EC') throw mismatch();
  const sig = cryptoSign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
  if (!cryptoVerify('sha256', data, { key: pub, dsaEncoding: 'ieee-p1363' }, sig)) throw mismatch();
  return new Uint8Array(sig);
}
