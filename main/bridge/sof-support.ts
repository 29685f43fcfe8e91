/**
 * Certificate fields and raw-signature checks the two protocols answer from a certificate alone.
 * (Minimal set; main/bridge/formats/ carries the full GetCertInfo table and CMS.)
 */
import { constants, createPublicKey, publicDecrypt, verify as cryptoVerify } from 'node:crypto';
import type { ParsedCertificate } from '../pki/certificate.ts';
import { bytesToHex, sm2Verify } from '../pki/sm2.ts';

/** `yyyyMMddHHmmss` in UTC, as BJCA's libraries compare dates. */
export function sofTime(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** Attributes of a display DN (`C=CN, O=…, CN=…`), escapes undone. */
export function dnAttributes(dn: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of dn.split(/(?<!\\), /)) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out.push([part.slice(0, eq), part.slice(eq + 1).replace(/\\(.)/g, '$1')]);
  }
  return out;
}

export function dnValue(dn: string, key: string): string {
  return dnAttributes(dn).filter(([k]) => k === key).map(([, v]) => v).join(',');
}

/**
 * Verifies a raw signature over `data` with the certificate's key: RSA PKCS#1 v1.5 with the hash
 * its DigestInfo names (SHA-1 or SHA-256), SM2 DER over SM3 with Z_A (default ID). Never throws.
 */
export function verifyRawSignature(cert: ParsedCertificate, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (cert.publicKey.kind === 'SM2') return sm2Verify(bytesToHex(cert.publicKey.keyBytes), data, signature);
    const key = createPublicKey({ key: Buffer.from(cert.publicKey.spki), format: 'der', type: 'spki' });
    if (cert.publicKey.kind === 'RSA') {
      const info = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
      const hash = info.length === 35 ? 'sha1' : info.length === 51 ? 'sha256' : null;
      return hash !== null && cryptoVerify(hash, data, key, signature);
    }
    if (cert.publicKey.kind === 'EC') return cryptoVerify('sha256', data, { key, dsaEncoding: 'der' }, signature);
    return false;
  } catch {
    return false;
  }
}
