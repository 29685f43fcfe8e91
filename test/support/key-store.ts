/**
 * A KeyStore over the test PKI's unencrypted PEM keys, for tests and the benchmark: the key is
 * loaded once, so signing measures the token code and the crypto, not PFX decryption.
 */
import { createPrivateKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as asn1js from 'asn1js';
import { AssistantError } from '../../main/errors.ts';
import type { KeyIdentity, KeyStore, PinState } from '../../main/keystores/types.ts';
import type { SignatureAlgorithm } from '../../main/pki/signature-algorithm.ts';
import { sm2Sign } from '../../main/pki/sm2.ts';
import type { PkiEntry, TestPki } from '../fixtures/pki.ts';

export const TEST_PIN = '123456';

export function algorithmFor(entry: PkiEntry): SignatureAlgorithm {
  return entry.keyAlg === 'sm2' ? 'SM2-SM3' : entry.keyAlg === 'p256' ? 'ES256' : 'RS256';
}

/** Private scalar (hex) of an SM2 PKCS#8 key: PrivateKeyInfo -> ECPrivateKey -> privateKey. */
export function sm2PrivateKeyHex(pem: string): string {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const pki = asn1js.fromBER(der).result as asn1js.Sequence;
  const inner = (pki.valueBlock.value[2] as asn1js.OctetString).valueBlock.valueHexView;
  const ec = asn1js.fromBER(inner).result as asn1js.Sequence;
  return Buffer.from((ec.valueBlock.value[1] as asn1js.OctetString).valueBlock.valueHexView).toString('hex');
}

export interface PemKeyStoreOptions {
  /** Certificates added as the "intermediates the file holds". */
  intermediates?: Uint8Array[];
  /** Algorithm label to report (to forge mismatching tokens in tests). */
  algorithm?: SignatureAlgorithm;
  /** Certificate to report instead of the entry's own (a key/certificate mix-up). */
  certificate?: Uint8Array;
  pin?: string;
}

export class PemKeyStore implements KeyStore {
  readonly kind = 'pkcs12' as const;
  private readonly nodeKey: KeyObject | null;
  private readonly sm2Hex: string | null;
  private readonly identity: KeyIdentity;
  private readonly pin: string;

  constructor(entry: PkiEntry, opts: PemKeyStoreOptions = {}) {
    const pem = readFileSync(entry.keyPem, 'utf8');
    this.sm2Hex = entry.keyAlg === 'sm2' ? sm2PrivateKeyHex(pem) : null;
    this.nodeKey = entry.keyAlg === 'sm2' ? null : createPrivateKey(pem);
    this.pin = opts.pin ?? TEST_PIN;
    this.identity = {
      id: '0',
      label: entry.id,
      certificate: opts.certificate ?? new Uint8Array(readFileSync(entry.certDer)),
      intermediates: opts.intermediates ?? [],
      algorithm: opts.algorithm ?? algorithmFor(entry),
      location: { kind: 'pkcs12', file: entry.keyPem },
    };
  }

  async listIdentities(): Promise<KeyIdentity[]> {
    return [this.identity];
  }

  async pinState(): Promise<PinState> {
    return { retriesLeft: null, low: false, finalTry: false, locked: false };
  }

  async sign(_id: string, data: Uint8Array, algorithm: SignatureAlgorithm, pin: string): Promise<Uint8Array> {
    if (pin !== this.pin) throw Object.assign(new Error('wrong pin'), { code: 'PIN_INCORRECT' });
    return this.signNow(data, algorithm);
  }

  /** Synchronous signature in the KeyStore output format (for the benchmark). */
  signNow(data: Uint8Array, algorithm: SignatureAlgorithm): Uint8Array {
    if (this.sm2Hex !== null) return sm2Sign(this.sm2Hex, data);
    const key = this.nodeKey!;
    // A label that does not fit the key still gets some signature, so verifier tests can forge.
    if (algorithm === 'ES256' && key.asymmetricKeyType === 'ec') return new Uint8Array(cryptoSign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }));
    return new Uint8Array(cryptoSign('sha256', data, key));
  }

  async close(): Promise<void> {}
}

/** Intermediates of a leaf entry (chain minus the root), DER. */
export function chainIntermediates(pki: TestPki, entry: PkiEntry): Uint8Array[] {
  return entry.chain.filter((id) => pki.get(id).kind === 'intermediate').map((id) => new Uint8Array(readFileSync(pki.get(id).certDer)));
}

export function certDer(pki: TestPki, id: string): Uint8Array {
  return new Uint8Array(readFileSync(pki.get(id).certDer));
}

/** All real roots of the test PKI (not the look-alike), DER. */
export function testRoots(pki: TestPki): Uint8Array[] {
  return Object.values(pki.entries)
    .filter((e) => e.kind === 'root' && e.profile !== 'lookalike')
    .map((e) => new Uint8Array(readFileSync(e.certDer)));
}

/**
 * A USB key as the worker presents it: a wrong PIN is PIN_INCORRECT with the retries counted down
 * (a right one resets them, as a token does); `signs` records every PIN the key was given.
 */
export class CountingPinKey implements KeyStore {
  readonly kind = 'pkcs11' as const;
  retries = 6;
  signs: string[] = [];
  private readonly inner: PemKeyStore;
  constructor(entry: PkiEntry) {
    this.inner = new PemKeyStore(entry);
  }
  listIdentities() {
    return this.inner.listIdentities();
  }
  async pinState(): Promise<PinState> {
    return { retriesLeft: this.retries, low: this.retries < 6, finalTry: this.retries === 1, locked: this.retries === 0 };
  }
  async sign(id: string, data: Uint8Array, alg: SignatureAlgorithm, pin: string): Promise<Uint8Array> {
    this.signs.push(pin);
    if (pin !== TEST_PIN) {
      this.retries--;
      throw new AssistantError('PIN_INCORRECT', 'PIN 码错误', { en: 'wrong PIN' });
    }
    this.retries = 6;
    return this.inner.sign(id, data, alg, TEST_PIN);
  }
  async close() {}
}
