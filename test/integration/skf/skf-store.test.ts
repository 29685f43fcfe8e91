/**
 * SkfKeyStore against a real SKF library: the gcc-built fake key (OpenSSL does the SM2 maths),
 * holding the test PKI's hebca-sm2-ent key and certificate. Signatures are checked by the OpenSSL
 * CLI and by our own SM2 verifier; a login token made with the store passes the verifier.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isAssistantError } from '../../../main/errors.ts';
import { SkfKeyStore } from '../../../main/keystores/skf/store.ts';
import { createLoginToken } from '../../../main/login/token.ts';
import { MemoryChallengeStore, verifyLoginToken } from '../../../main/login/verify.ts';
import { parseCertificate } from '../../../main/pki/certificate.ts';
import { bytesToHex, sm2Verify } from '../../../main/pki/sm2.ts';
import { getTestPki } from '../../fixtures/pki.ts';
import { FAKE_SKF_PIN as PIN, makeFakeSkfKey, skipFakeSkf, verifyCalls, type FakeSkfKey } from '../../support/fake-skf.ts';
import { pkiHourAfter } from '../../support/verifier-fixture.ts';

const pki = await getTestPki();
const entry = pki.get('hebca-sm2-ent');

describe('SkfKeyStore with the fake SKF key (in process)', { skip: skipFakeSkf }, () => {
  let key: FakeSkfKey;
  let store: SkfKeyStore;
  const saved: Record<string, string | undefined> = {};

  before(() => {
    key = makeFakeSkfKey(entry, 'ca-skf-');
    // The fake reads its environment at call time; Node's process.env writes through to it.
    for (const [k, v] of Object.entries(key.env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    store = SkfKeyStore.open(key.lib);
  });
  after(async () => {
    await store?.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(key.dir, { recursive: true, force: true });
  });

  test('lists the container as an SM2 identity with the certificate from the key', async () => {
    const ids = await store.listIdentities();
    assert.equal(ids.length, 1);
    const id = ids[0]!;
    assert.equal(id.algorithm, 'SM2-SM3');
    assert.deepEqual(Buffer.from(id.certificate), fs.readFileSync(entry.certDer));
    assert.equal(id.id, 'FakeSKF-0/HEBCA_APP/SM2-Container-1');
    assert.deepEqual(id.location, {
      kind: 'skf', module: key.lib, device: 'FakeSKF-0', application: 'HEBCA_APP', container: 'SM2-Container-1', deviceLabel: 'Fake SM2 Key', deviceSerial: 'FAKE0000000001',
    });
    assert.deepEqual(await store.pinState(id.id), { retriesLeft: 6, low: false, finalTry: false, locked: false });
  });

  test('SM2-SM3 signature verifies with openssl pkeyutl (distid 1234567812345678) and with sm2Verify', async () => {
    const [id] = await store.listIdentities();
    const data = new TextEncoder().encode('河北政务服务网 login challenge ' + Date.now());
    const sig = await store.sign(id!.id, data, 'SM2-SM3', PIN);
    assert.equal(sig[0], 0x30, 'DER SEQUENCE');
    const dataFile = path.join(key.dir, 'data.bin');
    const sigFile = path.join(key.dir, 'sig.der');
    const pubFile = path.join(key.dir, 'pub.pem');
    fs.writeFileSync(dataFile, data);
    fs.writeFileSync(sigFile, sig);
    fs.writeFileSync(pubFile, execFileSync('openssl', ['x509', '-in', entry.certPem, '-pubkey', '-noout']));
    const verify = (file: string) => execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', pubFile, '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', file, '-sigfile', sigFile], { encoding: 'utf8' });
    assert.match(verify(dataFile), /Signature Verified Successfully/);
    // The check can fail: other data does not verify.
    fs.writeFileSync(dataFile, Buffer.concat([data, Buffer.from('x')]));
    assert.throws(() => verify(dataFile));
    const pk = parseCertificate(id!.certificate).publicKey;
    assert.equal(pk.kind, 'SM2');
    const hex = bytesToHex((pk as { keyBytes: Uint8Array }).keyBytes);
    assert.equal(sm2Verify(hex, data, sig), true);
    assert.equal(sm2Verify(hex, new TextEncoder().encode('other'), sig), false);
    // The PIN check was cleared after signing: the counter is full again and no login lingers.
    assert.equal((await store.pinState(id!.id)).retriesLeft, 6);
  });

  test('a login token made with the SKF key is accepted by verifyLoginToken', async () => {
    const [id] = await store.listIdentities();
    const challenges = new MemoryChallengeStore();
    const now = pkiHourAfter(pki);
    const { challenge } = await challenges.issue(now);
    const origin = 'https://www.hbzwfw.gov.cn';
    const made = await createLoginToken({ origin, challenge, store, identityId: id!.id, pin: PIN, appVersion: '0.0.0-test', now });
    assert.equal(made.algorithm, 'SM2-SM3');
    const roots = [new Uint8Array(fs.readFileSync(pki.get('hebca-sm2-root').certDer))];
    const intermediates = [new Uint8Array(fs.readFileSync(pki.get('hebca-sm2-ca').certDer))];
    const r = await verifyLoginToken(made.token, { origin, trustAnchors: roots, intermediates, challengeStore: challenges, challenge, now });
    assert.equal(r.ok, true, r.ok ? '' : `${r.code}: ${r.message}`);
    if (r.ok) {
      assert.equal(r.algorithm, 'SM2-SM3');
      assert.equal(r.uscc, entry.expect.uscc);
    }
  });

  test('the wrong algorithm is refused before a PIN try is spent', async () => {
    const [id] = await store.listIdentities();
    const calls = verifyCalls(key.files);
    assert.ok(calls > 0, 'earlier signs did call SKF_VerifyPIN');
    await assert.rejects(store.sign(id!.id, new Uint8Array(8), 'RS256', 'wrong-pin'), (e) => isAssistantError(e) && e.code === 'ALGORITHM_MISMATCH');
    assert.equal(verifyCalls(key.files), calls);
    assert.equal((await store.pinState(id!.id)).retriesLeft, 6);
  });

  test('a PIN the key rejects by length is PIN_LEN_RANGE and costs no try; an empty PIN never reaches the key', async () => {
    const [id] = await store.listIdentities();
    const calls = verifyCalls(key.files);
    await assert.rejects(store.sign(id!.id, new Uint8Array(4), 'SM2-SM3', '123'), (e) => isAssistantError(e) && e.code === 'PIN_LEN_RANGE');
    assert.equal(verifyCalls(key.files), calls + 1);
    await assert.rejects(store.sign(id!.id, new Uint8Array(4), 'SM2-SM3', ''), (e) => isAssistantError(e) && e.code === 'PIN_LEN_RANGE');
    assert.equal(verifyCalls(key.files), calls + 1);
    assert.equal((await store.pinState(id!.id)).retriesLeft, 6);
  });

  test('a container that cannot be opened does not hide the others', async () => {
    process.env['FAKE_SKF_BROKEN'] = '1';
    try {
      const ids = await store.listIdentities();
      assert.deepEqual(ids.map((i) => i.id), ['FakeSKF-0/HEBCA_APP/SM2-Container-1']);
    } finally {
      delete process.env['FAKE_SKF_BROKEN'];
    }
  });

  test('a key pulled out in the middle of a signature is DEVICE_REMOVED, and the store recovers', async () => {
    const [id] = await store.listIdentities();
    process.env['FAKE_SKF_FAULT'] = 'removed';
    try {
      await assert.rejects(store.sign(id!.id, new Uint8Array(4), 'SM2-SM3', PIN), (e) => isAssistantError(e) && e.code === 'DEVICE_REMOVED' && (e.details ?? {})['function'] === 'SKF_ECCSignData');
    } finally {
      delete process.env['FAKE_SKF_FAULT'];
    }
    assert.equal((await store.sign(id!.id, new Uint8Array(4), 'SM2-SM3', PIN))[0], 0x30);
  });

  test('a library that is not an SKF driver (SoftHSM2, a PKCS#11 module) is MODULE_NOT_SKF', { skip: fs.existsSync('/usr/lib/softhsm/libsofthsm2.so') ? false : 'softhsm2 not installed' }, () => {
    assert.throws(() => SkfKeyStore.open('/usr/lib/softhsm/libsofthsm2.so'), (e) => isAssistantError(e) && e.code === 'MODULE_NOT_SKF' && /[\u4e00-\u9fff]/u.test(e.message));
    assert.throws(() => SkfKeyStore.open(path.join(key.dir, 'absent.so')), (e) => isAssistantError(e) && e.code === 'MODULE_NOT_FOUND');
  });

  test('an unknown identity id is IDENTITY_NOT_FOUND or DEVICE_REMOVED, never a crash', async () => {
    await assert.rejects(store.pinState('nonsense'), (e) => isAssistantError(e) && e.code === 'IDENTITY_NOT_FOUND');
    await assert.rejects(store.pinState('OtherKey/HEBCA_APP/x'), (e) => isAssistantError(e) && e.code === 'DEVICE_REMOVED');
    await assert.rejects(store.pinState('FakeSKF-0/NO_APP/x'), (e) => isAssistantError(e) && e.code === 'SKF_APPLICATION_NOT_FOUND' && /[\u4e00-\u9fff]/u.test(e.message));
  });
});
