/**
 * The signature algorithms a login token names (JWS-style labels), read by the key stores that
 * produce signatures and by login, which puts them in tokens and verifies them.
 */
import type { PublicKeyInfo } from './certificate.ts';
import { OID } from './oids.ts';

export type SignatureAlgorithm = 'RS256' | 'ES256' | 'SM2-SM3';

/**
 * The login signature a key can make, from its SubjectPublicKeyInfo: RSA → RS256 (PKCS#1 v1.5,
 * SHA-256), EC on P-256 → ES256, the SM2 curve (as its own algorithm OID or as an EC curve) →
 * SM2-SM3; null for any other key (other curves, Ed25519, …), which a login token cannot name.
 */
export function signatureAlgorithmFor(publicKey: PublicKeyInfo): SignatureAlgorithm | null {
  switch (publicKey.kind) {
    case 'RSA':
      return 'RS256';
    case 'SM2':
      return 'SM2-SM3';
    case 'EC':
      return publicKey.curveOid === OID.p256 ? 'ES256' : null;
    default:
      return null;
  }
}
