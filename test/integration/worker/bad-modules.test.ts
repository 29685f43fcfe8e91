import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { KeyStoreWorkerClient } from '../../../main/keystores/worker/client.ts';
import { forkWorkerSpawner } from '../../../main/keystores/worker/fork-transport.ts';
import { WorkerKeyStore } from '../../../main/keystores/worker/remote-store.ts';
import { rejectsWith } from '../../support/assert-error.ts';
import { signTimesOutToNewWorker } from '../../support/hung-driver.ts';

const SRC = fileURLToPath(new URL('../../fixtures/pkcs11-bad/', import.meta.url));
const onPath = (cmd: string) => (process.env['PATH'] ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, cmd)));
const skip = onPath('gcc') ? false : 'gcc not installed';


describe('the worker boundary survives misbehaving PKCS#11 drivers', { skip }, () => {
  let dir: string;
  const lib: Record<string, string> = {};
  let client: KeyStoreWorkerClient;
  const store = (name: string) => new WorkerKeyStore(client, { kind: 'pkcs11', module: lib[name]! });

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-worker-'));
    for (const name of ['crash', 'hang', 'locked', 'final-try', 'pin-pad']) {
      lib[name] = path.join(dir, `lib${name}.so`);
      execFileSync('gcc', ['-shared', '-fPIC', '-O1', '-o', lib[name]!, path.join(SRC, `${name}.c`)], { stdio: 'pipe' });
    }
    client = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner(), timeouts: { 'store.sign': 1_500 } });
  });
  after(async () => {
    await client?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the fake token is reachable: list and PIN state', async () => {
    const ids = await store('crash').listIdentities();
    // No $FAKE_P11_CERT: the key is there but no certificate, so no identity.
    assert.deepEqual(ids, []);
    assert.deepEqual(await store('crash').pinState('1:01'), { retriesLeft: null, low: false, finalTry: false, locked: false });
  });

  test('C_Sign crashes the driver → WORKER_CRASHED; the next call gets a fresh worker', async () => {
    const startsBefore = client.starts;
    await rejectsWith(store('crash').sign('1:01', Buffer.from('x'), 'RS256', '1234'), 'WORKER_CRASHED');
    const pong = await client.call('ping', {});
    assert.equal(typeof pong.pid, 'number');
    assert.equal(client.starts, startsBefore + 1);
    assert.deepEqual((await store('locked').pinState('1:01')).locked, true);
  });

  test('C_Sign hangs → DEVICE_TIMEOUT after the sign timeout; the worker is replaced', async () => {
    const pid = await signTimesOutToNewWorker(client, store('hang'), 1_500);
    assert.throws(() => process.kill(pid, 0), 'the hung worker was killed');
  });

  test('calls queued behind a hung call run in the fresh worker with their own timeout', async () => {
    const hung = store('hang').sign('1:01', Buffer.from('x'), 'RS256', '1234');
    const queued = client.call('ping', {});
    await rejectsWith(hung, 'DEVICE_TIMEOUT');
    assert.equal(typeof (await queued).pid, 'number');
  });

  test('CKF_USER_PIN_LOCKED → PinState.locked, and sign refuses with PIN_LOCKED without trying the PIN', async () => {
    assert.deepEqual(await store('locked').pinState('1:01'), { retriesLeft: 0, low: false, finalTry: false, locked: true });
    await rejectsWith(store('locked').sign('1:01', Buffer.from('x'), 'RS256', '1234'), 'PIN_LOCKED');
  });

  test('CKF_USER_PIN_COUNT_LOW|FINAL_TRY → wrong PIN reports one try left', async () => {
    const details = await rejectsWith(store('final-try').sign('1:01', Buffer.from('x'), 'RS256', '9999'), 'PIN_INCORRECT');
    assert.deepEqual(details['pin'], { retriesLeft: 1, low: true, finalTry: true, locked: false });
  });

  test('a PIN-pad reader: an empty PIN reaches C_Login as NULL; describe says pinPad', async () => {
    const sig = await store('pin-pad').sign('1:01', Buffer.from('x'), 'RS256', '');
    assert.equal(Buffer.from(sig).toString(), 'padsig');
    const report = await client.call('pkcs11.describe', { module: lib['pin-pad']! });
    assert.equal(report.slots[0]?.pinPad, true);
    await rejectsWith(store('crash').sign('1:01', Buffer.from('x'), 'RS256', ''), 'PIN_LEN_RANGE');
  });

  test('a module in a world-writable directory is refused (MODULE_PATH_UNSAFE)', async () => {
    const open = path.join(dir, 'open');
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o777);
    const copy = path.join(open, 'libcrash.so');
    fs.copyFileSync(lib['crash']!, copy);
    await rejectsWith(new WorkerKeyStore(client, { kind: 'pkcs11', module: copy }).listIdentities(), 'MODULE_PATH_UNSAFE');
    await rejectsWith(new WorkerKeyStore(client, { kind: 'pkcs11', module: 'libcrash.so' }).listIdentities(), 'MODULE_PATH_UNSAFE');
  });
});
