import type { EnvelopeContent, KeyIdentity, KeyStore, KeyStoreEvent, KeyStoreKind, PinState } from '../types.ts';
import type { SignatureAlgorithm } from '../../pki/signature-algorithm.ts';
import { envelopeExtraTimeoutMs, type KeyStoreWorkerClient } from './client.ts';

import { SKF_ENVELOPE_CIPHERS, type StoreSpec } from './protocol.ts';

/** A KeyStore that lives in the worker: the only kind the app and the CLI hold. */
export class WorkerKeyStore implements KeyStore {
  readonly kind: KeyStoreKind;
  private readonly client: KeyStoreWorkerClient;
  private readonly spec: StoreSpec;

  /** Present only for the store kinds that can (the signing path asks no consent for what a key cannot do). */
  readonly signDigest?: (identityId: string, digest: Uint8Array, algorithm: SignatureAlgorithm, pin: string) => Promise<Uint8Array>;
  readonly decrypt?: (identityId: string, ciphertext: Uint8Array, algorithm: SignatureAlgorithm, pin: string) => Promise<Uint8Array>;
  readonly decryptEnvelope?: (identityId: string, encryptedKey: Uint8Array, content: EnvelopeContent, algorithm: SignatureAlgorithm, pin: string) => Promise<Uint8Array>;
  readonly envelopeCiphers?: readonly string[];

  constructor(client: KeyStoreWorkerClient, spec: StoreSpec) {
    this.client = client;
    this.spec = spec;
    this.kind = spec.kind;
    if (spec.kind !== 'windows') {
      this.signDigest = (identityId, digest, algorithm, pin) => this.client.call('store.signDigest', { store: this.spec, identityId, digest, algorithm, pin });
    }
    // SKF (GM/T 0016) has no standard container decryption that hands the plaintext back: the key
    // opens envelopes itself (SKF_ImportSessionKey + SKF_Decrypt). Windows: NCryptDecrypt / CryptDecrypt.
    if (spec.kind === 'pkcs12' || spec.kind === 'pkcs11' || spec.kind === 'windows') {
      this.decrypt = (identityId, ciphertext, algorithm, pin) => this.client.call('store.decrypt', { store: this.spec, identityId, ciphertext, algorithm, pin });
    }
    if (spec.kind === 'skf') {
      this.envelopeCiphers = SKF_ENVELOPE_CIPHERS;
      this.decryptEnvelope = (identityId, encryptedKey, content, algorithm, pin) => this.client.call('store.decryptEnvelope',
        { store: this.spec, identityId, encryptedKey, content, algorithm, pin }, { extraTimeoutMs: envelopeExtraTimeoutMs(content.ciphertext.length) });
    }
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

  /**
   * Notices USB keys plugged in or pulled out by polling the token list (PKCS#11 has
   * C_WaitForSlotEvent, but many drivers block in it or do not implement it). Polls only when no
   * other call is waiting, so a long sign is never timed out by the watcher. storeId is
   * `<module>#<slot>:<serial>` (SKF: `<module>#<device>:<serial>`).
   */
  watch(listener: (e: KeyStoreEvent) => void, opts: { intervalMs?: number } = {}): () => void {
    // The Windows store has no insert/remove notice we can poll cheaply; the list is re-read when shown.
    if (this.spec.kind === 'pkcs12' || this.spec.kind === 'windows') return () => {};
    const module = this.spec.module;
    // SKF devices are polled the same way (SKF_WaitForDevEvent blocks, like C_WaitForSlotEvent).
    const present = this.spec.kind === 'skf'
      ? async () => (await this.client.call('skf.tokens', { module })).map((t) => `${t.device}:${t.serial}`)
      : async () => (await this.client.call('pkcs11.tokens', { module })).map((t) => `${t.slot}:${t.serial}`);
    let known: Set<string> | null = null;
    let busy = false;
    const tick = async () => {
      if (busy || this.client.pendingCount > 0) return;
      busy = true;
      try {
        const now = new Set(await present());
        if (known) {
          for (const k of now) if (!known.has(k)) listener({ type: 'inserted', storeId: `${module}#${k}` });
          for (const k of known) if (!now.has(k)) listener({ type: 'removed', storeId: `${module}#${k}` });
        }
        known = now;
      } catch {
        // A failing driver shows itself on the next real call; the watcher stays quiet.
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void tick(), opts.intervalMs ?? 2_000);
    timer.unref?.();
    void tick();
    return () => clearInterval(timer);
  }

  async close(): Promise<void> {
    await this.client.call('store.close', { store: this.spec });
  }
}

/**
 * Opens a PFX file in the key-store worker with its password (which stays there, used once):
 * its identities come back to be listed here, and every signature goes to the worker with the
 * PIN of its own consent. Nothing of the file is decoded in this process.
 */
export async function openPkcs12InWorker(client: KeyStoreWorkerClient, file: string, password: string): Promise<KeyStore> {
  const identities = await client.call('pkcs12.open', { file, password });
  const remote = new WorkerKeyStore(client, { kind: 'pkcs12', file });
  return {
    kind: 'pkcs12',
    listIdentities: async () => identities,
    // A file has no retry counter: the answer needs no round trip.
    pinState: async () => ({ retriesLeft: null, low: false, finalTry: false, locked: false }),
    sign: (id, data, algorithm, pin) => remote.sign(id, data, algorithm, pin),
    signDigest: remote.signDigest!,
    decrypt: remote.decrypt!,
    close: () => remote.close(),
  };
}
