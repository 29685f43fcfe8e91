/**
 * RSA PKCS#1 v1.5 pieces the key stores share (RFC 8017): the DigestInfo a signature over a
 * precomputed digest wraps, and the decryption padding check. Node ≥ 20 refuses PKCS#1 v1.5 in
 * privateDecrypt (CVE-2023-46809, the Marvin timing oracle); our decryptions each need a user's
 * consent, so no oracle exists — the key does the raw RSA step and the padding is checked here
 * without early exits.
 */
import { constants, privateDecrypt, type KeyObject } from 'node:crypto';
import { AssistantError } from '../errors.ts';

export type DigestName = 'sha1' | 'sha256';

/** DER DigestInfo prefixes (RFC 8017 §9.2 note 1). */
const DIGEST_INFO_PREFIX: Record<DigestName, Buffer> = {
  sha1: Buffer.from('3021300906052b0e03021a05000414', 'hex'),
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
};
const DIGEST_LENGTH: Record<DigestName, number> = { sha1: 20, sha256: 32 };

/** The digest a prehashed RSA signature is for, told by its length (20 SHA-1, 32 SHA-256). */
export function digestNameForLength(length: number): DigestName | null {
  return length === 20 ? 'sha1' : length === 32 ? 'sha256' : null;
}

/** DigestInfo{hash, digest}: what PKCS#1 v1.5 signs (CKM_RSA_PKCS, SKF_RSASignData, privateEncrypt). */
export function digestInfo(hash: DigestName, digest: Uint8Array): Uint8Array {
  if (digest.length !== DIGEST_LENGTH[hash]) {
    throw new AssistantError('DIGEST_LENGTH', `摘要长度与算法不符（${hash} 应为 ${DIGEST_LENGTH[hash]} 字节）`, { en: `digest length does not fit ${hash}` });
  }
  return new Uint8Array(Buffer.concat([DIGEST_INFO_PREFIX[hash], digest]));
}

export function decryptFailed(): AssistantError {
  return new AssistantError('DECRYPT_FAILED', '解密失败：密文不是用该证书加密的，或已损坏', { en: 'decryption failed: not encrypted for this certificate, or damaged' });
}

/**
 * EM = 0x00 ‖ 0x02 ‖ PS (≥ 8 non-zero bytes) ‖ 0x00 ‖ M: returns M, or throws DECRYPT_FAILED.
 * Every byte is looked at whatever it holds.
 */
export function pkcs1v15Unpad(em: Uint8Array): Uint8Array {
  let bad = em.length < 11 ? 1 : 0;
  bad |= em[0]! | (em[1]! ^ 0x02);
  let sep = 0;
  let found = 0;
  for (let i = 2; i < em.length; i++) {
    const isZero = em[i] === 0 ? 1 : 0;
    const first = isZero & (found ^ 1);
    sep = first ? i : sep;
    found |= isZero;
  }
  bad |= found ^ 1;
  bad |= sep < 10 ? 1 : 0;
  if (bad) throw decryptFailed();
  // A copy, not a view: callers wipe `em` (Buffer.slice would share its memory).
  return new Uint8Array(em.subarray(sep + 1));
}

/** RSA PKCS#1 v1.5 decryption with a private key: the raw RSA step in OpenSSL, the padding here. */
export function rsaPkcs1Decrypt(key: KeyObject, ciphertext: Uint8Array): Uint8Array {
  const k = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  if (ciphertext.length !== k) throw decryptFailed();
  let em: Buffer;
  try {
    em = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, ciphertext);
  } catch {
    throw decryptFailed();
  }
  try {
    return pkcs1v15Unpad(em);
  } finally {
    em.fill(0);
  }
}
