/** The Windows certificate store as every caller (CLI, app, bridge) reaches it: through the key-store worker. */
import type { KeyStoreWorkerClient } from '../worker/client.ts';
import { WorkerKeyStore } from '../worker/remote-store.ts';
import type { KeyStore } from '../types.ts';

export interface WindowsStoreOptions {
  /** Also list LocalMachine\My, read-only (policy `windowsStoreLocalMachine`). */
  localMachine?: boolean;
}

/** A KeyStore over CurrentUser\My (and LocalMachine\My when asked), living in the worker. */
export function windowsStoreKeyStore(client: KeyStoreWorkerClient, opts: WindowsStoreOptions = {}): KeyStore {
  return new WorkerKeyStore(client, { kind: 'windows', localMachine: opts.localMachine ?? false });
}
