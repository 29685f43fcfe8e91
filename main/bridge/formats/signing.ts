/**
 * Raw signatures as the CA assistants return them (docs/compat.md「数据格式」): SOF_SignData /
 * SOF_VerifySignedData, SOF_VerifySignedHashData, SOF_HashData, SOF_GenRandom, and HEBCA's
 * SignText/SignB64/Digest. RSA: base64 PKCS#1 v1.5 (the DigestInfo names the hash); SM2: base64
 * DER SEQUENCE{r,s} over SM3(Z_A ‖ M), Z_A over the default ID 1234567812345678 (GM/T 0009).
 */
import { createHash, publicDecrypt, constants as cryptoConstants, randomBytes as nodeRandomBytes } from 'node:crypto';
import { AssistantError } from '../../errors.ts';
import type { PublicKeyInfo } from '../../pki/certificate.ts';
import { children, expectTag, oidText, readTlv } from '../../pki/der-reader.ts';
import { publicKeyObject } from '../../pki/public-key.ts';
import { bytesToHex, sm2MessageHash, sm2Verify, sm2VerifyHash, sm3 } from '../../pki/sm2.ts';
import { certificateFromBase64 } from './cert-info.ts';

/** GM/T 0006 algorithm identifiers the SOF calls take. */
export const SGD = {
  SM3: 0x00000001,
  SHA1: 0x00000002,
  SHA256: 0x00000004,
  SHA1_RSA: 0x00010002,
  SHA256_RSA: 0x00010004,
  SM3_SM2: 0x00020201,
} as const;

export type SofHash = 'sha1' | 'sha256' | 'sm3';
export type SofKeyKind = 'RSA' | 'SM2';

/** Hash OIDs of a PKCS#1 v1.5 DigestInfo, and the Node hash each names. */
export const DIGEST_OIDS: Record<string, 'sha1' | 'sha256' | 'sha384' | 'sha512' | 'sm3'> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.2.156.10197.1.401': 'sm3',
};

/**
 * Signs a whole message with the key behind a certificate (the bridge builds it from the key
 * store, after the consent). RSA: PKCS#1 v1.5 over `hash`; SM2: DER r,s over SM3 with Z_A.
 */
export interface MessageSigner {
  keyKind: SofKeyKind;
  sign(message: Uint8Array, hash: SofHash): Promise<Uint8Array>;
}

function bad(code: string, zh: string, en: string): AssistantError {
  return new AssistantError(code, zh, { en });
}

/** The sign method a key can use: SGD_SHA1_RSA/SGD_SHA256_RSA for RSA, SGD_SM3_SM2 for SM2. */
export function signMethodHash(method: number, keyKind: SofKeyKind): SofHash {
  if (keyKind === 'SM2') {
    if (method === SGD.SM3_SM2) return 'sm3';
  } else if (method === SGD.SHA1_RSA) return 'sha1';
  else if (method === SGD.SHA256_RSA) return 'sha256';
  throw bad('SOF_SIGN_METHOD', `签名算法 0x${(Number(method) >>> 0).toString(16).padStart(8, '0')} 与证书密钥（${keyKind}）不符`, `sign method does not fit the ${keyKind} key`);
}

/** The default sign method for a key: SHA-256 for RSA (SHA-1 only when the page sets it), SM3 for SM2. */
export function defaultSignMethod(keyKind: SofKeyKind): number {
  return keyKind === 'SM2' ? SGD.SM3_SM2 : SGD.SHA256_RSA;
}

/** SOF_SetSignMethod's valid values. */
export function isSignMethod(method: unknown): method is number {
  return method === SGD.SHA1_RSA || method === SGD.SHA256_RSA || method === SGD.SM3_SM2;
}

/** Page strings are signed as their UTF-8 bytes. */
export function messageBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? new TextEncoder().encode(data) : data;
}

/** Strict base64 (whitespace tolerated): bytes, or null when it is not base64. */
export function decodeBase64(s: unknown, maxBytes = 16 * 1024 * 1024): Uint8Array | null {
  if (typeof s !== 'string') return null;
  const body = s.replace(/\s+/g, '');
  if (body.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(body) || (body.length / 4) * 3 > maxBytes + 2) return null;
  return new Uint8Array(Buffer.from(body, 'base64'));
}

const b64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

/** SOF_SignData / HEBCA SignText: base64 of the raw signature over the message. */
export async function sofSignData(signer: MessageSigner, method: number, data: string | Uint8Array): Promise<string> {
  const hash = signMethodHash(method, signer.keyKind);
  return b64(await signer.sign(messageBytes(data), hash));
}

