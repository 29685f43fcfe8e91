import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { AssistantError, isAssistantError } from '../../../main/errors.ts';
import { KeyStoreWorkerClient, type WorkerTransport } from '../../../main/keystores/worker/client.ts';
import { runKeyStoreHost } from '../../../main/keystores/worker/host.ts';
import { WorkerKeyStore } from '../../../main/keystores/worker/remote-store.ts';
import type { KeyIdentity, KeyStore } from '../../../main/keystores/types.ts';

/** A host in this process behind a structured-clone channel: the protocol without a process. */
function inMemoryWorker(store: KeyStore, seen: unknown[], opts: { ready?: boolean } = {}): WorkerTransport {
  const toHost = new EventEmitter();
  const toClient = new EventEmitter();
  const exit = new EventEmitter();
  runKeyStoreHost(
    { postMessage: (m) => setImmediate(() => opts.ready === false && m.type === 'ready' ? undefined : toClient.emit('m', structuredClone(m))), onMessage: (l) => toHost.on('m', l) },
    { openStore: async () => store, describePkcs11: async () => { throw new AssistantError('X', '无'); }, exit: () => exit.emit('exit', 0) },
  );
  return {
    postMessage: (m) => { seen.push(m); setImmediate(() => toHost.emit('m', structuredClone(m))); },
    onMessage: (l) => toClient.on('m', l),
    onExit: (l) => exit.once('exit', l),
    kill: () => exit.emit('exit', null),
  };
}

const identity: KeyIdentity = {
  id: '1:01', label: 'k', certificate: new Uint8Array([0x30, 0x00]), intermediates: [], algorithm: 'RS256',
  location: { kind: 'pkcs11', module: '/m.so', slot: 1, tokenLabel: 't', tokenSerial: 's' },
};

const fakeStore: KeyStore = {
  kind: 'pkcs11',
  listIdentities: async () => [identity],
  pinState: async () => ({ retriesLeft: null, low: false, finalTry: false, locked: false }),
  sign: async (_id, data, _alg, pin) => {
    if (pin !== '1234') throw new AssistantError('PIN_INCORRECT', 'PIN 码错误', { details: { pin: { retriesLeft: 2, low: true, finalTry: false, locked: false } } });
    return new Uint8Array([...data].reverse());
  },
  close: async () => {},
};

describe('key-store worker protocol', () => {
  test('results and errors cross the channel as values (binary stays binary)', async () => {
    const seen: unknown[] = [];
    const client = new KeyStoreWorkerClient({ spawn: () => inMemoryWorker(fakeStore, seen) });
    const store = new WorkerKeyStore(client, { kind: 'pkcs11', module: '/m.so' });
    assert.deepEqual(await store.listIdentities(), [identity]);
    const sig = await store.sign('1:01', new Uint8Array([1, 2, 3]), 'RS256', '1234');
    assert.ok(sig instanceof Uint8Array);
    assert.deepEqual([...sig], [3, 2, 1]);
    await assert.rejects(store.sign('1:01', new Uint8Array([1]), 'RS256', '0000'), (e) => {
      assert.ok(isAssistantError(e));
      assert.equal(e.code, 'PIN_INCORRECT');
      assert.deepEqual(e.details, { pin: { retriesLeft: 2, low: true, finalTry: false, locked: false } });
      return true;
    });
    // Each sign carries its PIN exactly once; no other message does.
    const withPin = seen.filter((m) => JSON.stringify(m, (_k, v) => (v instanceof Uint8Array ? [...v] : v)).includes('"pin"'));
    assert.equal(withPin.length, 2);
    await client.close();
    await assert.rejects(store.listIdentities(), (e) => isAssistantError(e) && e.code === 'WORKER_CLOSED');
  });

  test('unknown methods and non-AssistantErrors become safe error values', async () => {
    const broken: KeyStore = { ...fakeStore, listIdentities: async () => { throw new TypeError('secret internals'); } };
    const client = new KeyStoreWorkerClient({ spawn: () => inMemoryWorker(broken, []) });
    await assert.rejects(new WorkerKeyStore(client, { kind: 'pkcs11', module: '/m.so' }).listIdentities(), (e) => {
      assert.ok(isAssistantError(e));
      assert.equal(e.code, 'WORKER_INTERNAL_ERROR');
      assert.doesNotMatch(e.message, /secret/);
      return true;
    });
    await assert.rejects(client.call('nope' as 'ping', {}), (e) => isAssistantError(e) && e.code === 'WORKER_METHOD_UNKNOWN');
    await client.close();
  });

  test('a worker that never becomes ready → WORKER_START_FAILED, then a new worker is tried', async () => {
    let spawns = 0;
    const client = new KeyStoreWorkerClient({ startTimeoutMs: 200, spawn: () => inMemoryWorker(fakeStore, [], { ready: ++spawns > 1 }) });
    await assert.rejects(client.call('ping', {}), (e) => isAssistantError(e) && e.code === 'WORKER_START_FAILED');
    assert.equal(typeof (await client.call('ping', {})).pid, 'number');
    assert.equal(client.starts, 2);
    await client.close();
  });
});
