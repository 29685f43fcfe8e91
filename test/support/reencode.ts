/**
 * The same certificate in other encodings, each with a new SHA-256 fingerprint and still a valid
 * signature under its CA (what a fingerprint binding or block list can be dodged with): an ECDSA
 * signature (r, s) re-signed as (r, n - s), and the outer SEQUENCE's length in a needless long form.
 */
import { assembleCertificate, certificateParts } from '../fixtures/generate-crafted-chains.ts';

const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function integer(v: bigint): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  let b = Buffer.from(hex, 'hex');
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return Buffer.concat([Buffer.from([0x02, b.length]), b]);
}

/** The (r, s) INTEGERs of a DER ECDSA-Sig-Value (short-form lengths: P-256 signatures fit). */
function ecdsaRs(sig: Buffer): { r: bigint; s: bigint } {
  if (sig[0] !== 0x30 || sig[1]! >= 0x80) throw new Error('not a short DER ECDSA signature');
  const rLen = sig[3]!;
  const r = BigInt('0x' + sig.subarray(4, 4 + rLen).toString('hex'));
  const sLen = sig[5 + rLen]!;
  const s = BigInt('0x' + sig.subarray(6 + rLen, 6 + rLen + sLen).toString('hex'));
  return { r, s };
}

/** Re-encodings of a P-256-signed certificate (DER in, DER out), by what was changed. */
export function reencodedCertificates(der: Uint8Array): Record<'ecdsa (r, n-s)' | 'long-form outer length', Buffer> {
  const b = Buffer.from(der);
  const { tbs, alg, sig } = certificateParts(b);
  const header = sig[1]! < 0x80 ? 2 : 2 + (sig[1]! & 0x7f);
  const { r, s } = ecdsaRs(sig.subarray(header + 1));
  const body = Buffer.concat([integer(r), integer(P256_N - s)]);
  const flipped = assembleCertificate(tbs, alg, Buffer.concat([Buffer.from([0x30, body.length]), body]));
  const inner = Buffer.concat([tbs, alg, sig]);
  const longForm = Buffer.concat([Buffer.from([0x30, 0x84]), Buffer.from([inner.length >>> 24, (inner.length >>> 16) & 0xff, (inner.length >>> 8) & 0xff, inner.length & 0xff]), inner]);
  return { 'ecdsa (r, n-s)': flipped, 'long-form outer length': longForm };
}

/** The same JSON login token carrying another encoding of its certificate (the token's signature does not cover it). */
export function withCertificate(token: string, der: Uint8Array): string {
  return JSON.stringify({ ...(JSON.parse(token) as Record<string, unknown>), certificate: Buffer.from(der).toString('base64') });
}

/** The certificate with two zero bytes after its signature value (inside the BIT STRING): what a lenient SM2 decoder ignores. */
export function withTrailingSignatureBytes(der: Uint8Array): Buffer {
  const { tbs, alg, sig } = certificateParts(Buffer.from(der));
  const header = sig[1]! < 0x80 ? 2 : 2 + (sig[1]! & 0x7f);
  return assembleCertificate(tbs, alg, Buffer.concat([sig.subarray(header + 1), Buffer.from([0, 0])]));
}
