/**
 * Messages between the bridge process (parses page frames) and its host (the CLI, or the app's
 * main process: certificates, consent, signing through the key-store worker). Structured clone:
 * Uint8Array stays binary.
 */
import type { ErrorInfo } from '../errors.ts';
import type { BridgePorts } from './server.ts';
import type { SessionLimits } from './session.ts';
import type { BridgeCertificate, BridgeDecryptRequest, BridgeEndpoint, BridgeNote, BridgeProtocol, BridgeSignRequest, BridgeSignResult } from './types.ts';

export interface BridgeStartOptions {
  protocols: BridgeProtocol[];
  ports?: Partial<BridgePorts>;
  tls?: { cert: string; key: string };
  /** The signing allow-list entries (policy, or --allow-origin), matched with common/portal-origins. */
  allowedOrigins: string[];
  acceptPagePin: boolean;
  limits?: Partial<SessionLimits>;
}

export interface BridgeHostCalls {
  certificates: { params: { origin: string; protocol: BridgeProtocol }; result: BridgeCertificate[] };
  sign: { params: BridgeSignRequest; result: BridgeSignResult };
  decrypt: { params: BridgeDecryptRequest; result: { plaintext: Uint8Array } };
}
export type BridgeHostMethod = keyof BridgeHostCalls;

export type ToBridge =
  | { type: 'start'; options: BridgeStartOptions }
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: ErrorInfo }
  | { type: 'keysChanged' }
  | { type: 'stop' };

export type FromBridge =
  | { type: 'listening'; endpoints: BridgeEndpoint[] }
  | { type: 'call'; id: number; method: BridgeHostMethod; params: unknown }
  | { type: 'note'; note: BridgeNote }
  | { type: 'log'; event: string; fields?: Record<string, string | number | boolean | null> }
  | { type: 'stopped' };

export function isFromBridge(m: unknown): m is FromBridge {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  return t === 'listening' || t === 'call' || t === 'note' || t === 'log' || t === 'stopped';
}
