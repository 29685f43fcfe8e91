import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { getTestPki } from '../../fixtures/pki.ts';
import { parseCertificate, type PublicKeyInfo } from '../../../main/pki/certificate.ts';
import { OID } from '../../../main/pki/oids.ts';
import { signatureAlgorithmFor } from '../../../main/pki/signature-algorithm.ts';

const EXPECTED = { rsa2048: 'RS256', rsa1024: 'RS256', p256: 'ES256', sm2: 'SM2-SM3' } as const;

test('signatureAlgorithmFor: every test PKI certificate gets the algorithm its key was made for (RSA, P-256, SM2)', async () => {
  const pki = await getTestPki();
  const seen = new Set<string>();
  for (const e of Object.values(pki.entries)) {
    const cert = parseCertificate(new Uint8Array(readFileSync(e.certDer)));
    assert.equal(signatureAlgorithmFor(cert.publicKey), EXPECTED[e.keyAlg], e.id);
    seen.add(e.keyAlg);
  }
  assert.deepEqual([...seen].sort(), ['p256', 'rsa1024', 'rsa2048', 'sm2']);
});

test('signatureAlgorithmFor: the SM2 curve under either OID is SM2-SM3; other curves and key types have no login algorithm', () => {
  const key = (kind: PublicKeyInfo['kind'], algorithmOid: string, curveOid: string | null): PublicKeyInfo =>
    ({ kind, algorithmOid, curveOid, bits: null, spki: new Uint8Array(0), keyBytes: new Uint8Array(0) });
  assert.equal(signatureAlgorithmFor(key('SM2', OID.ecPublicKey, OID.sm2Curve)), 'SM2-SM3');
  assert.equal(signatureAlgorithmFor(key('SM2', OID.sm2Curve, OID.sm2Curve)), 'SM2-SM3');
  assert.equal(signatureAlgorithmFor(key('EC', OID.ecPublicKey, OID.p384)), null);
  assert.equal(signatureAlgorithmFor(key('EC', OID.ecPublicKey, null)), null);
  assert.equal(signatureAlgorithmFor(key('other', OID.ed25519, null)), null);
});
