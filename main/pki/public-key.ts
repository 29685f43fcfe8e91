/**
 * Node KeyObjects for certificate public keys. OpenSSL 3's SPKI decoder costs ~250 µs per RSA
 * key (five times an RSA-2048 verify); importing the same key as PKCS#1 (RSA) or JWK (EC on a
 * named curve) takes 8–100 µs and yields the same key, so a first-seen certificate stays cheap.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { PublicKeyInfo } from './certificate.ts';
import { OID } from './oids.ts';
import { memoized } from '../memo.ts';

const JWK_CURVES: Record<string, { crv: string; bytes: number }> = {
  [OID.p256]: { crv: 'P-256', bytes: 32 },
  [OID.p384]: { crv: 'P-384', bytes: 48 },
  [OID.p521]: { crv: 'P-521', bytes: 66 },
};

// Per parsed key object: the key's bytes never change, so a hit is exactly what importing gives.
const keys = new WeakMap<PublicKeyInfo, KeyObject>();

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function importKey(pk: PublicKeyInfo): KeyObject {
  if (pk.kind === 'RSA') return createPublicKey({ key: asBuffer(pk.keyBytes), format: 'der', type: 'pkcs1' });
  const curve = pk.kind === 'EC' && pk.curveOid ? JWK_CURVES[pk.curveOid] : undefined;
  const p = pk.keyBytes;
  if (curve && p.length === 1 + 2 * curve.bytes && p[0] === 0x04) {
    // JWK import checks the point is on the curve, as the SPKI decoder does.
    const x = asBuffer(p.subarray(1, 1 + curve.bytes)).toString('base64url');
    const y = asBuffer(p.subarray(1 + curve.bytes)).toString('base64url');
    return createPublicKey({ key: { kty: 'EC', crv: curve.crv, x, y }, format: 'jwk' });
  }
  return createPublicKey({ key: asBuffer(pk.spki), format: 'der', type: 'spki' });
}

/** The KeyObject for a certificate's public key (RSA, EC); throws when Node cannot read it. */
export const publicKeyObject: (pk: PublicKeyInfo) => KeyObject = memoized(importKey, keys);
