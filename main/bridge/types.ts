/**
 * What the bridge (the CA assistants' loopback protocols) exchanges with the side that owns keys
 * and consent. The bridge process parses page frames; it never holds a key, a PIN it asked for,
 * or the consent UI: it asks its host (the CLI or the app's main process) through BridgeHost.
 */
import type { SignatureAlgorithm } from '../pki/signature-algorithm.ts';
import type { EnvelopeContent } from '../keystores/types.ts';

export type BridgeProtocol = 'bjca' | 'hebca' | 'jit';
export const BRIDGE_PROTOCOLS: readonly BridgeProtocol[] = ['bjca', 'hebca', 'jit'];
/** Served when nothing is named (CLI without --protocol, policy without bridgeProtocols): JIT is opt-in. */
export const DEFAULT_BRIDGE_PROTOCOLS: readonly BridgeProtocol[] = ['bjca', 'hebca'];
/** The Server header of the bridge's plain-HTTP answer: lets `doctor` tell our own bridge from a CA's assistant on a port. */
export const BRIDGE_SERVER_NAME = 'CertAssistant-Bridge';

/** A certificate with a private key, as the pages may see it (no PIN state, no paths). */
export interface BridgeCertificate {
  /** Stable id for this run; BJCA pages see it as the certID. */
  id: string;
  label: string;
  /** End-entity certificate, DER. */
  certificate: Uint8Array;
  /** The encryption (exchange) certificate where the key holds a second pair (SKF); envelopes are addressed to it. */
  encryptionCertificate?: Uint8Array;
  algorithm: SignatureAlgorithm;
  /** USB key (HARD) or file (SOFT): what GetDeviceInfo(…, 7) reports. */
  hardware: boolean;
  /** Device serial when the store tells one; pages use it to tell keys apart. */
  deviceSerial: string;
  /** PIN tries left when the device tells (SOF_GetPinRetryCount); null when unknown. */
  retriesLeft: number | null;
}

export type SignatureFormat = 'raw' | 'pkcs7-detached' | 'pkcs7-attached';

/** What is signed: a short login random (登录) or content (签署内容). */
export type ContentKind = 'login' | 'content' | 'decrypt';

export interface BridgeSignRequest {
  origin: string;
  protocol: BridgeProtocol;
  certificateId: string;
  /** The exact bytes the key signs (hashed inside the key store as the algorithm says). */
  data: Uint8Array;
  /** The call that asked (SOF_SignData, SignB64, …), for the consent and diagnostics. */
  call: string;
  /** raw: the key's signature (PKCS#1 v1.5 / SM2 DER); pkcs7-*: a CMS SignedData over `data`. */
  format: SignatureFormat;
  /** raw only. sha1: RSA over SHA-1 (SGD_SHA1_RSA pages); prehashed: `data` is the digest (SOF_SignHashData). */
  digest?: 'sha1' | 'prehashed';
  /** pkcs7-* only: false leaves the signer's certificate (and chain) out of the SignedData (JIT isIncludeCert=false). */
  includeCertificates?: false;
  /**
   * Other certificates the page's filters leave (JIT AddFilter): the consent lists them after
   * `certificateId` and the user picks the one that signs; the result names it.
   */
  alternatives?: string[];
  /**
   * The page-typed PIN, passed only when policy `bridge.acceptPagePin` lets the page unlock keys;
   * otherwise the bridge drops it unread and this is absent.
   */
  pagePin?: string;
}

export interface BridgeSignResult {
  signature: Uint8Array;
  certificate: Uint8Array;
  algorithm: SignatureAlgorithm;
}

/** A private-key decryption a page asked for (SOF_PriKeyDecrypt, the key inside an envelope, …). */
export interface BridgeDecryptRequest {
  origin: string;
  protocol: BridgeProtocol;
  certificateId: string;
  /** Exactly what the key decrypts: an RSA PKCS#1 v1.5 block, or SM2 C1‖C3‖C2 / GM/T 0009 DER. */
  ciphertext: Uint8Array;
  /** An envelope's content: `ciphertext` is its wrapped session key and the plaintext is the content's. */
  content?: EnvelopeContent;
  call: string;
  pagePin?: string;
}

/** Things the bridge tells its host for diagnostics (never a PIN, never content). */
export type BridgeNote =
  | { event: 'refused'; origin: string | null; reason: string; protocol: BridgeProtocol }
  | { event: 'port-busy'; protocol: BridgeProtocol; host: string; port: number }
  | { event: 'rate-limited'; origin: string; protocol: BridgeProtocol };

/** The host side: certificates, consent + signature, diagnostics. */
export interface BridgeHost {
  certificates(ctx: { origin: string; protocol: BridgeProtocol }): Promise<BridgeCertificate[]>;
  /** Consent (one at a time, with a timeout), then the signature through the key-store worker. */
  sign(req: BridgeSignRequest): Promise<BridgeSignResult>;
  /** Consent (解密), then the decryption through the key-store worker. */
  decrypt(req: BridgeDecryptRequest): Promise<{ plaintext: Uint8Array }>;
  note(n: BridgeNote): void;
}

export interface BridgeEndpoint {
  protocol: BridgeProtocol;
  /** ws/wss: BJCA and HEBCA; http/https: JIT PNXClient (loopback HTTP, not WebSocket). */
  scheme: 'ws' | 'wss' | 'http' | 'https';
  host: string;
  port: number;
  path: string;
  url: string;
}
