/**
 * Several certificates fit what a page asked (JIT AddFilter): the one consent lists them all and
 * the user picks the one that signs — in our window, never the page. Real signing path and key
 * bridge host over the test PKI's keys; OpenSSL-free checks with node:crypto / our SM2 verifier.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { verify, X509Certificate } from 'node:crypto';
import { createKeyBridgeHost } from '../../../main/bridge/host.ts';
import { createSigningPath, type ConsentAnswer, type ConsentView, type SignatureRecord } from '../../../main/login/signing-path.ts';
import { parseCertificate } from '../../../main/pki/certificate.ts';
import { bytesToHex, sm2Verify } from '../../../main/pki/sm2.ts';
import { getTestPki, type TestPki } from '../../fixtures/pki.ts';
import { PemKeyStore, TEST_PIN } from '../../support/key-store.ts';

let pki: TestPki;
before(async () => {
  pki = await getTestPki();
});

function rig(answer: (v: ConsentView) => ConsentAnswer) {
  const asked: ConsentView[] = [];
  const records: SignatureRecord[] = [];
  const path = createSigningPath({
    ask: async (v) => {
      asked.push(v);
      return answer(v);
    },
    record: (r) => records.push(r), now: () => new Date('2026-12-02T04:00:00Z'), randomId: () => 'c1',
  });
  const host = createKeyBridgeHost({
    stores: () => [
      { key: 'rsa', store: new PemKeyStore(pki.get('jit-ent')), hardware: true },
      { key: 'sm2', store: new PemKeyStore(pki.get('hebca-sm2-ent')), hardware: true },
    ],
    path,
  });
  return { host, asked, records };
}

const ORIGIN = 'https://www.hbzwfw.gov.cn';
const data = new TextEncoder().encode('网关登录原文');

test('the consent lists every candidate, the first preselected; the user picks the second and it signs', async () => {
  const { host, asked, records } = rig((v) => ({ allow: true, secret: TEST_PIN, choice: v.choices!.length - 1 }));
  const list = await host.certificates({ origin: ORIGIN, protocol: 'jit' });
  assert.equal(list.length, 2);
  const [first, second] = list;
  const r = await host.sign({ origin: ORIGIN, protocol: 'jit', certificateId: first!.id, alternatives: [second!.id], data, call: 'P1SignString', format: 'raw' });
  assert.equal(asked.length, 1);
  const v = asked[0]!;
  assert.equal(v.choices!.length, 2);
  assert.equal(v.choices![0]!.fingerprintSha256, v.certificate.fingerprintSha256);
  assert.deepEqual(Buffer.from(r.certificate), Buffer.from(second!.certificate), 'the result names the certificate the user picked');
  assert.equal(records.length, 1);
  assert.equal(records[0]!.fingerprintSha256, v.choices![1]!.fingerprintSha256, 'the record names the signer');
  const cert = parseCertificate(r.certificate);
  const ok = cert.publicKey.kind === 'SM2'
    ? sm2Verify(bytesToHex(cert.publicKey.keyBytes), data, r.signature)
    : verify('sha256', data, new X509Certificate(Buffer.from(r.certificate)).publicKey, r.signature);
  assert.ok(ok, 'signature by the chosen key');
});

test('allow without a choice signs with the first; a choice that was not offered signs nothing', async () => {
  const plain = rig(() => ({ allow: true, secret: TEST_PIN }));
  const [a, b] = await plain.host.certificates({ origin: ORIGIN, protocol: 'jit' });
  const r = await plain.host.sign({ origin: ORIGIN, protocol: 'jit', certificateId: a!.id, alternatives: [b!.id], data, call: 'P1SignString', format: 'raw' });
  assert.deepEqual(Buffer.from(r.certificate), Buffer.from(a!.certificate));
  const bad = rig(() => ({ allow: true, secret: TEST_PIN, choice: 5 }));
  await assert.rejects(bad.host.sign({ origin: ORIGIN, protocol: 'jit', certificateId: a!.id, alternatives: [b!.id], data, call: 'P1SignString', format: 'raw' }), { code: 'CERTIFICATE_NOT_OFFERED' });
  assert.equal(bad.records.length, 0);
  // One candidate: no list at all (the consent names the one certificate).
  const one = rig(() => ({ allow: true, secret: TEST_PIN }));
  await one.host.sign({ origin: ORIGIN, protocol: 'jit', certificateId: a!.id, data, call: 'P1SignString', format: 'raw' });
  assert.equal(one.asked[0]!.choices, undefined);
});
