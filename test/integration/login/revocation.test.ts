/**
 * Revocation: CRLs given (DER, PEM), fetched from the distribution point over HTTP with a
 * timeout and a size cap, and CRLs that do not verify against the issuer ignored.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { getTestPki } from '../../fixtures/pki.ts';
import { PemKeyStore, chainIntermediates, certDer, testRoots } from '../../support/key-store.ts';
import { pkiHourAfter } from '../../support/verifier-fixture.ts';
import { createLoginToken } from '../../../main/login/token.ts';
import { MemoryChallengeStore, verifyLoginToken, type VerifyOptions } from '../../../main/login/verify.ts';
import { crlDistributionUrls, fetchCrlOverHttp, parseCrl } from '../../../main/login/revocation.ts';
import { parseCertificate } from '../../../main/pki/certificate.ts';

const ORIGIN = 'https://www.hbzwfw.gov.cn';
const pki = await getTestPki();
const NOW = pkiHourAfter(pki);
const crlDer = readFileSync(pki.crls['hebca-ca']!);
let server: Server;
let base: string;
const requests: string[] = [];

before(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const m = /^\/crl\/([a-z0-9-]+)\.crl$/.exec(req.url ?? '');
    if (m && pki.crls[m[1]!]) res.end(readFileSync(pki.crls[m[1]!]!));
    else if (req.url === '/huge') res.end(Buffer.alloc(2 * 1024 * 1024));
    else if (req.url === '/slow') setTimeout(() => res.end(crlDer), 3000);
    else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

async function verifyRevoked(opts: Partial<VerifyOptions>, id = 'neg-revoked'): Promise<Awaited<ReturnType<typeof verifyLoginToken>>> {
  const e = pki.get(id);
  const store = new MemoryChallengeStore();
  const { challenge } = await store.issue(NOW);
  const { token } = await createLoginToken({ origin: ORIGIN, challenge, store: new PemKeyStore(e, { intermediates: chainIntermediates(pki, e) }), identityId: '0', pin: '123456', appVersion: 't' });
  return verifyLoginToken(token, { origin: ORIGIN, trustAnchors: testRoots(pki), challengeStore: store, challenge, now: NOW, ...opts });
}

test('the distribution point URL is read from the certificate', () => {
  assert.deepEqual(crlDistributionUrls(parseCertificate(certDer(pki, 'neg-revoked'))), ['http://127.0.0.1/crl/hebca-ca.crl']);
});

test('PEM and DER CRLs parse to the same list; the revoked serial is in it', () => {
  const a = parseCrl(new Uint8Array(crlDer));
  const b = parseCrl(new Uint8Array(readFileSync(pki.crlsPem['hebca-ca']!)));
  assert.equal(a.sha256, b.sha256);
  assert.equal(a.revoked.size, 1);
  assert.ok(a.revoked.has(parseCertificate(certDer(pki, 'neg-revoked')).serialNumber));
  assert.throws(() => parseCrl(new Uint8Array(crlDer.subarray(0, 100))), { code: 'CRL_MALFORMED' });
});

test('a PEM CRL given by the operator revokes', async () => {
  const r = await verifyRevoked({ crls: [new Uint8Array(readFileSync(pki.crlsPem['hebca-ca']!))] });
  assert.equal(r.ok ? 'ok' : r.code, 'REVOKED');
});

test('a CRL whose signature does not verify against the issuer is ignored', async () => {
  const forged = Buffer.from(crlDer);
  forged[forged.length - 3]! ^= 1;
  const r = await verifyRevoked({ crls: [new Uint8Array(forged)] });
  assert.equal(r.ok, true);
  if (r.ok) assert.ok(r.warnings.includes('REVOCATION_NOT_CHECKED'));
  // The look-alike CA's CRL (same issuer name) does not count for HEBCA certificates either.
  const look = await verifyRevoked({ crls: [new Uint8Array(readFileSync(pki.crls['lookalike-ca']!))] });
  assert.equal(look.ok, true);
});

test('allowNetworkFetch: the CRL is fetched from the distribution point, then cached', async () => {
  const fetched: string[] = [];
  const fetchCrl: VerifyOptions['fetchCrl'] = async (url, limits) => {
    fetched.push(url);
    assert.ok(limits.timeoutMs > 0 && limits.maxBytes > 0);
    return fetchCrlOverHttp(url.replace('http://127.0.0.1', base), limits);
  };
  const r = await verifyRevoked({ allowNetworkFetch: true, fetchCrl });
  assert.equal(r.ok ? 'ok' : r.code, 'REVOKED');
  assert.deepEqual(fetched, ['http://127.0.0.1/crl/hebca-ca.crl']);
  const good = await verifyRevoked({ allowNetworkFetch: true, fetchCrl }, 'hebca-ent');
  assert.equal(good.ok, true, good.ok ? '' : good.message);
  // The leaf's CRL came from the cache; the CA certificate's own CRL (from the root) was fetched once.
  assert.deepEqual(fetched.filter((u) => u.endsWith('hebca-ca.crl')).length, 1);
  assert.ok(fetched.some((u) => u.endsWith('hebca-root.crl')));
});

test('allowNetworkFetch: an unreachable distribution point fails closed', async () => {
  const r = await verifyRevoked({ allowNetworkFetch: true, fetchCrl: async () => { throw new Error('ECONNREFUSED'); } }, 'hebca-sm2-ent');
  // Status unknown has its own code now (it was reported as REVOKED).
  assert.equal(r.ok ? 'ok' : r.code, 'REVOCATION_UNKNOWN');
});

test('HTTP fetch: size cap and timeout are enforced', async () => {
  await assert.rejects(fetchCrlOverHttp(`${base}/huge`, { timeoutMs: 2000, maxBytes: 1024 * 1024 }), /too large/);
  const t0 = Date.now();
  await assert.rejects(fetchCrlOverHttp(`${base}/slow`, { timeoutMs: 200, maxBytes: 1024 * 1024 }));
  assert.ok(Date.now() - t0 < 2900, 'aborted before the server answered');
  await assert.rejects(fetchCrlOverHttp(`${base}/nothing`, { timeoutMs: 2000, maxBytes: 1024 }), /HTTP 404/);
  assert.ok(requests.includes('/huge'));
});
