/**
 * SM2 signatures are accepted in one strict DER form only (SEQUENCE of two minimal INTEGERs,
 * 1 <= r, s < n, nothing after): otherwise the same certificate gets new fingerprints and slips
 * past fingerprint bindings and block lists. Certificates, CRLs and tokens share the check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { getTestPki } from '../../fixtures/pki.ts';
import { assembleCertificate, certificateParts } from '../../fixtures/generate-crafted-chains.ts';
import { parseCertificate } from '../../../main/pki/certificate.ts';
import { verifyCertificateSignature, verifyChain } from '../../../main/pki/chain.ts';
import { parseSm2SignatureDer, sm2PublicKeyFromPrivate, sm2Sign, sm2Verify } from '../../../main/pki/sm2.ts';
import { verifySignedStructure, verifyTokenSignature } from '../../../main/login/signature.ts';

const pki = await getTestPki();
const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;

/** The signature value bytes inside a signed structure's BIT STRING. */
function signatureOf(der: Buffer): Buffer {
  const { sig } = certificateParts(der);
  const lenByte = sig[1]!;
  const header = lenByte < 0x80 ? 2 : 2 + (lenByte & 0x7f);
  return sig.subarray(header + 1);
}

/** DER INTEGER of v; `pad` adds one needless leading zero byte. */
function integer(v: bigint, pad = false): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  let b = Buffer.from(hex, 'hex');
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  if (pad) b = Buffer.concat([Buffer.from([0]), b]);
  return Buffer.concat([Buffer.from([0x02, b.length]), b]);
}

function sequence(...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** Encodings of the same (r, s) that a lenient decoder would take. */
function variants(sig: Buffer): Record<string, Buffer> {
  const rs = parseSm2SignatureDer(sig)!;
  assert.ok(rs, 'the CA signed in strict DER');
  return {
    'trailing bytes': Buffer.concat([sig, Buffer.from([0, 0])]),
    'trailing garbage': Buffer.concat([sig, Buffer.from('30020101', 'hex')]),
    's + n': sequence(integer(rs.r), integer(rs.s + N)),
    'r with a needless leading zero': sequence(integer(rs.r, true), integer(rs.s)),
  };
}

test('a certificate whose SM2 signature has trailing bytes (same certificate, new fingerprint) fails its signature', () => {
  const der = fs.readFileSync(pki.get('hebca-sm2-ent').certDer);
  const ca = parseCertificate(fs.readFileSync(pki.get('hebca-sm2-ca').certDer));
  const root = parseCertificate(fs.readFileSync(pki.get('hebca-sm2-root').certDer));
  const original = parseCertificate(der);
  assert.equal(verifyCertificateSignature(original, ca), true);
  const parts = certificateParts(der);
  for (const [what, sig] of Object.entries(variants(signatureOf(der)))) {
    const forged = parseCertificate(assembleCertificate(parts.tbs, parts.alg, sig));
    assert.notEqual(forged.fingerprintSha256, original.fingerprintSha256, what);
    assert.equal(verifyCertificateSignature(forged, ca), false, what);
    const r = verifyChain(forged, { intermediates: [ca], anchors: [root], now: new Date(pki.generatedAt) });
    assert.equal(r.ok, false, what);
    assert.equal(r.code, 'CHAIN_BAD_SIGNATURE', what);
  }
});

test('an SM2 CRL signature with trailing bytes does not verify', () => {
  const crl = fs.readFileSync(pki.crls['hebca-sm2-ca']!);
  const ca = parseCertificate(fs.readFileSync(pki.get('hebca-sm2-ca').certDer));
  const { tbs } = certificateParts(crl);
  const sig = signatureOf(crl);
  assert.equal(verifySignedStructure(ca, '1.2.156.10197.1.501', tbs, sig), true);
  for (const [what, bad] of Object.entries(variants(sig))) assert.equal(verifySignedStructure(ca, '1.2.156.10197.1.501', tbs, bad), false, what);
});

test('an SM2 token signature is strict too; r or s of 0 and junk are refused', () => {
  const priv = '3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8';
  const pub = sm2PublicKeyFromPrivate(priv);
  const data = new Uint8Array(Buffer.from('tbs of a login'));
  const sig = Buffer.from(sm2Sign(priv, data));
  const pk = { kind: 'SM2', algorithmOid: '1.2.840.10045.2.1', curveOid: '1.2.156.10197.1.301', bits: 256, spki: new Uint8Array(), keyBytes: new Uint8Array(Buffer.from(pub, 'hex')) } as const;
  assert.equal(verifyTokenSignature('SM2-SM3', pk, data, sig, 'der'), true);
  for (const [what, bad] of Object.entries(variants(sig))) assert.equal(verifyTokenSignature('SM2-SM3', pk, data, bad, 'der'), false, what);
  const rs = parseSm2SignatureDer(sig)!;
  assert.equal(parseSm2SignatureDer(sequence(integer(0n), integer(rs.s))), null, 'r = 0');
  assert.equal(parseSm2SignatureDer(sequence(integer(rs.r), integer(N))), null, 's = n');
  assert.equal(sm2Verify(pub, data, new Uint8Array([0x30, 0x00])), false);
});
