/** Signature checks the verifier needs beyond certificates: the token's own signature, and CRLs. */
import { constants as cryptoConstants, createHash, publicDecrypt, verify as cryptoVerify } from 'node:crypto';
import { children, expectTag, oidText, readTlv } from '../pki/der-reader.ts';
import type { ParsedCertificate, PublicKeyInfo } from '../pki/certificate.ts';
import { OID, SIGNATURE_ALGORITHMS } from '../pki/oids.ts';
import { publicKeyObject as nodeKey } from '../pki/public-key.ts';
import { bytesToHex, sm2Verify } from '../pki/sm2.ts';
import { signatureAlgorithmFor, type SignatureAlgorithm } from '../pki/signature-algorithm.ts';
import { TAG } from '../pki/asn1-tags.ts';

/** Smallest RSA modulus a login key may have. */
export const MIN_RSA_BITS = 2048;

const KEY_NEEDED: Record<SignatureAlgorithm, { zh: string; en: string }> = {
  'RS256': { zh: 'RS256 需要 RSA 密钥', en: 'RS256 needs an RSA key' },
  'ES256': { zh: 'ES256 需要 P-256 椭圆曲线密钥', en: 'ES256 needs a P-256 key' },
  'SM2-SM3': { zh: 'SM2-SM3 需要 SM2 密钥', en: 'SM2-SM3 needs an SM2 key' },
};

/** Why a token algorithm label does not fit a key, or null when it fits. */
export function algorithmMismatch(alg: SignatureAlgorithm, pk: PublicKeyInfo): { zh: string; en: string } | null {
  if (signatureAlgorithmFor(pk) !== alg) return KEY_NEEDED[alg];
  if (alg === 'RS256' && (pk.bits ?? 0) < MIN_RSA_BITS) return { zh: `RSA 密钥仅 ${pk.bits} 位，至少需要 ${MIN_RSA_BITS} 位`, en: `RSA key has ${pk.bits} bits, at least ${MIN_RSA_BITS} required` };
  return null;
}

/**
 * Verifies a token signature over `data` (tbs, or CMS signed attributes). ECDSA signatures come
 * as P1363 r||s in JSON tokens and as DER inside CMS. Never throws.
 */
export function verifyTokenSignature(alg: SignatureAlgorithm, pk: PublicKeyInfo, data: Uint8Array, signature: Uint8Array, ecdsaEncoding: 'ieee-p1363' | 'der'): boolean {
  try {
    if (alg === 'SM2-SM3') return sm2Verify(bytesToHex(pk.keyBytes), data, signature);
    if (alg === 'ES256') {
      if (ecdsaEncoding === 'ieee-p1363' && signature.length !== 64) return false;
      return cryptoVerify('sha256', data, { key: nodeKey(pk), dsaEncoding: ecdsaEncoding }, signature);
    }
    return cryptoVerify('sha256', data, nodeKey(pk), signature);
  } catch {
    return false;
  }
}

/** Verifies an X.509-style signed structure (a CRL) against its issuer's certificate. Never throws. */
export function verifySignedStructure(issuer: ParsedCertificate, algorithmOid: string, tbs: Uint8Array, signature: Uint8Array): boolean {
  const alg = SIGNATURE_ALGORITHMS[algorithmOid];
  if (!alg) return false;
  try {
    if (alg.key === 'SM2') return issuer.publicKey.kind === 'SM2' && sm2Verify(bytesToHex(issuer.publicKey.keyBytes), tbs, signature);
    if (alg.key === 'RSA') return issuer.publicKey.kind === 'RSA' && cryptoVerify(alg.hash, tbs, nodeKey(issuer.publicKey), signature);
    if (alg.key === 'EC') return issuer.publicKey.kind === 'EC' && cryptoVerify(alg.hash, tbs, nodeKey(issuer.publicKey), signature);
    return false;
  } catch {
    return false;
  }
}

/** Hash OIDs of a PKCS#1 v1.5 DigestInfo, and the Node hash each names. */
export const DIGEST_OIDS: Record<string, 'sha1' | 'sha256' | 'sha384' | 'sha512' | 'sm3'> = {
  [OID.sha1]: 'sha1',
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
  [OID.sm3]: 'sm3',
};

/** The hash and digest inside an RSA PKCS#1 v1.5 signature, or null when it is not one. */
export function rsaSignedDigest(pk: PublicKeyInfo, signature: Uint8Array): { hash: string; digest: Uint8Array } | null {
  if (pk.kind !== 'RSA') return null;
  let info: Buffer;
  try {
    info = publicDecrypt({ key: nodeKey(pk), padding: cryptoConstants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return null;
  }
  try {
    const top = expectTag(readTlv(info, 0, info.length), TAG.sequence, 'DigestInfo');
    if (top.end !== info.length) return null;
    const [alg, digest] = children(info, top, 2);
    const algParts = children(info, expectTag(alg, TAG.sequence, 'DigestInfo'), 2);
    if (algParts[1] && !(algParts[1].tag === TAG.null && algParts[1].end === algParts[1].body)) return null;
    const hash = DIGEST_OIDS[oidText(info, algParts[0]!)];
    const d = expectTag(digest, TAG.octetString, 'DigestInfo');
    if (!hash) return null;
    return { hash, digest: new Uint8Array(info.subarray(d.body, d.end)) };
  } catch {
    return null;
  }
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
  const want = createHash(inner.hash).update(message).digest();
  return { ok: Buffer.compare(Buffer.from(want), Buffer.from(inner.digest)) === 0, hash: inner.hash };
}

