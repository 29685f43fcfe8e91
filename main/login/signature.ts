/** Signature checks the verifier needs beyond certificates: the token's own signature, and CRLs. */
import { verify as cryptoVerify } from 'node:crypto';
import type { ParsedCertificate, PublicKeyInfo } from '../pki/certificate.ts';
import { SIGNATURE_ALGORITHMS } from '../pki/oids.ts';
import { publicKeyObject as nodeKey } from '../pki/public-key.ts';
import { bytesToHex, sm2Verify } from '../pki/sm2.ts';
import type { SignatureAlgorithm } from '../pki/signature-algorithm.ts';

const P256 = '1.2.840.10045.3.1.7';
/** Smallest RSA modulus a login key may have. */
export const MIN_RSA_BITS = 2048;


/** Why a token algorithm label does not fit a key, or null when it fits. */
export function algorithmMismatch(alg: SignatureAlgorithm, pk: PublicKeyInfo): { zh: string; en: string } | null {
  switch (alg) {
    case 'RS256':
      if (pk.kind !== 'RSA') return { zh: 'RS256 需要 RSA 密钥', en: 'RS256 needs an RSA key' };
      if ((pk.bits ?? 0) < MIN_RSA_BITS) return { zh: `RSA 密钥仅 ${pk.bits} 位，至少需要 ${MIN_RSA_BITS} 位`, en: `RSA key has ${pk.bits} bits, at least ${MIN_RSA_BITS} required` };
      return null;
    case 'ES256':
      if (pk.kind !== 'EC' || pk.curveOid !== P256) return { zh: 'ES256 需要 P-256 椭圆曲线密钥', en: 'ES256 needs a P-256 key' };
      return null;
    case 'SM2-SM3':
      if (pk.kind !== 'SM2') return { zh: 'SM2-SM3 需要 SM2 密钥', en: 'SM2-SM3 needs an SM2 key' };
      return null;
  }
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
