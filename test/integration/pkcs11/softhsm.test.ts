import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { KeyStoreWorkerClient } from '../../../main/keystores/worker/client.ts';
import { forkWorkerSpawner } from '../../../main/keystores/worker/fork-transport.ts';
import { WorkerKeyStore } from '../../../main/keystores/worker/remote-store.ts';
import { run as tokensCommand } from '../../../main/cli/commands/tokens.ts';
import { getTestPki } from '../../fixtures/pki.ts';
import type { KeyStoreEvent } from '../../../main/keystores/types.ts';
import { createSoftHsmToken, opensslVerifySha256, p1363ToDer, softHsmAvailable, SOFTHSM_MODULE, USER_PIN, type SoftHsmToken } from '../../support/softhsm.ts';
import { rejectsWith } from '../../support/assert-error.ts';

const skip = softHsmAvailable() ? false : 'softhsm2-util / pkcs11-tool / libsofthsm2.so not installed';
const pki = await getTestPki();

describe('PKCS#11 through the worker, SoftHSM2 as the USB key', { skip }, () => {
  let token: SoftHsmToken;
  let client: KeyStoreWorkerClient;
  let store: WorkerKeyStore;

  before(() => {
    const rsa = pki.get('hebca-ent');
    const ec = pki.get('cfca-ec-ent');
    token = createSoftHsmToken('河北测试Key', [
      { id: '01', label: 'hebca-ent', keyPem: rsa.keyPem, certDer: rsa.certDer },
      { id: '02', label: 'cfca-ec-ent', keyPem: ec.keyPem, certDer: ec.certDer },
      { id: 'ca01', label: 'HEBCA RSA CA', certDer: pki.get('hebca-ca').certDer },
    ]);
    client = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner({ env: token.env }) });
    store = new WorkerKeyStore(client, { kind: 'pkcs11', module: SOFTHSM_MODULE });
  });
  after(async () => {
    await client?.close();
    token?.cleanup();
  });

  test('lists identities: certificate matched to its key by CKA_ID, intermediates, algorithm', async () => {
    const ids = await store.listIdentities();
    assert.deepEqual(ids.map((i) => [i.id.split(':')[1], i.algorithm, i.label]).sort(), [['01', 'RS256', 'hebca-ent'], ['02', 'ES256', 'cfca-ec-ent']]);
    const rsa = ids.find((i) => i.id.endsWith(':01'))!;
    assert.deepEqual(Buffer.from(rsa.certificate), fs.readFileSync(pki.get('hebca-ent').certDer));
    assert.equal(rsa.intermediates.length, 1);
    assert.deepEqual(Buffer.from(rsa.intermediates[0]!), fs.readFileSync(pki.get('hebca-ca').certDer));
    assert.equal(rsa.location.kind, 'pkcs11');
    if (rsa.location.kind === 'pkcs11') assert.equal(rsa.location.tokenLabel, '河北测试Key');
    const state = await store.pinState(rsa.id);
    assert.deepEqual(state, { retriesLeft: null, low: false, finalTry: false, locked: false });
  });

  test('RS256 signature verifies with OpenSSL', async () => {
    const [id] = (await store.listIdentities()).filter((i) => i.algorithm === 'RS256').map((i) => i.id);
    const data = randomBytes(100);
    const sig = await store.sign(id!, data, 'RS256', USER_PIN);
    assert.equal(sig.length, 256);
    assert.ok(opensslVerifySha256(pki.get('hebca-ent').certPem, data, sig, token.dir));
    const other = Buffer.from(data);
    other[0]! ^= 1;
    assert.ok(!opensslVerifySha256(pki.get('hebca-ent').certPem, other, sig, token.dir), 'OpenSSL must reject other data');
  });

  test('ES256 signature is r||s and verifies with OpenSSL after DER conversion', async () => {
    const [id] = (await store.listIdentities()).filter((i) => i.algorithm === 'ES256').map((i) => i.id);
    const data = Buffer.from('tbs: H(origin) || H(challenge)');
    const sig = await store.sign(id!, data, 'ES256', USER_PIN);
    assert.equal(sig.length, 64);
    assert.ok(opensslVerifySha256(pki.get('cfca-ec-ent').certPem, data, p1363ToDer(sig), token.dir));
  });

  test('wrong PIN → PIN_INCORRECT with the token PIN flags; not retried; right PIN works after', async () => {
    const [id] = (await store.listIdentities()).filter((i) => i.algorithm === 'RS256').map((i) => i.id);
    const details = await rejectsWith(store.sign(id!, Buffer.from('x'), 'RS256', '000000'), 'PIN_INCORRECT');
    // SoftHSM2 sets CKF_USER_PIN_COUNT_LOW after a failure; it has no retry counter and never locks.
    assert.deepEqual(details['pin'], { retriesLeft: null, low: true, finalTry: false, locked: false });
    assert.ok(!JSON.stringify(details).includes('000000'), 'the PIN never appears in details');
    assert.equal((await store.pinState(id!)).low, true);
    await rejectsWith(store.sign(id!, Buffer.from('x'), 'RS256', '12'), 'PIN_LEN_RANGE');
    const sig = await store.sign(id!, Buffer.from('x'), 'RS256', USER_PIN);
    assert.equal(sig.length, 256);
    assert.equal((await store.pinState(id!)).low, false);
  });

  test('algorithm that does not fit the key, SM2 on a token, unknown identity', async () => {
    const ids = await store.listIdentities();
    const ec = ids.find((i) => i.algorithm === 'ES256')!;
    await rejectsWith(store.sign(ec.id, Buffer.from('x'), 'RS256', USER_PIN), 'ALGORITHM_MISMATCH');
    await rejectsWith(store.sign(ec.id, Buffer.from('x'), 'SM2-SM3', USER_PIN), 'SM2_NOT_SUPPORTED_ON_TOKEN');
    await rejectsWith(store.sign(ec.id.replace(/:.*/, ':77'), Buffer.from('x'), 'RS256', USER_PIN), 'KEY_NOT_FOUND');
  });

  test('CLI: tokens --module … --json goes through the worker and shows slots, PIN state, identities', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.on('data', (d) => (out += d));
    const code = await tokensCommand(['--module', SOFTHSM_MODULE, '--json'], { stdout, stderr, stdin: new PassThrough(), env: token.env, cwd: process.cwd(), now: () => new Date() });
    assert.equal(code, 0);
    const doc = JSON.parse(out);
    assert.equal(doc.modules.length, 1);
    const m = doc.modules[0];
    assert.equal(m.path, SOFTHSM_MODULE);
    const slot = m.slots.find((s: { label: string }) => s.label === '河北测试Key');
    assert.ok(slot, 'the initialised token is listed');
    for (const k of ['id', 'label', 'manufacturer', 'model', 'serial']) assert.ok(k in slot, k);
    assert.deepEqual(Object.keys(slot.pin).sort(), ['finalTry', 'locked', 'low', 'retriesLeft']);
    const ent = slot.identities.find((i: { id: string }) => i.id === '01');
    assert.match(ent.certificate.subject, /河北冀信测试科技有限公司/);
    assert.equal(ent.certificate.fingerprintSha256.length, 64);
    assert.equal(ent.certificate.keyAlgorithm, 'RSA-2048');
    assert.equal(ent.certificate.identity.uscc.value, pki.get('hebca-ent').expect.uscc);
    assert.equal(ent.certificate.caProfile.id, 'hebca');
  });

  test('CLI: without --module, the drivers named by machine policy are listed', async () => {
    const policyFile = `${token.dir}/policy.json`;
    fs.writeFileSync(policyFile, JSON.stringify({ pkcs11Modules: [SOFTHSM_MODULE] }));
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d) => (out += d));
    const code = await tokensCommand(['--policy', policyFile, '--json'], { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: token.env, cwd: process.cwd(), now: () => new Date() });
    assert.equal(code, 0);
    const doc = JSON.parse(out);
    assert.deepEqual(doc.modules.map((m: { path: string }) => m.path), [SOFTHSM_MODULE]);
    assert.ok(doc.modules[0].slots.some((s: { label: string }) => s.label === '河北测试Key'));
  });

  test('CLI: a relative module path is refused (MODULE_PATH_UNSAFE), usage errors exit 2', async () => {
    const io = () => {
      const stdout = new PassThrough();
      let out = '';
      stdout.on('data', (d) => (out += d));
      return { io: { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: token.env, cwd: process.cwd(), now: () => new Date() }, out: () => out };
    };
    const a = io();
    assert.equal(await tokensCommand(['--module', 'libsofthsm2.so', '--json'], a.io), 1);
    assert.equal(JSON.parse(a.out()).modules[0].error.code, 'MODULE_PATH_UNSAFE');
    assert.equal(await tokensCommand(['--bogus'], io().io), 2);
  });
});

