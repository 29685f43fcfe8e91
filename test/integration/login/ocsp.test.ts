/**
 * OCSP against a real responder: `openssl ocsp` serving the test PKI's HEBCA CA from an index we
 * write, started on a free port by the test and killed after. Answers signed by the issuer and
 * by delegated responders (with and without id-kp-OCSPSigning, or certified by a look-alike CA),
 * revoked and unknown serials, nonce replay, nextUpdate windows, caching, timeouts, size caps.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getTestPki } from '../../fixtures/pki.ts';
import { startOcspResponder } from '../../support/ocsp-responder.ts';
import { scratchDir } from '../../support/scratch.ts';
import { PemKeyStore, chainIntermediates, certDer, testRoots } from '../../support/key-store.ts';
import { createLoginToken } from '../../../main/login/token.ts';
import { MemoryChallengeStore, verifyLoginToken, type VerifyOptions, type VerifyResult } from '../../../main/login/verify.ts';
import { buildOcspRequest, clearOcspCache, ocspResponderUrls, postOcspRequest, type OcspFetcher } from '../../../main/login/ocsp.ts';
import { parseCertificate, type ParsedCertificate } from '../../../main/pki/certificate.ts';

const ORIGIN = 'https://www.hbzwfw.gov.cn';
const pki = await getTestPki();
const dir = scratchDir('ocsp-');
const rootCrl = new Uint8Array(readFileSync(pki.crls['hebca-root']!));
const children: ChildProcess[] = [];
let aiaLeaf: Uint8Array;
let unknownLeaf: Uint8Array;

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function indexDate(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
}

function indexLine(c: ParsedCertificate, revokedAt?: Date): string {
  const serial = c.serialNumber.toUpperCase().padStart(c.serialNumber.length + (c.serialNumber.length % 2), '0');
  return [revokedAt ? 'R' : 'V', indexDate(c.notAfter), revokedAt ? `${indexDate(revokedAt)},keyCompromise` : '', serial, 'unknown', '/CN=x'].join('\t');
}

/** A certificate signed by `caId`'s key: a responder (with `eku`) or a re-issued hebca-ent with an AIA. */
function issue(name: string, caId: string, ext: string, opts: { reissue?: string; serial: string }): Uint8Array {
  const ca = pki.get(caId);
  const extFile = path.join(dir, `${name}.ext`);
  writeFileSync(extFile, `[v3]\n${ext}\nauthorityKeyIdentifier = keyid\n`);
  const out = path.join(dir, `${name}.pem`);
  const csr = path.join(dir, `${name}.csr`);
  if (opts.reissue) {
    // Same subject and key as the test PKI's entry, new serial and extensions.
    const entry = pki.get(opts.reissue);
    openssl(['x509', '-x509toreq', '-in', entry.certPem, '-signkey', entry.keyPem, '-out', csr]);
  } else {
    openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, `${name}.key`), '-subj', `/CN=${name}`, '-out', csr]);
  }
  openssl(['x509', '-req', '-in', csr, '-CA', ca.certPem, '-CAkey', ca.keyPem, '-set_serial', opts.serial, '-extfile', extFile, '-extensions', 'v3', '-days', '30', '-out', out]);
  return new Uint8Array(execFileSync('openssl', ['x509', '-in', out, '-outform', 'DER']));
}

/** Starts `openssl ocsp` for HEBCA's CA on a free port; resolves its URL. */
async function responder(signer: { cert: string; key: string }, extra: string[] = []): Promise<string> {
  const ca = pki.get('hebca-ca');
  const r = await startOcspResponder({ index: path.join(dir, 'index.txt'), caCert: ca.certPem, signerCert: signer.cert, signerKey: signer.key, extra });
  children.push(r.child);
  return r.url;
}

let issuerSigned: string;
let delegated: string;
let delegatedNoEku: string;
let lookalikeDelegated: string;
let withNextUpdate: string;
let hang: Server;
let hangUrl: string;

