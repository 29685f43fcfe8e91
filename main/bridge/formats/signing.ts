/**
 * Raw signatures as the CA assistants return them (docs/compat.md「数据格式」): SOF_SignData /
 * SOF_VerifySignedData, SOF_VerifySignedHashData, SOF_HashData, SOF_GenRandom, and HEBCA's
 * SignText/SignB64/Digest. RSA: base64 PKCS#1 v1.5 (the DigestInfo names the hash); SM2: base64
 * DER SEQUENCE{r,s} over SM3(Z_A ‖ M), Z_A over the default ID 1234567812345678 (GM/T 0009).
 */
import { createHash, randomBytes as nodeRandomBytes } from 'node:crypto';
import { AssistantError } from '../../errors.ts';
import type { PublicKeyInfo } from '../../pki/certificate.ts';
import { DIGEST_OIDS, rsaSignedDigest, verifyMessageSignature, type SignatureCheck } from '../../login/signature.ts';
import { bytesToHex, SM2_DEFAULT_USER_ID, sm2MessageHash, sm2VerifyHash, sm3 } from '../../pki/sm2.ts';
import { certificateFromBase64 } from './cert-info.ts';

export { DIGEST_OIDS, rsaSignedDigest, verifyMessageSignature, type SignatureCheck };

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
  return !!inner && inner.hash !== 'sm3' && Buffer.compare(Buffer.from(inner.digest), Buffer.from(hash)) === 0;
}

function digestOf(hash: string, data: Uint8Array): Uint8Array {
  return hash === 'sm3' ? sm3(data) : new Uint8Array(createHash(hash).update(data).digest());
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

/** Longest signer ID SOF_HashDataEx takes (Z_A encodes its bit length in two bytes). */
const MAX_SM2_ID_BYTES = 1024;

/**
 * SOF_HashDataEx(alg, data, cert, id): with SM3 and an SM2 certificate, SM3(Z_A ‖ M) with that
 * certificate's key and the signer ID (GM/T 0009's default when the page gives none) — the e that
 * SOF_SignHashData then signs; otherwise (no certificate, or not SM2/SM3) the plain digest.
 */
export function sofHashDataEx(hash: SofHash, data: string | Uint8Array, certB64: string, id: string): string {
  if (hash !== 'sm3' || certB64 === '') return sofHashData(hash, data);
  const cert = certificateFromBase64(certB64);
  if (cert.publicKey.kind !== 'SM2') return sofHashData(hash, data);
  const userId = id === '' ? SM2_DEFAULT_USER_ID : id;
  if (Buffer.byteLength(userId, 'utf8') > MAX_SM2_ID_BYTES) throw bad('SOF_SM2_ID', '签名者标识过长', 'signer ID too long');
  return b64(sm2MessageHash(bytesToHex(cert.publicKey.keyBytes), messageBytes(data), userId));
}

/** Largest SOF_GenRandom a page may ask for. */
export const MAX_RANDOM_BYTES = 1024;

/** SOF_GenRandom(len): base64 of `len` random bytes from the system CSPRNG. */
export function sofGenRandom(len: number, randomBytes: (n: number) => Uint8Array = nodeRandomBytes): string {
  if (!Number.isInteger(len) || len < 1 || len > MAX_RANDOM_BYTES) throw bad('SOF_RANDOM_LENGTH', `随机数长度须为 1–${MAX_RANDOM_BYTES} 字节`, `random length must be 1-${MAX_RANDOM_BYTES} bytes`);
  return b64(randomBytes(len));
}
