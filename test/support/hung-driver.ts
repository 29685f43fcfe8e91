/**
 * The check the Linux and Windows worker suites share for a driver whose C_Sign never returns:
 * the key-store worker gives up at its sign timeout and a new worker process takes over.
 */
import assert from 'node:assert/strict';
import type { KeyStoreWorkerClient } from '../../main/keystores/worker/client.ts';
import type { WorkerKeyStore } from '../../main/keystores/worker/remote-store.ts';
import { rejectsWith } from './assert-error.ts';

/** Signs with `hanging` (identity 1:01): DEVICE_TIMEOUT after `timeoutMs`, then another worker answers. Returns the hung worker's pid. */
export async function signTimesOutToNewWorker(client: KeyStoreWorkerClient, hanging: WorkerKeyStore, timeoutMs: number): Promise<number> {
  const { pid } = await client.call('ping', {});
  const details = await rejectsWith(hanging.sign('1:01', Buffer.from('x'), 'RS256', '1234'), 'DEVICE_TIMEOUT');
  assert.equal(details['timeoutMs'], timeoutMs);
  const next = await client.call('ping', {});
  assert.notEqual(next.pid, pid, 'a new worker process answers');
  return pid;
}
