/**
 * What the reference portal's tests take from this repository (their only import from outside the
 * portal package): the test PKI, login tokens made the way the assistant makes them (the product's
 * own createLoginToken over its Pkcs12KeyStore on the test PKI's PFX files, the file password
 * being the PIN; leaves shipped without a PFX sign from their PEM key), and the service guide.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { LightMyRequestResponse } from 'fastify';
import { sign as nodeSign } from 'node:crypto';
import { createLoginToken } from '../../main/login/token.ts';
import { createCertificateService } from '../../main/assistant/certificates.ts';
import { loadTrustAnchors } from '../../main/pki/trust.ts';
import { Pkcs12KeyStore } from '../../main/keystores/pkcs12/index.ts';
import { describePrivateKey, nodePrivateKey, sm2PrivateKeyHex } from '../../main/pki/private-key.ts';
import { sm2Sign } from '../../main/pki/sm2.ts';
import type { KeyIdentity, KeyStore, PinState } from '../../main/keystores/types.ts';
import type { SignatureAlgorithm } from '../../main/pki/signature-algorithm.ts';
import type { PkiEntry, TestPki } from '../fixtures/pki.ts';
import { sofSignData, sofVerifySignedData, SGD } from '../../main/bridge/formats/index.ts';
import { pemMessageSigner } from './message-signer.ts';
import { residentIdCheckOracle } from '../fixtures/generate-pki.ts';

export { getTestPki, type TestPki } from '../fixtures/pki.ts';
export { repoGuideSource } from './portal-guide.ts';
export { startRedisServer, type RedisServer } from './redis-server.ts';

/** For test leaves shipped without a PFX (the negatives): the PEM key and the chain from the manifest. */
export interface PemIdentity { id: string; certDer: string; keyPem: string; intermediates: string[] /* DER paths */ }

class PemTestKeyStore implements KeyStore {
  readonly kind = 'pkcs12' as const;
  constructor(private readonly entry: PemIdentity) {}

  private pkcs8(): Uint8Array {
    const pem = readFileSync(this.entry.keyPem, 'utf8');
    return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'));
  }

  async listIdentities(): Promise<KeyIdentity[]> {
    const kind = describePrivateKey(this.pkcs8()).kind;
    const algorithm: SignatureAlgorithm = kind === 'RSA' ? 'RS256' : kind === 'SM2' ? 'SM2-SM3' : 'ES256';
    const intermediates = this.entry.intermediates.map((f) => new Uint8Array(readFileSync(f)));
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
  const store: KeyStore = file
    ? await Pkcs12KeyStore.open(file, { password: entry.pfx?.password ?? pki.password })
    : new PemTestKeyStore(pemIdentityOf(pki, entry));
  return signWith(store, entry.pfx?.password ?? pki.password, opts);
}

function pemIdentityOf(pki: TestPki, entry: PkiEntry): PemIdentity {
  const intermediates = entry.chain.map((id) => pki.get(id)).filter((e) => e.kind === 'intermediate').map((e) => e.certDer);
  return { id: entry.id, certDer: entry.certDer, keyPem: entry.keyPem, intermediates };
}

/**
 * A login (or binding) as the assistant makes it for a USB key that holds only the leaf: the
 * assistant's certificate service (main/assistant/certificates.ts) over that key, with the admin's
 * trust folder holding the certificates `trusted` names (certs/trust/, policy trustAnchorDirs).
 */
export async function assistantLoginToken(pki: TestPki, entryId: string, opts: { origin: string; challenge: string; trusted: string[] }): Promise<string> {
  const entry = pki.get(entryId);
  const store = new PemTestKeyStore({ id: entry.id, certDer: entry.certDer, keyPem: entry.keyPem, intermediates: [] });
  const anchors = loadTrustAnchors(opts.trusted.map((id) => pki.get(id).certPem), { includeBundled: false, systemRoots: null });
  const svc = createCertificateService({
    now: () => new Date(), appVersion: 'portal-test', anchors: () => anchors,
    usbStores: () => [{ storeId: 'skf-1', source: 'usb', label: 'skf', store }],
    openPkcs12: () => Promise.reject(new Error('no files')),
  });
  const [card] = (await svc.list()).certificates;
  if (!card) throw new Error('no certificate listed');
  return svc.createToken({ certificateId: card.id, origin: opts.origin, challenge: opts.challenge, pin: 'pem-key-has-no-pin' });
}

/** A token from a certificate made inside a test (e.g. a renewed certificate with the same USCC). */
export async function loginTokenFromPem(identity: PemIdentity, opts: { origin: string; challenge: string }): Promise<string> {
  return signWith(new PemTestKeyStore(identity), 'pem-key-has-no-pin', opts);
}

async function signWith(store: KeyStore, pin: string, opts: { origin: string; challenge: string }): Promise<string> {
  const [identity] = await store.listIdentities();
  if (!identity) throw new Error('no identity');
  try {
    const created = await createLoginToken({
      origin: opts.origin, challenge: opts.challenge, store, identityId: identity.id, pin, appVersion: 'portal-test',
    });
    return created.token;
  } finally {
    await store.close();
  }
}

/** Trust anchors: every test root except the look-alike (which must stay untrusted). */
export function testTrustAnchors(pki: TestPki): Uint8Array[] {
  return Object.values(pki.entries)
    .filter((e) => e.kind === 'root' && !e.id.startsWith('lookalike'))
    .map((e) => new Uint8Array(readFileSync(e.certDer)));
}

/**
 * The CA page library's part of 证书登录（CA 助手兼容）, done with the product's formats (what the bridge
 * answers with): check the portal's signature over its random (SOF_VerifySignedData) and sign the
 * random with the entry's key (SOF_SignData); `signed` replaces the random to forge a wrong answer.
 */
export async function caLibraryLogin(pki: TestPki, entryId: string, server: { random: string; serverCert: string; serverSignature: string }, signed?: string): Promise<{ serverSignatureValid: boolean; UserCert: string; UserSignedData: string }> {
  const signer = pemMessageSigner(pki, pki.get(entryId));
  return {
    serverSignatureValid: sofVerifySignedData(server.serverCert, server.random, server.serverSignature),
    UserCert: readFileSync(pki.get(entryId).certDer).toString('base64'),
    UserSignedData: await sofSignData(signer, signer.keyKind === 'SM2' ? SGD.SM3_SM2 : SGD.SHA256_RSA, signed ?? server.random),
  };
}

export { reencodedCertificates, withCertificate, withTrailingSignatureBytes } from './reencode.ts';

/** A valid 18-digit resident ID (GB 11643 check char) from its first 17 digits, for registrations. */
export function residentId(first17: string): string {
  return first17 + residentIdCheckOracle(first17);
}

/** `name=value` of the cookie an injected portal answer sets (fails the test when it is not set). */
export function cookieOf(r: LightMyRequestResponse, name: string): string {
  const raw = r.headers['set-cookie'];
  const hit = (Array.isArray(raw) ? raw : [raw]).map(String).find((c) => c.startsWith(`${name}=`));
  assert.ok(hit, `cookie ${name} set`);
  return hit.split(';')[0]!;
}