before(async () => {
  const ca = pki.get('hebca-ca');
  issue('responder-eku', 'hebca-ca', 'keyUsage = critical, digitalSignature\nextendedKeyUsage = OCSPSigning', { serial: '0x7001' });
  issue('responder-no-eku', 'hebca-ca', 'keyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth', { serial: '0x7002' });
  // Same issuer name as HEBCA's CA, another key: a look-alike certifying "its" responder.
  issue('responder-lookalike', 'lookalike-ca', 'keyUsage = critical, digitalSignature\nextendedKeyUsage = OCSPSigning', { serial: '0x7003' });
  aiaLeaf = issue('ent-aia', 'hebca-ca', 'basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\nauthorityInfoAccess = OCSP;URI:http://ocsp.hebca.test.invalid/ocsp', { reissue: 'hebca-ent', serial: '0x7100' });
  unknownLeaf = issue('ent-unknown', 'hebca-ca', 'basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature', { reissue: 'hebca-ent', serial: '0x7101' });
  // The responder's database: every HEBCA leaf of the test PKI (neg-revoked revoked) and the AIA leaf; not ent-unknown.
  const lines: string[] = [];
  for (const e of Object.values(pki.entries)) {
    if (e.kind !== 'leaf' || e.chain[0] !== 'hebca-ca') continue;
    const c = parseCertificate(certDer(pki, e.id));
    lines.push(indexLine(c, e.id === 'neg-revoked' ? new Date(Date.now() - 24 * 3600 * 1000) : undefined));
  }
  lines.push(indexLine(parseCertificate(aiaLeaf)));
  writeFileSync(path.join(dir, 'index.txt'), lines.join('\n') + '\n');
  writeFileSync(path.join(dir, 'index.txt.attr'), 'unique_subject = no\n');
  const key = (n: string): { cert: string; key: string } => ({ cert: path.join(dir, `${n}.pem`), key: path.join(dir, `${n}.key`) });
  [issuerSigned, delegated, delegatedNoEku, lookalikeDelegated, withNextUpdate] = await Promise.all([
    responder({ cert: ca.certPem, key: ca.keyPem }),
    responder(key('responder-eku')),
    responder(key('responder-no-eku')),
    responder(key('responder-lookalike')),
    responder({ cert: ca.certPem, key: ca.keyPem }, ['-ndays', '1']),
  ]);
  hang = createServer((req, res) => {
    if (req.url === '/huge') res.end(Buffer.alloc(256 * 1024));
    // '/hang' never answers.
  });
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  hangUrl = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`;
});

after(() => {
  for (const c of children) c.kill();
  hang?.closeAllConnections();
  hang?.close();
});

/** A fresh token for `id` (or hebca-ent's key under another certificate), verified with OCSP at the responder `url`. */
async function verifyWith(url: string, o: { id?: string; certificate?: Uint8Array; now?: Date; fetch?: OcspFetcher; extra?: Partial<VerifyOptions> } = {}): Promise<VerifyResult> {
  const e = pki.get(o.id ?? 'hebca-ent');
  const now = o.now ?? new Date();
  const store = new MemoryChallengeStore();
  const { challenge } = await store.issue(now);
  const keys = new PemKeyStore(e, { intermediates: chainIntermediates(pki, e), ...(o.certificate ? { certificate: o.certificate } : {}) });
  const { token } = await createLoginToken({ origin: ORIGIN, challenge, store: keys, identityId: '0', pin: '123456', appVersion: 't', now });
  return verifyLoginToken(token, {
    origin: ORIGIN, trustAnchors: testRoots(pki), challengeStore: store, challenge, now,
    // The CA's own link is answered by the root's CRL; the leaf's by OCSP.
    crls: [rootCrl],
    ocsp: { responderUrl: url, timeoutMs: 3000, ...(o.fetch ? { fetch: o.fetch } : {}) },
    requireRevocation: true,
    ...o.extra,
  });
}

function code(r: VerifyResult): string {
  return r.ok ? 'ok' : r.code;
}

describe('OCSP with openssl ocsp as the responder', () => {
  test('good: signed by the issuer, nonce echoed; the leaf link says ocsp, the CA link crl', async () => {
    clearOcspCache();
    const r = await verifyWith(issuerSigned);
    assert.equal(code(r), 'ok', r.ok ? '' : r.message);
    if (r.ok) {
      assert.deepEqual(r.revocation?.map((l) => [l.depth, l.status, l.source]), [[0, 'good', 'ocsp'], [1, 'good', 'crl']]);
      assert.ok(!r.warnings.includes('REVOCATION_NOT_CHECKED'));
    }
  });

  test('revoked: the responder says revoked → REVOKED, with the time it gives', async () => {
    const r = await verifyWith(issuerSigned, { id: 'neg-revoked' });
    assert.equal(code(r), 'REVOKED');
    if (!r.ok) assert.match(r.message, /被吊销/);
  });

  test('a serial the responder does not know: the operator\'s responder does not speak for it (not checked → refused when required)', async () => {
    const r = await verifyWith(issuerSigned, { certificate: unknownLeaf });
    assert.equal(code(r), 'REVOCATION_UNKNOWN');
    const lenient = await verifyWith(issuerSigned, { certificate: unknownLeaf, extra: { requireRevocation: false } });
    assert.equal(code(lenient), 'ok');
    if (lenient.ok) {
      assert.ok(lenient.warnings.includes('REVOCATION_NOT_CHECKED'));
      assert.equal(lenient.revocation?.[0]?.reason, 'OCSP_UNKNOWN_CERT');
    }
  });

  test('delegated responder: certified by the issuer for id-kp-OCSPSigning is accepted', async () => {
    assert.equal(code(await verifyWith(delegated)), 'ok');
    assert.equal(code(await verifyWith(delegated, { id: 'neg-revoked' })), 'REVOKED');
  });

  test('delegated responder without id-kp-OCSPSigning, or certified by a look-alike CA: refused', async () => {
    for (const url of [delegatedNoEku, lookalikeDelegated]) {
      const r = await verifyWith(url, { id: 'neg-revoked' });
      assert.equal(code(r), 'REVOCATION_UNKNOWN', url);
      if (!r.ok) assert.match(r.message, /OCSP 应答不是由签发者或其授权的 OCSP 服务签名/);
    }
  });

  test('a replayed answer (someone else\'s nonce) is refused', async () => {
    let saved: Uint8Array | null = null;
    const replay: OcspFetcher = async (url, req, limits) => {
      if (!saved) saved = await postOcspRequest(url, req, limits);
      return saved;
    };
    assert.equal(code(await verifyWith(issuerSigned, { fetch: replay })), 'ok');
    const r = await verifyWith(issuerSigned, { fetch: replay });
    assert.equal(code(r), 'REVOCATION_UNKNOWN');
    if (!r.ok) assert.match(r.messageEn, /nonce/);
  });

  test('nextUpdate: the answer is cached until then; past it (or before thisUpdate) it is stale', async () => {
    clearOcspCache();
    let calls = 0;
    const counting: OcspFetcher = async (url, req, limits) => {
      calls++;
      return postOcspRequest(url, req, limits);
    };
    assert.equal(code(await verifyWith(withNextUpdate, { fetch: counting })), 'ok');
    assert.equal(code(await verifyWith(withNextUpdate, { fetch: counting })), 'ok');
    assert.equal(calls, 1, 'second login answered from the cache');
    // Two days on, the cached answer has expired and the responder's new one still ends in one day.
    const later = new Date(Date.now() + 2 * 24 * 3600 * 1000);
    const r = await verifyWith(withNextUpdate, { now: later, fetch: counting });
    assert.equal(code(r), 'REVOCATION_UNKNOWN');
    if (!r.ok) assert.match(r.message, /OCSP 应答已过期/);
    assert.equal(calls, 2);
    // A clock a day behind the responder: thisUpdate lies in the future.
    clearOcspCache();
    const early = await verifyWith(withNextUpdate, { now: new Date(Date.now() - 24 * 3600 * 1000) });
    assert.equal(code(early), 'REVOCATION_UNKNOWN');
  });

  test('the responder URL comes from the certificate\'s authorityInfoAccess', async () => {
    assert.deepEqual(ocspResponderUrls(parseCertificate(aiaLeaf)), ['http://ocsp.hebca.test.invalid/ocsp']);
    const asked: string[] = [];
    const viaAia: OcspFetcher = async (url, req, limits) => {
      asked.push(url);
      return postOcspRequest(issuerSigned, req, limits);
    };
    const r = await verifyWith('', { certificate: aiaLeaf, extra: { ocsp: { fetch: viaAia } } });
    assert.equal(code(r), 'ok', r.ok ? '' : r.message);
    assert.deepEqual(asked, ['http://ocsp.hebca.test.invalid/ocsp']);
  });

  test('timeouts and size caps: a responder that hangs or floods fails closed, quickly', async () => {
    const leaf = parseCertificate(certDer(pki, 'hebca-ent'));
    const req = buildOcspRequest(leaf, parseCertificate(certDer(pki, 'hebca-ca')), new Uint8Array(16));
    await assert.rejects(postOcspRequest(`${hangUrl}/huge`, req, { timeoutMs: 2000, maxBytes: 64 * 1024 }), /too large/);
    const t0 = Date.now();
    await assert.rejects(postOcspRequest(`${hangUrl}/hang`, req, { timeoutMs: 200, maxBytes: 64 * 1024 }));
    assert.ok(Date.now() - t0 < 2000);
    const r = await verifyWith(`${hangUrl}/hang`, { extra: { ocsp: { responderUrl: `${hangUrl}/hang`, timeoutMs: 200 } } });
    assert.equal(code(r), 'REVOCATION_UNKNOWN');
    if (!r.ok) assert.match(r.message, /OCSP 服务无法访问/);
  });
});
