/**
 * Password-based encryption as PKCS#12 files use it: the PKCS#12 KDF (RFC 7292 B.2) with
 * 3DES/RC2 for legacy files, PBES2 (PBKDF2 + AES/3DES/SM4) for modern ones, and the PFX MAC.
 * Node's crypto does hashes, PBKDF2, AES and 3DES (all present in Electron's BoringSSL);
 * node-forge does RC2 (OpenSSL 3 keeps it in the legacy provider); sm-crypto-v2 does SM4.
 */
import { createDecipheriv, createHash, createHmac, pbkdf2, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import * as asn1js from 'asn1js';
import forge from 'node-forge';
import { sm4 } from 'sm-crypto-v2';
import { AssistantError } from '../errors.ts';
import { iterateHash } from './iterated-hash.ts';
import { OID, OID_ARC } from './oids.ts';

const HMAC_PRF: Record<string, string> = {
  [OID.hmacWithSha1]: 'sha1',
  [OID.hmacWithSha224]: 'sha224',
  [OID.hmacWithSha256]: 'sha256',
  [OID.hmacWithSha384]: 'sha384',
  [OID.hmacWithSha512]: 'sha512',
};

export const DIGESTS: Record<string, { name: string; u: number; v: number }> = {
  [OID.sha1]: { name: 'sha1', u: 20, v: 64 },
  [OID.sha224]: { name: 'sha224', u: 28, v: 64 },
  [OID.sha256]: { name: 'sha256', u: 32, v: 64 },
  [OID.sha384]: { name: 'sha384', u: 48, v: 128 },
  [OID.sha512]: { name: 'sha512', u: 64, v: 128 },
};

const CIPHERS: Record<string, { name: string; keyLen: number; kind: 'node' | 'sm4' }> = {
  [OID.aes128Cbc]: { name: 'aes-128-cbc', keyLen: 16, kind: 'node' },
  [OID.aes192Cbc]: { name: 'aes-192-cbc', keyLen: 24, kind: 'node' },
  [OID.aes256Cbc]: { name: 'aes-256-cbc', keyLen: 32, kind: 'node' },
  [OID.desEde3Cbc]: { name: 'des-ede3-cbc', keyLen: 24, kind: 'node' },
  [OID.sm4Cbc]: { name: 'sm4-cbc', keyLen: 16, kind: 'sm4' },
};

/** An iteration INTEGER above this is not a count any tool writes (what a file may cost is KdfSession's budget). */
export const MAX_ITERATIONS = 0x7fff_ffff;

/** Most KDF work one file (or one encrypted key) may ask for: see PFX_LIMITS in pkcs12.ts. */
export const MAX_KDF_WORK = 2_000_000;

export class PasswordDecryptError extends Error {}

/** Names for algorithms we recognise but do not implement, so the message says what it is. */
const UNSUPPORTED_NAMES: Record<string, string> = {
  [OID.camellia128Cbc]: 'Camellia-128-CBC',
  [OID.camellia192Cbc]: 'Camellia-192-CBC',
  [OID.camellia256Cbc]: 'Camellia-256-CBC',
  [OID.pbeWithMd5AndDesCbc]: 'PBE-MD5-DES',
  [OID.pbeWithSha1AndDesCbc]: 'PBE-SHA1-DES',
  [OID.pbeWithMd5AndRc2Cbc]: 'PBE-MD5-RC2',
  [OID.pbeWithSha1AndRc2Cbc]: 'PBE-SHA1-RC2',
  [OID.gostR3411_2012_256]: 'GOST R 34.11-2012',
};

export function unsupported(oidOrName: string): AssistantError {
  const what = UNSUPPORTED_NAMES[oidOrName] ? `${UNSUPPORTED_NAMES[oidOrName]} (${oidOrName})` : oidOrName;
  return new AssistantError('PFX_UNSUPPORTED_ALGORITHM', `不支持的 PFX 加密算法：${what}。请用较新的工具重新导出（如 AES-256 + SHA-256）`, {
    en: `unsupported PFX algorithm: ${what}; re-export with AES-256/SHA-256`,
    details: { algorithm: what },
  });
}

export function pfxMalformed(why: string, en: string): AssistantError {
  return new AssistantError('PFX_MALFORMED', `PFX 文件结构错误：${why}`, { en: `malformed PFX file: ${en}` });
}

/** PKCS#12 passwords for the KDF: BMPString (UTF-16BE) with a two-byte terminator. */
export function bmpPassword(password: string): Uint8Array {
  const out = Buffer.alloc(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) out.writeUInt16BE(password.charCodeAt(i), i * 2);
  return out;
}

/** RFC 7292 Appendix B.2. `password` already BMP-encoded (or empty for a null password). */
export function pkcs12Kdf(hash: { name: string; u: number; v: number }, password: Uint8Array, salt: Uint8Array, id: number, iterations: number, n: number): Buffer {
  const { u, v } = hash;
  const fill = (src: Uint8Array): Buffer => {
    if (src.length === 0) return Buffer.alloc(0);
    const len = v * Math.ceil(src.length / v);
    const out = Buffer.alloc(len);
    for (let i = 0; i < len; i++) out[i] = src[i % src.length]!;
    return out;
  };
  const D = Buffer.alloc(v, id);
  const I = Buffer.concat([fill(salt), fill(password)]);
  const blocks = Math.ceil(n / u);
  const out = Buffer.alloc(blocks * u);
  for (let i = 0; i < blocks; i++) {
    const A = iterateHash(hash.name, createHash(hash.name).update(D).update(I).digest(), iterations - 1);
    A.copy(out, i * u);
    if (i + 1 < blocks) {
      // I_j = (I_j + B + 1) mod 2^(8v), B = A repeated to v bytes.
      const B = Buffer.alloc(v);
      for (let k = 0; k < v; k++) B[k] = A[k % u]!;
      for (let j = 0; j < I.length; j += v) {
        let carry = 1;
        for (let k = v - 1; k >= 0; k--) {
          const sum = I[j + k]! + B[k]! + carry;
          I[j + k] = sum & 0xff;
          carry = sum >> 8;
        }
      }
    }
  }
  I.fill(0);
  return out.subarray(0, n);
}

function octets(node: asn1js.AsnType | undefined, what: string): Uint8Array {
  if (!(node instanceof asn1js.OctetString)) throw pfxMalformed(`${what}不是 OCTET STRING`, `${what} is not an OCTET STRING`);
  return octetStringBytes(node);
}

/** Bytes of an OCTET STRING, joining the pieces of a constructed (BER) one. */
export function octetStringBytes(node: asn1js.OctetString): Uint8Array {
  if (!node.idBlock.isConstructed) return node.valueBlock.valueHexView;
  const parts: Uint8Array[] = [];
  for (const p of node.valueBlock.value) {
    if (p instanceof asn1js.OctetString) parts.push(octetStringBytes(p));
  }
  return Buffer.concat(parts);
}

function integer(node: asn1js.AsnType | undefined, what: string): number {
  if (!(node instanceof asn1js.Integer)) throw pfxMalformed(`${what}不是整数`, `${what} is not an INTEGER`);
  const n = node.valueBlock.valueDec;
  if (!Number.isSafeInteger(n) || n < 1) throw pfxMalformed(`${what}无效`, `${what} invalid`);
  return n;
}

function iterationsOf(node: asn1js.AsnType | undefined): number {
  const n = integer(node, '迭代次数');
  // Far beyond any real file; what a file may cost in total is the budget's business (KdfSession).
  if (n > MAX_ITERATIONS) throw pfxMalformed('迭代次数异常', 'absurd iteration count');
  return n;
}

function oidOf(node: asn1js.AsnType | undefined): string {
  if (!(node instanceof asn1js.ObjectIdentifier)) throw pfxMalformed('缺少算法标识', 'missing algorithm identifier');
  return node.valueBlock.toString();
}

function seq(node: asn1js.AsnType | undefined, what: string): asn1js.AsnType[] {
  if (!(node instanceof asn1js.Sequence)) throw pfxMalformed(`${what}不是 SEQUENCE`, `${what} is not a SEQUENCE`);
  return node.valueBlock.value;
}

function nodeDecrypt(cipher: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  try {
    const d = createDecipheriv(cipher, key, iv);
    return Buffer.concat([d.update(data), d.final()]);
  } catch {
    throw new PasswordDecryptError('decrypt');
  }
}

function rc2Decrypt(key: Uint8Array, bits: number, iv: Uint8Array, data: Uint8Array): Buffer {
  const c = forge.rc2.createDecryptionCipher(forge.util.createBuffer(Buffer.from(key).toString('binary')), bits);
  c.start(forge.util.createBuffer(Buffer.from(iv).toString('binary')));
  c.update(forge.util.createBuffer(Buffer.from(data).toString('binary')));
  if (!c.finish()) throw new PasswordDecryptError('decrypt');
  return Buffer.from(c.output.getBytes(), 'binary');
}

/** A password-based encryption scheme as a file declares it, parsed before any key is derived. */
export type PbeScheme =
  | { kind: 'pkcs12'; oid: string; salt: Uint8Array; iterations: number; cipher: 'des-ede3-cbc' | 'des-ede-cbc' | 'rc2'; keyLen: number; rc2Bits?: number }
  | { kind: 'pbes2'; salt: Uint8Array; iterations: number; prf: string; cipher: { name: string; keyLen: number; kind: 'node' | 'sm4' }; iv: Uint8Array };

/** The PFX MAC (MacData) as declared. */
export interface MacScheme {
  hash: { name: string; u: number; v: number };
  expected: Uint8Array;
  salt: Uint8Array;
  iterations: number;
}

const SHA1 = DIGESTS[OID.sha1]!;
const PRF_BYTES: Record<string, number> = { sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };

/**
 * Parses an AlgorithmIdentifier of a PBE scheme (PKCS#12 PBE or PBES2).
 * Throws PFX_UNSUPPORTED_ALGORITHM / PFX_MALFORMED; derives nothing.
 */
export function pbeScheme(alg: asn1js.AsnType): PbeScheme {
  const parts = seq(alg, '加密算法');
  const oid = oidOf(parts[0]);
  if (oid.startsWith(`${OID_ARC.pkcs12Pbe}.`)) {
    const params = seq(parts[1], '加密参数');
    const salt = octets(params[0], '盐值');
    const iterations = iterationsOf(params[1]);
    switch (oid) {
      case OID.pbeWithShaAnd3KeyTripleDesCbc:
        return { kind: 'pkcs12', oid, salt, iterations, cipher: 'des-ede3-cbc', keyLen: 24 };
      case OID.pbeWithShaAnd2KeyTripleDesCbc:
        return { kind: 'pkcs12', oid, salt, iterations, cipher: 'des-ede-cbc', keyLen: 16 };
      case OID.pbeWithShaAnd128BitRc2Cbc:
        return { kind: 'pkcs12', oid, salt, iterations, cipher: 'rc2', keyLen: 16, rc2Bits: 128 };
      case OID.pbeWithShaAnd40BitRc2Cbc:
        return { kind: 'pkcs12', oid, salt, iterations, cipher: 'rc2', keyLen: 5, rc2Bits: 40 };
      default:
        throw unsupported(oid === OID.pbeWithShaAnd128BitRc4 || oid === OID.pbeWithShaAnd40BitRc4 ? 'RC4' : oid);
    }
  }
  if (oid === OID.pbes2) {
    const params = seq(parts[1], 'PBES2 参数');
    const kdf = seq(params[0], '密钥派生算法');
    const kdfOid = oidOf(kdf[0]);
    if (kdfOid !== OID.pbkdf2) throw unsupported(kdfOid);
    const kp = seq(kdf[1], 'PBKDF2 参数');
    const salt = octets(kp[0], '盐值');
    const iterations = iterationsOf(kp[1]);
    let prf = 'sha1';
    let keyLength: number | null = null;
    for (const extra of kp.slice(2)) {
      if (extra instanceof asn1js.Integer) keyLength = extra.valueBlock.valueDec;
      else if (extra instanceof asn1js.Sequence) {
        const prfOid = oidOf(extra.valueBlock.value[0]);
        const name = HMAC_PRF[prfOid];
        if (!name) throw unsupported(prfOid);
        prf = name;
      }
    }
    const enc = seq(params[1], '加密方案');
    const encOid = oidOf(enc[0]);
    const cipher = CIPHERS[encOid];
    if (!cipher) throw unsupported(encOid);
    const iv = octets(enc[1], 'IV');
    if (keyLength !== null && keyLength !== cipher.keyLen) throw pfxMalformed('密钥长度不符', 'key length mismatch');
    return { kind: 'pbes2', salt, iterations, prf, cipher, iv };
  }
  throw unsupported(oid);
}

/**
 * What deriving a scheme's key costs, in hash-chain iterations actually run: the PKCS#12 KDF runs
 * its chain once per output block (key and IV apart), PBKDF2 once per block of its PRF.
 */
export function pbeWork(s: PbeScheme): number {
  if (s.kind === 'pkcs12') return s.iterations * (Math.ceil(s.keyLen / SHA1.u) + 1);
  return s.iterations * Math.ceil(s.cipher.keyLen / PRF_BYTES[s.prf]!);
}

/** macData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 } */
export function macScheme(macData: asn1js.AsnType): MacScheme {
  const parts = seq(macData, 'MAC 数据');
  const digestInfo = seq(parts[0], 'MAC');
  const algOid = oidOf(seq(digestInfo[0], 'MAC 算法')[0]);
  if (algOid === OID.pbmac1) throw unsupported('PBMAC1');
  const hash = DIGESTS[algOid];
  if (!hash) throw unsupported(algOid);
  return { hash, expected: octets(digestInfo[1], 'MAC 值'), salt: octets(parts[1], 'MAC 盐值'), iterations: parts[2] === undefined ? 1 : iterationsOf(parts[2]) };
}

export function macWork(m: MacScheme): number {
  return m.iterations;
}

/** How a password is tried: as typed, or as the "null" password (no bytes at all) some tools write. */
export interface PasswordAttempt {
  password: string;
  nullPassword: boolean;
}

/**
 * The key derivations of one open of one file: each derived key is kept until the open ends, so
 * the same (password, salt, iterations) is never derived twice, and PBKDF2 keys can be derived in
 * Node's thread pool while the MAC is checked on this thread. `wipe()` zeroes them.
 */
export class KdfSession {
  private readonly keys = new Map<string, Buffer>();
  private readonly pending: Promise<unknown>[] = [];
  private readonly started = new Set<string>();
  /** Keys derived so far (each costs its iterations once); tests read it. */
  derivations = 0;

  private static id(parts: (string | number | Uint8Array)[]): string {
    return parts.map((p) => (typeof p === 'object' ? Buffer.from(p).toString('hex') : String(p))).join('|');
  }

  pkcs12(hash: { name: string; u: number; v: number }, attempt: PasswordAttempt, salt: Uint8Array, id: number, iterations: number, n: number): Buffer {
    const k = KdfSession.id(['p12', hash.name, id, n, iterations, salt, attempt.nullPassword ? 'null' : Buffer.from(attempt.password, 'utf8')]);
    let key = this.keys.get(k);
    if (!key) {
      const pw = attempt.nullPassword ? new Uint8Array(0) : bmpPassword(attempt.password);
      key = pkcs12Kdf(hash, pw, salt, id, iterations, n);
      this.derivations++;
      pw.fill(0);
      this.keys.set(k, key);
    }
    return key;
  }

  private pbkdf2Id(password: string, s: Extract<PbeScheme, { kind: 'pbes2' }>): string {
    return KdfSession.id(['pbkdf2', s.prf, s.cipher.keyLen, s.iterations, s.salt, Buffer.from(password, 'utf8')]);
  }

  pbkdf2(password: string, s: Extract<PbeScheme, { kind: 'pbes2' }>): Buffer {
    const k = this.pbkdf2Id(password, s);
    let key = this.keys.get(k);
    if (!key) {
      key = pbkdf2Sync(Buffer.from(password, 'utf8'), s.salt, s.iterations, s.cipher.keyLen, s.prf);
      this.derivations++;
      this.keys.set(k, key);
    }
    return key;
  }

  /** Starts deriving a PBES2 key in the thread pool; `settled()` waits for every one started. */
  prefetch(password: string, s: PbeScheme): void {
    if (s.kind !== 'pbes2') return;
    const k = this.pbkdf2Id(password, s);
    if (this.keys.has(k) || this.started.has(k)) return;
    this.started.add(k);
    this.derivations++;
    this.pending.push(new Promise<void>((resolve) => {
      pbkdf2(Buffer.from(password, 'utf8'), s.salt, s.iterations, s.cipher.keyLen, s.prf, (err, key) => {
        // A failure here is left to the synchronous path, which reports it in its place.
        if (!err && !this.keys.has(k)) this.keys.set(k, key);
        resolve();
      });
    }));
  }

  async settled(): Promise<void> {
    await Promise.all(this.pending.splice(0));
  }

  wipe(): void {
    for (const key of this.keys.values()) key.fill(0);
    this.keys.clear();
    this.started.clear();
  }
}

/**
 * Decrypts `data` under a parsed scheme with `attempt`'s password, deriving through `kdf`.
 * Throws PasswordDecryptError when the padding is wrong (usually: wrong password).
 */
export function pbeDecryptScheme(s: PbeScheme, data: Uint8Array, attempt: PasswordAttempt, kdf: KdfSession): Buffer {
  if (s.kind === 'pkcs12') {
    const key = kdf.pkcs12(SHA1, attempt, s.salt, 1, s.iterations, s.keyLen);
    const iv = kdf.pkcs12(SHA1, attempt, s.salt, 2, s.iterations, 8);
    if (s.cipher === 'rc2') return rc2Decrypt(key, s.rc2Bits!, iv, data);
    return nodeDecrypt('des-ede3-cbc', s.cipher === 'des-ede-cbc' ? Buffer.concat([key, key.subarray(0, 8)]) : key, iv, data);
  }
  const key = kdf.pbkdf2(attempt.password, s);
  if (s.cipher.kind === 'sm4') {
    try {
      const out = sm4.decrypt(data, key, { mode: 'cbc', iv: s.iv, output: 'array', padding: 'pkcs#7' });
      return Buffer.from(out);
    } catch {
      throw new PasswordDecryptError('decrypt');
    }
  }
  return nodeDecrypt(s.cipher.name, key, s.iv, data);
}

/**
 * Decrypts `data` encrypted under the AlgorithmIdentifier `alg` with `password`.
 * Throws PasswordDecryptError when the padding is wrong (usually: wrong password),
 * AssistantError PFX_UNSUPPORTED_ALGORITHM / PFX_MALFORMED otherwise.
 */
export function pbeDecrypt(alg: asn1js.AsnType, data: Uint8Array, password: string, nullPassword = false, kdf: KdfSession = new KdfSession()): Buffer {
  const scheme = pbeScheme(alg);
  // A lone encrypted key (PKCS#8 PEM/DER) gets the cap a whole PFX file gets (PFX_LIMITS).
  const work = pbeWork(scheme);
  if (work > MAX_KDF_WORK) {
    throw new AssistantError('KEY_TOO_EXPENSIVE', `加密私钥要求的密钥计算量过大（${work.toLocaleString('en-US')} 次迭代，上限 ${MAX_KDF_WORK.toLocaleString('en-US')}），已拒绝解密`, {
      en: `the encrypted key asks for too much key-derivation work (${work} iterations, limit ${MAX_KDF_WORK}); refused`, details: { work, limit: MAX_KDF_WORK },
    });
  }
  return pbeDecryptScheme(scheme, data, { password, nullPassword }, kdf);
}

/** True when the MAC matches under `attempt`'s password. */
export function checkMacScheme(m: MacScheme, authSafe: Uint8Array, attempt: PasswordAttempt, kdf: KdfSession): boolean {
  const key = kdf.pkcs12(m.hash, attempt, m.salt, 3, m.iterations, m.hash.u);
  const mac = createHmac(m.hash.name, key).update(authSafe).digest();
  return mac.length === m.expected.length && timingSafeEqual(mac, m.expected);
}

/** Checks the PFX MacData against `password`; true when it matches. */
export function checkPfxMac(macData: asn1js.AsnType, authSafe: Uint8Array, password: string, nullPassword = false, kdf: KdfSession = new KdfSession()): boolean {
  return checkMacScheme(macScheme(macData), authSafe, { password, nullPassword }, kdf);
}