/** The hash and digest inside an RSA PKCS#1 v1.5 signature, or null when it is not one. */
export function rsaSignedDigest(pk: PublicKeyInfo, signature: Uint8Array): { hash: string; digest: Uint8Array } | null {
  if (pk.kind !== 'RSA') return null;
  let info: Buffer;
  try {
    info = publicDecrypt({ key: publicKeyObject(pk), padding: cryptoConstants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return null;
  }
  try {
    const top = expectTag(readTlv(info, 0, info.length), 0x30, 'DigestInfo');
    if (top.end !== info.length) return null;
    const [alg, digest] = children(info, top, 2);
    const algParts = children(info, expectTag(alg, 0x30, 'DigestInfo'), 2);
    if (algParts[1] && !(algParts[1].tag === 0x05 && algParts[1].end === algParts[1].body)) return null;
    const hash = DIGEST_OIDS[oidText(info, algParts[0]!)];
    const d = expectTag(digest, 0x04, 'DigestInfo');
    if (!hash) return null;
    return { hash, digest: new Uint8Array(info.subarray(d.body, d.end)) };
  } catch {
    return null;
  }
}

function digestOf(hash: string, data: Uint8Array): Uint8Array {
  return hash === 'sm3' ? sm3(data) : new Uint8Array(createHash(hash).update(data).digest());
}

export interface SignatureCheck {
  ok: boolean;
  /** The hash the signature used (RSA: from its DigestInfo; SM2: sm3). */
  hash?: string;
}

/** Hashes an RSA signature may use for a SOF message: SHA-1 and the SHA-2 family. */
const RSA_MESSAGE_HASHES = new Set(['sha1', 'sha256', 'sha384', 'sha512']);

/**
 * Verifies a raw signature over a message against a public key: RSA PKCS#1 v1.5 with whichever
 * hash its DigestInfo names (SHA-1 or SHA-2), SM2 DER over SM3 with Z_A (default ID). Never throws.
 */
export function verifyMessageSignature(pk: PublicKeyInfo, message: Uint8Array, signature: Uint8Array): SignatureCheck {
  if (pk.kind === 'SM2') return { ok: sm2Verify(bytesToHex(pk.keyBytes), message, signature), hash: 'sm3' };
  const inner = rsaSignedDigest(pk, signature);
  if (!inner || !RSA_MESSAGE_HASHES.has(inner.hash)) return { ok: false };
  const want = digestOf(inner.hash, message);
  return { ok: Buffer.compare(Buffer.from(want), Buffer.from(inner.digest)) === 0, hash: inner.hash };
}

/** SOF_VerifySignedData(cert, data, signature): true when the signature is the certificate key's over data. */
export function sofVerifySignedData(certB64: string, data: string | Uint8Array, signatureB64: string): boolean {
  const sig = decodeBase64(signatureB64, 1024);
  if (!sig || sig.length === 0) return false;
  const cert = certificateFromBase64(certB64);
  return verifyMessageSignature(cert.publicKey, messageBytes(data), sig).ok;
}

/** SM3(Z_A ‖ M) for an SM2 key: the value an SM2 signature actually signs (GM/T 0009 default ID). */
export function sm2SignedHash(pk: PublicKeyInfo, message: Uint8Array): Uint8Array {
  return sm2MessageHash(bytesToHex(pk.keyBytes), message);
}

/**
 * SOF_VerifySignedHashData(cert, hash, signature): RSA checks the DigestInfo's digest equals
 * `hash` (length picks SHA-1 or SHA-256); SM2 checks the signature over `hash` taken as e
 * (already SM3(Z_A ‖ M)). Never throws for bad signatures.
 */
export function sofVerifySignedHashData(certB64: string, hashB64: string, signatureB64: string): boolean {
  const hash = decodeBase64(hashB64, 64);
  const sig = decodeBase64(signatureB64, 1024);
  if (!hash || !sig || hash.length === 0 || sig.length === 0) return false;
  const cert = certificateFromBase64(certB64);
  const pk = cert.publicKey;
  if (pk.kind === 'SM2') {
    return sm2VerifyHash(bytesToHex(pk.keyBytes), hash, sig);
  }
  const inner = rsaSignedDigest(pk, sig);
  return !!inner && RSA_MESSAGE_HASHES.has(inner.hash) && Buffer.compare(Buffer.from(inner.digest), Buffer.from(hash)) === 0;
}

/** SGD hash id → hash name (SOF_HashData's first argument). */
export function sofHashAlgorithm(alg: number): SofHash {
  if (alg === SGD.SM3 || alg === SGD.SM3_SM2) return 'sm3';
  if (alg === SGD.SHA1 || alg === SGD.SHA1_RSA) return 'sha1';
  if (alg === SGD.SHA256 || alg === SGD.SHA256_RSA) return 'sha256';
  throw bad('SOF_HASH_ALGORITHM', `不支持的摘要算法 ${Number(alg)}`, `unsupported hash algorithm ${Number(alg)}`);
}

/** SOF_HashData(alg, data) / HEBCA Digest: base64 of the plain digest (no Z_A). */
export function sofHashData(hash: SofHash, data: string | Uint8Array): string {
  return b64(digestOf(hash, messageBytes(data)));
}

/** Largest SOF_GenRandom a page may ask for. */
export const MAX_RANDOM_BYTES = 1024;

/** SOF_GenRandom(len): base64 of `len` random bytes from the system CSPRNG. */
export function sofGenRandom(len: number, randomBytes: (n: number) => Uint8Array = nodeRandomBytes): string {
  if (!Number.isInteger(len) || len < 1 || len > MAX_RANDOM_BYTES) throw bad('SOF_RANDOM_LENGTH', `随机数长度须为 1–${MAX_RANDOM_BYTES} 字节`, `random length must be 1-${MAX_RANDOM_BYTES} bytes`);
  return b64(randomBytes(len));
}
