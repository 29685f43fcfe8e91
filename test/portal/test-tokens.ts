/**
 * Login tokens for the portal's tests: the product's own createLoginToken over a key store
 * opened from the test PKI's PFX files (the file password is the PIN).
 */
import { readFileSync } from 'node:fs';
import { sign as nodeSign } from 'node:crypto';
import { createLoginToken } from '../../main/login/token.ts';
import { decodePkcs12 } from '../../main/pki/pkcs12.ts';
import { describePrivateKey, nodePrivateKey, sm2PrivateKeyHex } from '../../main/pki/private-key.ts';
import { sm2Sign } from '../../main/pki/sm2.ts';
import type { KeyIdentity, KeyStore, PinState, SignatureAlgorithm } from '../../main/keystores/types.ts';
import type { PkiEntry, TestPki } from '../fixtures/pki.ts';

/** One identity read from a PFX; the key is decrypted with the PIN at each signature. */
class PfxTestKeyStore implements KeyStore {
  readonly kind = 'pkcs12' as const;
  constructor(private readonly file: string, private readonly entry: PkiEntry) {}

  async listIdentities(): Promise<KeyIdentity[]> {
    const c = decodePkcs12(readFileSync(this.file), this.entry.pfx?.password, { decryptKeys: true });
    const leafDer = readFileSync(this.entry.certDer);
    const leaf = c.certificates.find((x) => Buffer.from(x.der).equals(leafDer));
    if (!leaf) throw new Error(`leaf certificate of ${this.entry.id} not in ${this.file}`);
    const pkcs8 = c.keys[0]?.pkcs8;
    if (!pkcs8) throw new Error('no key in the PFX');
    const kind = describePrivateKey(pkcs8).kind;
    const algorithm: SignatureAlgorithm = kind === 'RSA' ? 'RS256' : kind === 'SM2' ? 'SM2-SM3' : 'ES256';
    return [{
      id: '0', label: this.entry.id, certificate: leaf.der, algorithm,
      intermediates: c.certificates.filter((x) => x !== leaf).map((x) => x.der),
      location: { kind: 'pkcs12', file: this.file },
    }];
  }

  async pinState(): Promise<PinState> {
    return { retriesLeft: null, low: false, finalTry: false, locked: false };
  }

  async sign(_id: string, data: Uint8Array, algorithm: SignatureAlgorithm, pin: string): Promise<Uint8Array> {
    const c = decodePkcs12(readFileSync(this.file), pin, { decryptKeys: true });
    const pkcs8 = c.keys[0]?.pkcs8;
    if (!pkcs8) throw new Error('no key in the PFX');
    if (algorithm === 'SM2-SM3') return sm2Sign(sm2PrivateKeyHex(pkcs8), data);
    const key = nodePrivateKey(pkcs8);
    return new Uint8Array(algorithm === 'ES256' ? nodeSign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }) : nodeSign('sha256', data, key));
  }

  async close(): Promise<void> {}
}

/** For test leaves shipped without a PFX (the negatives): the PEM key and the chain from the manifest. */
class PemTestKeyStore implements KeyStore {
  readonly kind = 'pkcs12' as const;
  constructor(private readonly pki: TestPki, private readonly entry: PkiEntry) {}

  private pkcs8(): Uint8Array {
    const pem = readFileSync(this.entry.keyPem, 'utf8');
    return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'));
  }

  async listIdentities(): Promise<KeyIdentity[]> {
    const kind = describePrivateKey(this.pkcs8()).kind;
    const algorithm: SignatureAlgorithm = kind === 'RSA' ? 'RS256' : kind === 'SM2' ? 'SM2-SM3' : 'ES256';
    const intermediates = this.entry.chain.map((id) => this.pki.get(id)).filter((e) => e.kind === 'intermediate').map((e) => new Uint8Array(readFileSync(e.certDer)));
    return [{ id: '0', label: this.entry.id, certificate: new Uint8Array(readFileSync(this.entry.certDer)), intermediates, algorithm, location: { kind: 'pkcs12', file: this.entry.keyPem } }];
  }

  async pinState(): Promise<PinState> {
    return { retriesLeft: null, low: false, finalTry: false, locked: false };
  }

  async sign(_id: string, data: Uint8Array, algorithm: SignatureAlgorithm): Promise<Uint8Array> {
    const pkcs8 = this.pkcs8();
    if (algorithm === 'SM2-SM3') return sm2Sign(sm2PrivateKeyHex(pkcs8), data);
    const key = nodePrivateKey(pkcs8);
    return new Uint8Array(algorithm === 'ES256' ? nodeSign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }) : nodeSign('sha256', data, key));
  }

  async close(): Promise<void> {}
}

export async function loginToken(pki: TestPki, entryId: string, opts: { origin: string; challenge: string }): Promise<string> {
  const entry = pki.get(entryId);
  const file = entry.pfx?.modern ?? entry.pfx?.legacy;
  const store: KeyStore = file ? new PfxTestKeyStore(file, entry) : new PemTestKeyStore(pki, entry);
  const [identity] = await store.listIdentities();
  if (!identity) throw new Error('no identity');
  const created = await createLoginToken({
    origin: opts.origin, challenge: opts.challenge, store, identityId: identity.id, pin: entry.pfx?.password ?? pki.password, appVersion: 'portal-test',
  });
  return created.token;
}

/** Trust anchors: every test root except the look-alike (which must stay untrusted). */
export function testTrustAnchors(pki: TestPki): Uint8Array[] {
  return Object.values(pki.entries)
    .filter((e) => e.kind === 'root' && !e.id.startsWith('lookalike'))
    .map((e) => new Uint8Array(readFileSync(e.certDer)));
}
