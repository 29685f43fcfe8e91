/**
 * One interface for every place a signing key can live: PKCS#12 files, PKCS#11 USB keys,
 * SKF (GM/T 0016) and the Windows certificate store. Implementations run behind the
 * worker boundary (main/keystores/worker*), so a vendor driver that crashes or hangs costs a
 * worker restart, never the app.
 */

import type { SignatureAlgorithm } from '../pki/signature-algorithm.ts';

export interface PinState {
  /** Retries left when the device says so; null when unknown. */
  retriesLeft: number | null;
  /** CKF_USER_PIN_COUNT_LOW: a wrong PIN was entered since the last success. */
  low: boolean;
  /** CKF_USER_PIN_FINAL_TRY: one more wrong PIN locks the key. */
  finalTry: boolean;
  /** CKF_USER_PIN_LOCKED. */
  locked: boolean;
}

export type IdentityLocation =
  | { kind: 'pkcs12'; file: string }
  | { kind: 'pkcs11'; module: string; slot: number; tokenLabel: string; tokenSerial: string }
  | { kind: 'skf'; module: string; device: string; application: string; container: string; deviceLabel: string; deviceSerial: string }
  /** Windows certificate store: which store, and the CSP/KSP and key container the certificate names. */
  | { kind: 'windows'; store: 'CurrentUser\\My' | 'LocalMachine\\My'; provider: string; container: string };

/** A certificate with a private key that can sign, and where it lives. */
export interface KeyIdentity {
  /** Stable id within its store (PKCS#11: hex CKA_ID; PKCS#12: index in the file). */
  id: string;
  label: string;
  /** End-entity certificate, DER. */
  certificate: Uint8Array;
  /** Other certificates the file or token holds (intermediates), DER. */
  intermediates: Uint8Array[];
  /**
   * The encryption (exchange) certificate where the key holds a separate encryption key pair
   * (an SKF container's bSignFlag FALSE pair): envelopes for this identity are addressed to it,
   * and SOF_ExportExChangeUserCert hands it out. Absent: the signing certificate is also the one
   * for envelopes.
   */
  encryptionCertificate?: Uint8Array;
  /** What the key can do, from the key itself. */
  algorithm: SignatureAlgorithm;
  location: IdentityLocation;
}

/** A digital envelope's encrypted content, for a device that opens envelopes itself. */
export interface EnvelopeContent {
  /** Content cipher OID (SM4-CBC, AES-CBC…). */
  cipher: string;
  iv: Uint8Array;
  ciphertext: Uint8Array;
}

export type KeyStoreEvent = { type: 'inserted' | 'removed'; storeId: string };

export type KeyStoreKind = 'pkcs12' | 'pkcs11' | 'skf' | 'windows';

export interface KeyStore {
  readonly kind: KeyStoreKind;
  /** Identities available now. Never needs the PIN. */
  listIdentities(): Promise<KeyIdentity[]>;
  /** PIN state of the device holding this identity (PKCS#12: never locked, retries unknown). */
  pinState(identityId: string): Promise<PinState>;
  /**
   * Signs `data` (the whole message, hashed inside as the algorithm says) with the identity's key.
   * Output: RS256 PKCS#1 v1.5 bytes; ES256 IEEE P1363 r||s; SM2-SM3 DER SEQUENCE{r,s} (GM/T 0009, Z_A
   * over the default ID 1234567812345678). The PIN is used once and never kept; never retried.
   */
  sign(identityId: string, data: Uint8Array, algorithm: SignatureAlgorithm, pin: string): Promise<Uint8Array>;
  /**
   * Signs a digest computed elsewhere (SOF_SignHashData, SHA-1 pages). RSA: PKCS#1 v1.5 over the
   * DigestInfo, the hash told by the length (20 SHA-1, 32 SHA-256); SM2: DER r,s over e (already
   * SM3(Z_A ‖ M)). Absent where the store cannot (the signing path then refuses with OPERATION_NOT_SUPPORTED before any consent).
   */
  signDigest?(identityId: string, digest: Uint8Array, algorithm: SignatureAlgorithm, pin: string): Promise<Uint8Array>;
  /**
   * Private-key decryption: RSA PKCS#1 v1.5 (RSAES-PKCS1-v1_5); SM2 GM/T 0003-4 C1‖C3‖C2
   * (04-prefixed) or GM/T 0009 DER. Every call follows its own consent (解密). Absent where the
   * store cannot decrypt.
   */
  decrypt?(identityId: string, ciphertext: Uint8Array, algorithm: SignatureAlgorithm, pin: string): Promise<Uint8Array>;
  /**
   * Opens a digital envelope inside the device, the session key never leaving it (SKF:
   * SKF_ImportSessionKey with the encryption key pair, then SKF_Decrypt): `encryptedKey` as for
   * `decrypt`, the content's cipher one of `envelopeCiphers`; returns the content. Every call
   * follows its own consent (解密). Absent where the store cannot.
   */
  decryptEnvelope?(identityId: string, encryptedKey: Uint8Array, content: EnvelopeContent, algorithm: SignatureAlgorithm, pin: string): Promise<Uint8Array>;
  /** The content cipher OIDs `decryptEnvelope` opens (checked before any consent). */
  readonly envelopeCiphers?: readonly string[];
  /** Insert/remove notifications where the store can tell; returns an unsubscribe. */
  watch?(listener: (e: KeyStoreEvent) => void): () => void;
  close(): Promise<void>;
}
