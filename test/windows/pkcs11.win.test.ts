/**
 * PKCS#11 with Windows' ABI for real: mingw-built fake tokens (test/fixtures/pkcs11-bad, 4-byte
 * CK_ULONG, structs packed to 1 byte) loaded by koffi on Node for Windows, in process and through
 * the key-store worker forked on Windows — a crashing and a hanging driver cost a worker restart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import koffi from 'koffi';
import { declareCryptoki, Pkcs11Module, ULONG_BYTES } from '../../main/keystores/pkcs11/binding.ts';
import { KeyStoreWorkerClient } from '../../main/keystores/worker/client.ts';
import { forkWorkerSpawner } from '../../main/keystores/worker/fork-transport.ts';
import { WorkerKeyStore } from '../../main/keystores/worker/remote-store.ts';
import { fakeDll, testPki, winEnv } from './support.ts';
import { rejectsWith } from '../support/assert-error.ts';
import { signTimesOutToNewWorker } from '../support/hung-driver.ts';


describe('the Cryptoki ABI on Windows', () => {
  test('CK_ULONG is 4 bytes and the structs are packed, as koffi declares them here', () => {
    assert.equal(ULONG_BYTES, 4);
    const t = declareCryptoki(true).types;
    assert.equal(koffi.sizeof(t.CK_ATTRIBUTE), 4 + 8 + 4);
    assert.equal(koffi.offsetof(t.CK_FUNCTION_LIST, 'C_Initialize'), 2);
  });

  test('a mingw-built module answers through every struct we read', () => {
    const m = Pkcs11Module.load(fakeDll('pkcs11-pin-pad'));
    try {
      m.initialize();
      assert.deepEqual(m.info(), { cryptokiVersion: '2.40', manufacturer: 'fake', description: 'fake token', libraryVersion: '0.0' });
      assert.deepEqual(m.slots(true), [1]);
      assert.equal(m.slotInfo(1).description, 'fake slot');
      const token = m.tokenInfo(1);
      assert.deepEqual({ ...token, flags: token.flags & 0x100 }, { label: 'fake token', manufacturer: 'fake', model: 'bad driver', serial: '0001', flags: 0x100, minPinLen: 4, maxPinLen: 16 });
      const session = m.openSession(1);
      assert.equal(session, 7);
      assert.deepEqual(m.findObjects(session, [{ type: 0 /* CKA_CLASS */, value: Buffer.from([3, 0, 0, 0]) }]), [3]);
      assert.deepEqual(m.attribute(session, 3, 0x102 /* CKA_ID */), Buffer.from([1]));
      assert.equal(m.attribute(session, 3, 0x999), null);
      assert.equal(m.login(session, 1, null), 0, 'a NULL PIN reaches C_Login');
      assert.equal(m.sign(session, 1, 3, Buffer.from('x')).toString(), 'padsig');
    } finally {
      m.close();
    }
  });
});

describe('the key-store worker on Windows survives misbehaving drivers', () => {
  let client: KeyStoreWorkerClient;
  const store = (name: string) => new WorkerKeyStore(client, { kind: 'pkcs11', module: fakeDll(`pkcs11-${name}`) });

  before(() => {
    const cert = testPki().get('hebca-ent').certDer;
    client = new KeyStoreWorkerClient({
      spawn: forkWorkerSpawner({ entry: winEnv.worker, env: { ...process.env, FAKE_P11_CERT: cert } }),
      timeouts: { 'store.sign': 8_000 },
      startTimeoutMs: 60_000,
    });
  });
  after(async () => {
    await client?.close();
  });

  test('the worker is Windows Node too, and lists the fake token\'s certificate', async () => {
    const ids = await store('pin-pad').listIdentities();
    assert.equal(ids.length, 1);
    assert.equal(ids[0]!.id, '1:01');
    assert.deepEqual(await store('final-try').pinState('1:01'), { retriesLeft: 1, low: true, finalTry: true, locked: false });
  });

  test('C_Sign crashes the driver → WORKER_CRASHED; the next call gets a fresh worker', async () => {
    const startsBefore = client.starts;
    const { pid } = await client.call('ping', {});
    await rejectsWith(store('crash').sign('1:01', Buffer.from('x'), 'RS256', '1234'), 'WORKER_CRASHED');
    const pong = await client.call('ping', {});
    assert.notEqual(pong.pid, pid);
    assert.equal(client.starts, startsBefore + 1);
  });

  test('C_Sign hangs → DEVICE_TIMEOUT after the sign timeout; the hung worker is killed and replaced', async () => {
    const pid = await signTimesOutToNewWorker(client, store('hang'), 8_000);
    let gone = false;
    for (let i = 0; i < 50 && !gone; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((r) => setTimeout(r, 100));
      } catch {
        gone = true;
      }
    }
    assert.ok(gone, 'the hung worker was terminated');
  });

  test('PIN states map from the token flags: locked, final try', async () => {
    await rejectsWith(store('locked').sign('1:01', Buffer.from('x'), 'RS256', '1234'), 'PIN_LOCKED');
    const details = await rejectsWith(store('final-try').sign('1:01', Buffer.from('x'), 'RS256', '9999'), 'PIN_INCORRECT');
    assert.deepEqual(details['pin'], { retriesLeft: 1, low: true, finalTry: true, locked: false });
  });
});