describe('token removed mid-session (its token directory deleted)', { skip }, () => {
  test('sign → DEVICE_REMOVED, not a hang; the worker stays usable; a watcher reports the removal', { timeout: 60_000 }, async () => {
    const pki = await getTestPki();
    const rsa = pki.get('jit-ent');
    const token = createSoftHsmToken('removable', [{ id: '01', label: 'jit-ent', keyPem: rsa.keyPem, certDer: rsa.certDer }]);
    const client = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner({ env: token.env }), timeouts: { 'store.sign': 10_000 } });
    const store = new WorkerKeyStore(client, { kind: 'pkcs11', module: SOFTHSM_MODULE });
    try {
      const events: KeyStoreEvent[] = [];
      let notify: () => void = () => {};
      const unwatch = store.watch((e) => {
        events.push(e);
        notify();
      }, { intervalMs: 100 });
      const next = () => new Promise<void>((resolve) => (notify = resolve));
      const [id] = (await store.listIdentities()).map((i) => i.id);
      assert.equal((await store.sign(id!, Buffer.from('before'), 'RS256', USER_PIN)).length, 256); // session open and used
      const removed = next();
      fs.rmSync(token.tokenDir, { recursive: true, force: true });
      await rejectsWith(store.sign(id!, Buffer.from('after'), 'RS256', USER_PIN), 'DEVICE_REMOVED');
      assert.deepEqual((await store.listIdentities()).filter((i) => i.id === id), []);
      assert.equal(client.starts, 1, 'no worker restart was needed');
      await removed;
      assert.equal(events[0]?.type, 'removed');
      // (Insertion is not testable here: SoftHSM2 scans its token directory only in C_Initialize.)
      unwatch();
    } finally {
      await client.close();
      token.cleanup();
    }
  });
});
