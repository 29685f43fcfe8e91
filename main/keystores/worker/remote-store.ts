import type { KeyIdentity, KeyStore, PinState, SignatureAlgorithm } from '../types.ts';
import type { KeyStoreWorkerClient } from './client.ts';
import type { StoreSpec } from './protocol.ts';

/** A KeyStore that lives in the worker: the only kind the app and the CLI hold. */
export class WorkerKeyStore implements KeyStore {
  readonly kind: 'pkcs12' | 'pkcs11';
  private readonly client: KeyStoreWorkerClient;
  private readonly spec: StoreSpec;

  constructor(client: KeyStoreWorkerClient, spec: StoreSpec) {
    this.client = client;
    this.spec = spec;
    this.kind = spec.kind;
  }

  listIdentities(): Promise<KeyIdentity[]> {
    return this.client.call('store.list', { store: this.spec });
  }

  pinState(identityId: string): Promise<PinState> {
    return this.client.call('store.pinState', { store: this.spec, identityId });
  }

  sign(identityId: string, data: Uint8Array, algorithm: SignatureAlgorithm, pin: string): Promise<Uint8Array> {
    return this.client.call('store.sign', { store: this.spec, identityId, data, algorithm, pin });
  }

  async close(): Promise<void> {
    await this.client.call('store.close', { store: this.spec });
  }
}
