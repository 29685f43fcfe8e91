import type { ErrorInfo } from '../../errors.ts';
import type { EnvelopeContent, KeyIdentity, PinState } from '../types.ts';
import type { SignatureAlgorithm } from '../../pki/signature-algorithm.ts';
import { OID } from '../../pki/oids.ts';

/** Content ciphers an SKF key opens envelopes with (SKF_ImportSessionKey + SKF_Decrypt): SM4-CBC, GM/T 0016 has no AES. */
export const SKF_ENVELOPE_CIPHERS: readonly string[] = [OID.sm4Cbc];

/**
 * The typed message protocol between the app/CLI (client) and the key-store worker (host).
 * Stateless from the client's side: every call names its store, so a restarted worker simply
 * reopens it. Payloads travel by structured clone (Uint8Array stays binary).
 */
export type StoreSpec =
  | { kind: 'pkcs11'; module: string }
  | { kind: 'pkcs12'; file: string }
  | { kind: 'skf'; module: string }
  /** CurrentUser\My (and LocalMachine\My read-only when policy says). */
  | { kind: 'windows'; localMachine: boolean };

export function storeKey(spec: StoreSpec): string {
  if (spec.kind === 'pkcs12') return `pkcs12:${spec.file}`;
  if (spec.kind === 'windows') return `windows:${spec.localMachine ? 'user+machine' : 'user'}`;
  return `${spec.kind}:${spec.module}`;
}

/** What `tokens` shows for one module: slots with a token, their PIN state and identities. */
export interface Pkcs11ModuleReport {
  path: string;
  info: { cryptokiVersion: string; manufacturer: string; description: string; libraryVersion: string };
  slots: Pkcs11SlotReport[];
}
export interface Pkcs11SlotReport {
  id: number;
  description: string;
  label: string;
  manufacturer: string;
  model: string;
  serial: string;
  initialized: boolean;
  loginRequired: boolean;
  /** The reader has its own PIN pad: sign with an empty PIN and ask the user to type it there. */
  pinPad: boolean;
  pin: PinState;
  identities: KeyIdentity[];
  /** A slot whose token could not be read (e.g. removed while listing). */
  error?: ErrorInfo;
}

/** What `tokens --skf` shows for one SKF library: devices, their applications (PIN state) and identities. */
export interface SkfModuleReport {
  path: string;
  devices: SkfDeviceReport[];
}
export interface SkfDeviceReport {
  name: string;
  info?: {
    version: string; manufacturer: string; issuer: string; label: string; serial: string;
    hardwareVersion: string; firmwareVersion: string; algAsymCap: number; algHashCap: number; maxBufferSize: number;
  };
  applications: Array<{ name: string; pin: PinState; defaultPin: boolean; identities: KeyIdentity[] }>;
  /** A device that could not be read (e.g. removed while listing). */
  error?: ErrorInfo;
}

export interface WorkerMethods {
  ping: { params: Record<string, never>; result: { pid: number } };
  'store.list': { params: { store: StoreSpec }; result: KeyIdentity[] };
  'store.pinState': { params: { store: StoreSpec; identityId: string }; result: PinState };
  'store.sign': { params: { store: StoreSpec; identityId: string; data: Uint8Array; algorithm: SignatureAlgorithm; pin: string }; result: Uint8Array };
  /** RSA: PKCS#1 v1.5 over the DigestInfo of a 20/32-byte digest; SM2: over e. */
  'store.signDigest': { params: { store: StoreSpec; identityId: string; digest: Uint8Array; algorithm: SignatureAlgorithm; pin: string }; result: Uint8Array };
  /** Private-key decryption (RSA PKCS#1 v1.5; SM2 C1C3C2 or DER). */
  'store.decrypt': { params: { store: StoreSpec; identityId: string; ciphertext: Uint8Array; algorithm: SignatureAlgorithm; pin: string }; result: Uint8Array };
  /** A digital envelope opened inside the device (SKF: SKF_ImportSessionKey + SKF_Decrypt); the content comes back. */
  'store.decryptEnvelope': { params: { store: StoreSpec; identityId: string; encryptedKey: Uint8Array; content: EnvelopeContent; algorithm: SignatureAlgorithm; pin: string }; result: Uint8Array };
  'store.close': { params: { store: StoreSpec }; result: null };
  /**
   * Opens a PFX file with its password here, in the worker (its key derivations can cost seconds;
   * PFX_LIMITS caps them), and keeps it as the `pkcs12` store for that file. The password is not kept.
   */
  'pkcs12.open': { params: { file: string; password: string }; result: KeyIdentity[] };
  'pkcs11.describe': { params: { module: string }; result: Pkcs11ModuleReport };
  /** Tokens present now (cheap; polled to notice insert/remove). */
  'pkcs11.tokens': { params: { module: string }; result: Array<{ slot: number; serial: string; label: string }> };
  'skf.describe': { params: { module: string }; result: SkfModuleReport };
  /** SKF devices present now (cheap; polled to notice insert/remove). */
  'skf.tokens': { params: { module: string }; result: Array<{ device: string; serial: string; label: string }> };
}
export type WorkerMethod = keyof WorkerMethods;

export type HostToClient =
  | { type: 'ready'; pid: number }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: ErrorInfo };

export type ClientToHost =
  | { type: 'call'; id: number; method: WorkerMethod; params: unknown }
  | { type: 'shutdown' };

export function isHostMessage(m: unknown): m is HostToClient {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  return t === 'ready' || t === 'result' || t === 'error';
}
