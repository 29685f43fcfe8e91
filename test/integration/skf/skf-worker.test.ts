/**
 * The fake SKF key behind the key-store worker (child_process.fork), as the app and CLI reach
 * it: PIN retries that really count down and lock, a pulled-out key, and the tokens report.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { run as tokensCommand } from '../../../main/cli/commands/tokens.ts';
import { KeyStoreWorkerClient } from '../../../main/keystores/worker/client.ts';
import { forkWorkerSpawner } from '../../../main/keystores/worker/fork-transport.ts';
import { WorkerKeyStore } from '../../../main/keystores/worker/remote-store.ts';
import { getTestPki } from '../../fixtures/pki.ts';
import { FAKE_SKF_PIN as PIN, makeFakeSkfKey, skipFakeSkf, verifyCalls, type FakeSkfKey } from '../../support/fake-skf.ts';
import { rejectsWith } from '../../support/assert-error.ts';

describe('the fake SKF key through the worker', { skip: skipFakeSkf }, () => {
  let key: FakeSkfKey;
  let client: KeyStoreWorkerClient;
  let store: WorkerKeyStore;
  let identityId: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    const pki = await getTestPki();
    key = makeFakeSkfKey(pki.get('hebca-sm2-ent'), 'ca-skf-worker-', { FAKE_SKF_MAX: '3' });
    env = { ...process.env, ...key.env };
    client = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner({ env }) });
    store = new WorkerKeyStore(client, { kind: 'skf', module: key.lib });
  });
  after(async () => {
    await client?.close();
    fs.rmSync(key.dir, { recursive: true, force: true });
  });

  test('lists the identity and signs through the worker', async () => {
    const ids = await store.listIdentities();
    assert.equal(ids.length, 1);
    identityId = ids[0]!.id;
    assert.equal(ids[0]!.algorithm, 'SM2-SM3');
    assert.equal(ids[0]!.location.kind, 'skf');
    const sig = await store.sign(identityId, new Uint8Array([1, 2, 3]), 'SM2-SM3', PIN);
    assert.ok(sig instanceof Uint8Array && sig[0] === 0x30);
  });

  test('the tokens report shows device, application PIN state and identities', async () => {
    const r = await client.call('skf.describe', { module: key.lib });
    assert.equal(r.path, key.lib);
    assert.equal(r.devices.length, 1);
    const d = r.devices[0]!;
    assert.equal(d.name, 'FakeSKF-0');
    assert.equal(d.info?.serial, 'FAKE0000000001');
    assert.equal(d.info?.manufacturer, 'Cert Assistant Test');
    assert.deepEqual(d.applications.map((a) => [a.name, a.pin.retriesLeft, a.identities.length]), [['HEBCA_APP', 3, 1]]);
    assert.deepEqual(await client.call('skf.tokens', { module: key.lib }), [{ device: 'FakeSKF-0', serial: 'FAKE0000000001', label: 'Fake SM2 Key' }]);
  });

  test('CLI: tokens --skf PATH --json lists the device, PIN retries and the certificate report', async () => {
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c));
    const code = await tokensCommand(['--skf', key.lib, '--json'], { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env, cwd: process.cwd(), now: () => new Date() });
    assert.equal(code, 0);
    const out = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { modules: unknown[]; skf: Array<{ path: string; devices: Array<{ name: string; applications: Array<{ pin: { retriesLeft: number }; identities: Array<{ identityId: string; algorithm: string; certificate: { subject?: string; uscc?: unknown } }> }> }> }> };
    assert.deepEqual(out.modules, []);
    const app = out.skf[0]!.devices[0]!.applications[0]!;
    assert.equal(app.pin.retriesLeft, 3);
    assert.equal(app.identities[0]!.identityId, identityId);
    assert.equal(app.identities[0]!.algorithm, 'SM2-SM3');
    assert.match(String(app.identities[0]!.certificate.subject), /保定国密测试科技有限公司/);
    // A library that does not exist: exit 1 with the error in the report.
    const bad = await tokensCommand(['--skf', path.join(key.dir, 'missing.so'), '--json'], { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env, cwd: process.cwd(), now: () => new Date() });
    assert.equal(bad, 1);
  });

  test('wrong PINs count down (final try flagged at 1), then PIN_LOCKED and no further tries', async () => {
    const d1 = await rejectsWith(store.sign(identityId, new Uint8Array(4), 'SM2-SM3', '00000000'), 'PIN_INCORRECT');
    assert.deepEqual(d1['pin'], { retriesLeft: 2, low: true, finalTry: false, locked: false });
    assert.deepEqual(await store.pinState(identityId), { retriesLeft: 2, low: true, finalTry: false, locked: false });
    const d2 = await rejectsWith(store.sign(identityId, new Uint8Array(4), 'SM2-SM3', '00000000'), 'PIN_INCORRECT');
    assert.deepEqual(d2['pin'], { retriesLeft: 1, low: true, finalTry: true, locked: false });
    assert.deepEqual(await store.pinState(identityId), { retriesLeft: 1, low: true, finalTry: true, locked: false });
    const d3 = await rejectsWith(store.sign(identityId, new Uint8Array(4), 'SM2-SM3', '00000000'), 'PIN_LOCKED');
    assert.deepEqual(d3['pin'], { retriesLeft: 0, low: true, finalTry: false, locked: true });
    const calls = verifyCalls(key.files);
    // Locked: even the right PIN is refused before SKF_VerifyPIN, so no try can be spent.
    await rejectsWith(store.sign(identityId, new Uint8Array(4), 'SM2-SM3', PIN), 'PIN_LOCKED');
    assert.equal(verifyCalls(key.files), calls);
    assert.deepEqual(await store.pinState(identityId), { retriesLeft: 0, low: true, finalTry: false, locked: true });
    // A fresh worker still sees the key locked (the counter lives on the key).
    await client.close();
    client = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner({ env }) });
    store = new WorkerKeyStore(client, { kind: 'skf', module: key.lib });
    await rejectsWith(store.sign(identityId, new Uint8Array(4), 'SM2-SM3', PIN), 'PIN_LOCKED');
    assert.equal(verifyCalls(key.files), calls);
    fs.rmSync(key.files.state); // the CA "unlocks" the key for the next test
  });

  test('a pulled-out key: DEVICE_REMOVED for sign and PIN state, an empty list, back when re-inserted', async () => {
    assert.equal((await store.listIdentities()).length, 1);
    fs.writeFileSync(key.files.removed, '');
    try {
      await rejectsWith(store.sign(identityId, new Uint8Array(4), 'SM2-SM3', PIN), 'DEVICE_REMOVED');
      await rejectsWith(store.pinState(identityId), 'DEVICE_REMOVED');
      assert.deepEqual(await store.listIdentities(), []);
    } finally {
      fs.rmSync(key.files.removed);
    }
    const sig = await store.sign(identityId, new Uint8Array(4), 'SM2-SM3', PIN);
    assert.equal(sig[0], 0x30);
  });

  test('watch() notices the key pulled out and plugged in again', { timeout: 20_000 }, async () => {
    const events: string[] = [];
    const seen = (want: number) => new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (events.length >= want) {
          clearInterval(t);
          resolve();
        }
      }, 20);
    });
    const stop = store.watch((e) => events.push(`${e.type} ${e.storeId}`), { intervalMs: 100 });
    try {
      await new Promise((r) => setTimeout(r, 300)); // first poll learns what is there
      fs.writeFileSync(key.files.removed, '');
      await seen(1);
      fs.rmSync(key.files.removed);
      await seen(2);
    } finally {
      stop();
      fs.rmSync(key.files.removed, { force: true });
    }
    assert.deepEqual(events, [`removed ${key.lib}#FakeSKF-0:FAKE0000000001`, `inserted ${key.lib}#FakeSKF-0:FAKE0000000001`]);
  });

  test('a vendor library that hangs or crashes in SKF_ECCSignData costs a worker restart and a clear error', async () => {
    for (const [fault, code] of [['hang', 'DEVICE_TIMEOUT'], ['crash', 'WORKER_CRASHED']] as const) {
      const c = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner({ env: { ...env, FAKE_SKF_FAULT: fault } }), timeouts: { 'store.sign': 1_500 } });
      try {
        const s = new WorkerKeyStore(c, { kind: 'skf', module: key.lib });
        await rejectsWith(s.sign(identityId, new Uint8Array(4), 'SM2-SM3', PIN), code);
        // The next call runs in a fresh worker.
        assert.equal((await s.listIdentities()).length, 1);
      } finally {
        await c.close();
      }
    }
  });

  test('an SKF library from a world-writable place is refused in the worker', async () => {
    const open = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-skf-open-'));
    try {
      fs.chmodSync(open, 0o777);
      const copy = path.join(open, 'libfakeskf.so');
      fs.copyFileSync(key.lib, copy);
      await rejectsWith(new WorkerKeyStore(client, { kind: 'skf', module: copy }).listIdentities(), 'MODULE_PATH_UNSAFE');
    } finally {
      fs.rmSync(open, { recursive: true, force: true });
    }
  });
});
