// 证书登录（CA 助手兼容）, the server side: GET /api/sof/random gives a random, the portal's own
// certificate and its signature over the random; a CA library checks that signature
// (SOF_VerifySignedData), signs the random (SOF_SignData) and form-posts UserCert + UserSignedData.
// Here the client side is played by the product's formats (the same code the bridge answers with).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { buildPortal, SOF_FORM_PATH } from '../app.ts';
import { caLibraryLogin, cookieOf, getTestPki, loginToken, repoGuideSource, residentId, testTrustAnchors, type TestPki } from '../../../test/support/portal-kit.ts';

const ORIGIN = 'http://127.0.0.1:8787';
const H = { origin: ORIGIN, 'x-requested-with': 'cert-portal' };
const PASSWORD = 'Qiye#2026pw';
let pki: TestPki;

before(async () => { pki = await getTestPki(); });

/** A portal with an account for hebca-ent's enterprise, the certificate bound, and the SOF page on. */
async function portal(): Promise<FastifyInstance> {
  const server = pki.get('gdca-ent');
  const app = await buildPortal({
    dbFile: ':memory:', origin: ORIGIN, trustAnchors: testTrustAnchors(pki), guide: repoGuideSource(),
    intermediates: Object.values(pki.entries).filter((e) => e.kind === 'intermediate').map((e) => new Uint8Array(readFileSync(e.certDer))),
    loginRateLimit: { max: 10_000, timeWindowMs: 60_000 },
    sofServer: { certificatePem: readFileSync(server.certPem, 'utf8'), privateKeyPem: readFileSync(server.keyPem, 'utf8') },
  });
  const e = pki.get('hebca-ent');
  const reg = await app.inject({ method: 'POST', url: '/api/accounts', headers: H, payload: {
    kind: 'legal', username: 'hebca01', password: PASSWORD, orgName: e.expect.enterpriseName ?? '河北冀信测试科技有限公司', uscc: e.expect.uscc,
    leaderName: '张三', leaderIdNumber: residentId('13010219800101001'), legalPersonName: '李四', legalPersonIdNumber: residentId('13010419750615002'),
  } });
  assert.equal(reg.statusCode, 201, reg.body);
  const signIn = await app.inject({ method: 'POST', url: '/api/session/password', headers: H, payload: { username: 'hebca01', password: PASSWORD } });
  const session = cookieOf(signIn, 'portal_session');
  const issued = await app.inject({ method: 'GET', url: '/api/challenge' });
  const challenge = issued.json().challenge as string;
  // The challenge is bound to this browser's pre-session cookie, which goes along with the session.
  const bind = await app.inject({ method: 'POST', url: '/api/account/certificate', headers: { ...H, cookie: `${session}; ${cookieOf(issued, 'portal_presession')}` }, payload: { token: await loginToken(pki, 'hebca-ent', { origin: ORIGIN, challenge }) } });
  assert.equal(bind.statusCode, 200, bind.body);
  return app;
}

/** What the CA library does between the two requests; returns the form fields and the random cookie. */
async function libraryLogin(app: FastifyInstance, id = 'hebca-ent', tamper?: (random: string) => string) {
  const r = await app.inject({ method: 'GET', url: '/api/sof/random' });
  assert.equal(r.statusCode, 200, r.body);
  const server = r.json() as { random: string; serverCert: string; serverSignature: string };
  const lib = await caLibraryLogin(pki, id, server, tamper ? tamper(server.random) : undefined);
  assert.ok(lib.serverSignatureValid, 'the portal\'s signature verifies as SOF_VerifySignedData checks it');
  const form = new URLSearchParams({ UserCert: lib.UserCert, UserSignedData: lib.UserSignedData }).toString();
  return { form, cookie: `${cookieOf(r, 'portal_sof_random')}; ${cookieOf(r, 'portal_presession')}` };
}

const post = (app: FastifyInstance, form: string, cookie: string | null, origin = ORIGIN) => app.inject({
  method: 'POST', url: SOF_FORM_PATH, payload: form,
  headers: { origin, 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
});

describe('证书登录（CA 助手兼容）', () => {
  test('the page is served and the form post logs the bound certificate in (303 to the account page, session method sof)', async () => {
    const app = await portal();
    const page = await app.inject({ method: 'GET', url: '/login-sof.html' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /证书登录（CA 助手兼容）/);
    assert.match(String(page.headers['content-security-policy']), /connect-src 'self' ws:\/\/127\.0\.0\.1:\*/);
    const { form, cookie } = await libraryLogin(app);
    const r = await post(app, form, cookie);
    assert.equal(r.statusCode, 303, r.body);
    assert.equal(r.headers.location, '/account.html');
    const s = await app.inject({ method: 'GET', url: '/api/session', headers: { cookie: cookieOf(r, 'portal_session') } });
    assert.equal(s.statusCode, 200);
    assert.equal(s.json().method, 'sof');
    await app.close();
  });

  test('refusals come back to the page with the verifier\'s code: replay, another random, no random cookie, unbound certificate', async () => {
    const app = await portal();
    const ok = await libraryLogin(app);
    assert.equal((await post(app, ok.form, ok.cookie)).headers.location, '/account.html');
    assert.equal((await post(app, ok.form, ok.cookie)).headers.location, '/login-sof.html?error=CHALLENGE_REUSED');
    const other = await libraryLogin(app, 'hebca-ent', () => 'not the random');
    assert.equal((await post(app, other.form, other.cookie)).headers.location, '/login-sof.html?error=BAD_SIGNATURE');
    const noCookie = await libraryLogin(app);
    assert.equal((await post(app, noCookie.form, null)).headers.location, '/login-sof.html?error=CHALLENGE_UNKNOWN');
    const unbound = await libraryLogin(app, 'bjca-ent');
    assert.equal((await post(app, unbound.form, unbound.cookie)).headers.location, '/login-sof.html?error=CERT_NOT_BOUND');
    await app.close();
  });

  test('a form post from another origin is refused before anything is verified (403)', async () => {
    const app = await portal();
    const { form, cookie } = await libraryLogin(app);
    const r = await post(app, form, cookie, 'https://evil.example');
    assert.equal(r.statusCode, 403);
    assert.equal(r.json().code, 'CSRF_ORIGIN');
    await app.close();
  });

  test('without a server certificate the page\'s random endpoint says so (404 SOF_NOT_CONFIGURED)', async () => {
    const app = await buildPortal({ dbFile: ':memory:', origin: ORIGIN, trustAnchors: testTrustAnchors(pki), guide: null });
    const r = await app.inject({ method: 'GET', url: '/api/sof/random' });
    assert.equal(r.statusCode, 404);
    assert.equal(r.json().code, 'SOF_NOT_CONFIGURED');
    await app.close();
  });
});
