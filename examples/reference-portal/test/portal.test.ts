// HTTP-level tests of the reference portal: every flow of issue 4 and every refusal, with
// certificates from the test PKI and tokens signed by the product's createLoginToken.
import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildPortal, type PortalOptions } from '../app.ts';
import { assistantLoginToken, getTestPki, loginToken, loginTokenFromPem, reencodedCertificates, testTrustAnchors, withCertificate, withTrailingSignatureBytes, type PemIdentity, repoGuideSource, type TestPki } from '../../../test/support/portal-kit.ts';
import Database from 'better-sqlite3';
import { migrate } from '../db.ts';

const ORIGIN = 'http://127.0.0.1:8787';
const H = { origin: ORIGIN, 'x-requested-with': 'cert-portal' };
const PASSWORD = 'Qiye#2026pw';

/** A valid 18-digit resident ID number (GB 11643 check char) from 17 digits. */
function residentId(first17: string): string {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, c, i) => s + Number(c) * (w[i] ?? 0), 0);
  return first17 + '10X98765432'[sum % 11];
}
const LEADER_ID = residentId('13010219800101001');
const LEGAL_ID = residentId('13010419750615002');

function accountBody(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'legal', username: 'hebca01', password: PASSWORD, orgName: '河北冀信测试科技有限公司', uscc: '91130104MA0HE3B82K',
    leaderName: '张三', leaderIdNumber: LEADER_ID, legalPersonName: '李四', legalPersonIdNumber: LEGAL_ID, ...over,
  };
}

function cookieOf(res: LightMyRequestResponse): string {
  const raw = res.headers['set-cookie'];
  const first = Array.isArray(raw) ? raw[0] : raw;
  assert.ok(first, 'a session cookie is set');
  return String(first).split(';')[0] ?? '';
}

interface Harness {
  app: FastifyInstance;
  clock: { t: Date };
  post(url: string, body: unknown, extra?: Record<string, string>): Promise<LightMyRequestResponse>;
  get(url: string, extra?: Record<string, string>): Promise<LightMyRequestResponse>;
  challenge(): Promise<string>;
  token(entryId: string, opts?: { origin?: string; challenge?: string }): Promise<string>;
  register(over?: Record<string, unknown>): Promise<LightMyRequestResponse>;
  signIn(username?: string): Promise<string>;
}

let pki: TestPki;
let trust: Uint8Array[];

async function harness(over: Partial<PortalOptions> = {}): Promise<Harness> {
  const clock = { t: new Date() };
  const app = await buildPortal({
    dbFile: ':memory:', origin: ORIGIN, trustAnchors: trust, now: () => clock.t,
    loginRateLimit: { max: 10_000, timeWindowMs: 60_000 }, guide: repoGuideSource(), ...over,
  });
  // The browser's pre-session cookie (set with its first challenge) goes with every request, beside
  // whatever cookie a test names: challenges are bound to it.
  let pre = '';
  const withPre = (extra: Record<string, string>): Record<string, string> => {
    const cookie = [pre, extra.cookie].filter(Boolean).join('; ');
    return cookie ? { ...extra, cookie } : extra;
  };
  const keepPre = (r: LightMyRequestResponse): LightMyRequestResponse => {
    const raw = r.headers['set-cookie'];
    for (const c of Array.isArray(raw) ? raw : raw ? [raw] : []) if (String(c).startsWith('portal_presession=')) pre = String(c).split(';')[0] ?? '';
    return r;
  };
  const h: Harness = {
    app, clock,
    post: async (url, body, extra = {}) => keepPre(await app.inject({ method: 'POST', url, headers: { ...H, ...withPre(extra) }, payload: body as object })),
    get: async (url, extra = {}) => keepPre(await app.inject({ method: 'GET', url, headers: withPre(extra) })),
    async challenge() {
      const r = await h.get('/api/challenge');
      assert.equal(r.statusCode, 200);
      return (r.json() as { challenge: string }).challenge;
    },
    async token(entryId, opts = {}) {
      return loginToken(pki, entryId, { origin: opts.origin ?? ORIGIN, challenge: opts.challenge ?? (await h.challenge()) });
    },
    register: (over2 = {}) => h.post('/api/accounts', accountBody(over2)),
    async signIn(username = 'hebca01') {
      const r = await h.post('/api/session/password', { username, password: PASSWORD });
      assert.equal(r.statusCode, 200, r.body);
      return cookieOf(r);
    },
  };
  return h;
}

/** The harness of one describe block: built before its tests (then `ready` runs on it), its app closed after them. */
function suiteHarness(ready: (h: Harness) => Promise<void> = async () => {}): Harness {
  const h = {} as Harness;
  before(async () => {
    Object.assign(h, await harness());
    await ready(h);
  });
  after(async () => { await h.app.close(); });
  return h;
}

/** Runs `body` on a harness built with `over`, closing its app afterwards. */
async function withHarness(over: Partial<PortalOptions>, body: (h: Harness) => Promise<void>): Promise<void> {
  const h = await harness(over);
  try {
    await body(h);
  } finally {
    await h.app.close();
  }
}

function auditRows(app: FastifyInstance): { action: string; method: string | null; username: string | null; uscc: string | null; fingerprint: string | null; result: string; ip: string | null; at: string }[] {
  return app.portalDb.prepare('SELECT * FROM audit_log ORDER BY id').all() as never;
}

/** A renewed certificate: same enterprise and USCC as hebca-ent, new key, issued by hebca-ca (OpenSSL). */
function renewedHebcaCertificate(dir: string): PemIdentity {
  const ca = pki.get('hebca-ca');
  const name = pki.get('hebca-ent').expect.enterpriseName ?? '河北冀信测试科技有限公司';
  writeFileSync(path.join(dir, 'req.cnf'), [
    'oid_section = new_oids', '[ new_oids ]', 'hebcaUscc = 1.2.156.112586.1.10',
    '[ req ]', 'distinguished_name = dn', 'prompt = no', 'utf8 = yes', 'string_mask = utf8only',
    '[ dn ]', 'C = CN', 'ST = 河北省', 'L = 石家庄市', `O = ${name}`, `CN = ${name}`, `hebcaUscc = ${pki.get('hebca-ent').expect.uscc}`, '',
  ].join('\n'));
  writeFileSync(path.join(dir, 'ext.cnf'), [
    'basicConstraints = critical,CA:FALSE', 'keyUsage = critical,digitalSignature,nonRepudiation',
    'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid', '',
  ].join('\n'));
  const f = (n: string) => path.join(dir, n);
  execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('key.pem'), '-config', f('req.cnf'), '-out', f('req.csr')], { stdio: 'pipe' });
  execFileSync('openssl', ['x509', '-req', '-in', f('req.csr'), '-CA', ca.certPem, '-CAkey', ca.keyPem, '-set_serial', '0x' + Date.now().toString(16),
    '-days', '30', '-sha256', '-extfile', f('ext.cnf'), '-outform', 'DER', '-out', f('cert.der')], { stdio: 'pipe' });
  return { id: 'renewed', certDer: f('cert.der'), keyPem: f('key.pem'), intermediates: [ca.certDer] };
}

function fingerprintOf(entryId: string): string {
  return createHash('sha256').update(readFileSync(pki.get(entryId).certDer)).digest('hex');
}

before(async () => {
  pki = await getTestPki();
  trust = testTrustAnchors(pki);
});

describe('法人用户注册 POST /api/accounts', () => {
  const h = suiteHarness();

  test('a valid registration returns 201 {id} and stores the normalised USCC and its legal-person kind', async () => {
    const r = await h.register({ uscc: ' 91130104ma0he3b82k ' });
    assert.equal(r.statusCode, 201, r.body);
    const { id } = r.json() as { id: number };
    assert.equal(typeof id, 'number');
    const row = h.app.portalDb.prepare('SELECT * FROM accounts WHERE id = ?').get(id) as Record<string, string>;
    assert.equal(row.uscc, '91130104MA0HE3B82K');
    assert.equal(row.legal_person_kind, pki.get('hebca-ent').expect.legalPersonKind);
    assert.match(row.password_hash ?? '', /^scrypt\$/);
    assert.ok(!String(row.password_hash).includes(PASSWORD));
  });

  test('a 事业单位 code is stored with its kind', async () => {
    const r = await h.register({ username: 'bjca01', uscc: pki.get('bjca-ent').expect.uscc });
    assert.equal(r.statusCode, 201, r.body);
    const row = h.app.portalDb.prepare('SELECT legal_person_kind FROM accounts WHERE username = ?').get('bjca01') as { legal_person_kind: string };
    assert.equal(row.legal_person_kind, '事业单位');
  });

  test('a USCC with a wrong check character is USCC_INVALID', async () => {
    for (const uscc of [pki.get('neg-bad-check').expect.uscc ?? '', '91130104MA0HE3B82A', '12345', '000000000000000000']) {
      const r = await h.register({ username: 'badcode', uscc });
      assert.equal(r.statusCode, 400);
      assert.equal((r.json() as { code: string }).code, 'USCC_INVALID', uscc);
    }
  });

  test('a taken username (any case) is USERNAME_TAKEN', async () => {
    for (const username of ['hebca01', 'HEBCA01', 'ｈｅｂｃａ01']) {
      const r = await h.register({ username });
      assert.equal(r.statusCode, 400);
      assert.equal((r.json() as { code: string }).code, 'USERNAME_TAKEN', username);
    }
  });

  test('weak passwords are WEAK_PASSWORD', async () => {
    for (const password of ['short1!', 'alllowercase', '12345678901', 'Password', 'xhebca02X1!']) {
      const r = await h.register({ username: 'hebca02', password });
      assert.equal(r.statusCode, 400, password);
      assert.equal((r.json() as { code: string }).code, 'WEAK_PASSWORD', password);
    }
    assert.equal((await h.register({ username: 'hebca03', password: 'short1A!' })).statusCode, 201, 'eight chars of three classes are enough');
  });

  test('missing fields, bad ID numbers, other kinds and non-objects are refused with their codes', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ orgName: '' }, 'FIELD_REQUIRED'],
      [{ leaderName: undefined }, 'FIELD_REQUIRED'],
      [{ uscc: 42 }, 'FIELD_REQUIRED'],
      [{ leaderIdNumber: LEADER_ID.slice(0, 17) + (LEADER_ID.endsWith('0') ? '1' : '0') }, 'ID_NUMBER_INVALID'],
      [{ leaderIdNumber: '13010219801301001X' }, 'ID_NUMBER_INVALID'],
      [{ legalPersonIdNumber: pki.get('hebca-ent').expect.uscc }, 'ID_NUMBER_INVALID'],
      [{ kind: 'person' }, 'KIND_UNSUPPORTED'],
      [{ username: 'a b' }, 'USERNAME_INVALID'],
    ];
    for (const [over, code] of cases) {
      const r = await h.register({ username: 'fields01', ...over });
      assert.equal(r.statusCode, 400, JSON.stringify(over));
      const body = r.json() as { code: string; message: string };
      assert.equal(body.code, code, JSON.stringify(over));
      assert.match(body.message, /[\u4e00-\u9fff]/, 'zh-CN message');
    }
    const r = await h.post('/api/accounts', [1, 2]);
    assert.equal(r.statusCode, 400);
    const bad = await h.app.inject({ method: 'POST', url: '/api/accounts', headers: { ...H, 'content-type': 'application/json' }, payload: '{not json' });
    assert.equal(bad.statusCode, 400);
    assert.equal((bad.json() as { code: string }).code, 'BAD_REQUEST');
  });
});

describe('用户名密码登录, session, logout', () => {
  const h = suiteHarness(async (x) => { assert.equal((await x.register()).statusCode, 201); });

  test('wrong password and unknown user get the same 401 answer (no enumeration)', async () => {
    const a = await h.post('/api/session/password', { username: 'hebca01', password: 'Wrong#pass1' });
    const b = await h.post('/api/session/password', { username: 'nobody99', password: 'Wrong#pass1' });
    assert.equal(a.statusCode, 401);
    assert.equal(b.statusCode, 401);
    assert.deepEqual(a.json(), b.json());
    assert.deepEqual(a.json(), { code: 'LOGIN_FAILED', message: '用户名或密码错误' });
    assert.equal(a.headers['set-cookie'], undefined);
  });

  test('login sets an HttpOnly SameSite=Strict session cookie; /api/session masks ID numbers; logout ends it', async () => {
    const r = await h.post('/api/session/password', { username: 'hebca01', password: PASSWORD });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json(), { account: { username: 'hebca01', orgName: '河北冀信测试科技有限公司', uscc: '91130104MA0HE3B82K' } });
    const setCookie = String(r.headers['set-cookie']);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.match(setCookie, /Path=\//);
    assert.doesNotMatch(setCookie, /Secure/, 'plain http origin: no Secure flag');
    const cookie = cookieOf(r);
    assert.equal(Buffer.from(cookie.split('=')[1] ?? '', 'base64url').length, 32);

    const me = await h.get('/api/session', { cookie });
    assert.equal(me.statusCode, 200);
    const text = me.body;
    assert.ok(!text.includes(LEADER_ID) && !text.includes(LEGAL_ID), 'ID numbers never leave unmasked');
    const acc = (me.json() as { account: { leaderIdNumber: string; legalPersonKind: string }; method: string });
    assert.equal(acc.account.leaderIdNumber, `${LEADER_ID.slice(0, 2)}${'*'.repeat(14)}${LEADER_ID.slice(-2)}`);
    assert.equal(acc.method, 'password');
    assert.equal(me.headers['cache-control'], 'no-store');

    const out = await h.post('/api/session/logout', {}, { cookie });
    assert.equal(out.statusCode, 200);
    assert.equal((await h.get('/api/session', { cookie })).statusCode, 401);
    assert.equal((await h.get('/api/session')).statusCode, 401);
  });

  test('a session expires after the idle time (clock passed in)', async () => {
    const cookie = await h.signIn();
    assert.equal((await h.get('/api/session', { cookie })).statusCode, 200);
    h.clock.t = new Date(h.clock.t.getTime() + 31 * 60_000);
    const r = await h.get('/api/session', { cookie });
    assert.equal(r.statusCode, 401);
    assert.equal((r.json() as { code: string }).code, 'NOT_SIGNED_IN');
  });

  test('behind an https origin the cookie is Secure with the __Host- prefix, and HSTS is sent', async () => {
    const httpsOrigin = 'https://portal.example';
    const hs = await harness({ origin: httpsOrigin });
    try {
      const headers = { origin: httpsOrigin, 'x-requested-with': 'cert-portal' };
      assert.equal((await hs.app.inject({ method: 'POST', url: '/api/accounts', headers, payload: accountBody() })).statusCode, 201);
      const r = await hs.app.inject({ method: 'POST', url: '/api/session/password', headers, payload: { username: 'hebca01', password: PASSWORD } });
      assert.equal(r.statusCode, 200);
      const setCookie = String(r.headers['set-cookie']);
      assert.match(setCookie, /^__Host-portal_session=/);
      assert.match(setCookie, /; Secure/);
      assert.match(String(r.headers['strict-transport-security']), /max-age=/);
      assert.equal((await hs.get('/api/session', { cookie: cookieOf(r) })).statusCode, 200);
    } finally {
      await hs.app.close();
    }
  });

  test('a forged or random cookie is not a session', async () => {
    assert.equal((await h.get('/api/session', { cookie: 'portal_session=AAAA' })).statusCode, 401);
  });
});

describe('CSRF: Origin and X-Requested-With on every state-changing request', () => {
  const h = suiteHarness(async (x) => { assert.equal((await x.register()).statusCode, 201); });

  test('no Origin, a wrong Origin or a missing/wrong custom header are refused with 403 and change nothing', async () => {
    const body = accountBody({ username: 'csrf0001' });
    const cases: [Record<string, string>, string][] = [
      [{ 'x-requested-with': 'cert-portal' }, 'CSRF_ORIGIN'],
      [{ origin: 'http://127.0.0.1:9999', 'x-requested-with': 'cert-portal' }, 'CSRF_ORIGIN'],
      [{ origin: 'https://evil.example', 'x-requested-with': 'cert-portal' }, 'CSRF_ORIGIN'],
      [{ origin: 'null', 'x-requested-with': 'cert-portal' }, 'CSRF_ORIGIN'],
      [{ origin: ORIGIN }, 'CSRF_HEADER'],
      [{ origin: ORIGIN, 'x-requested-with': 'XMLHttpRequest' }, 'CSRF_HEADER'],
    ];
    for (const [headers, code] of cases) {
      for (const [url, payload] of [['/api/accounts', body], ['/api/session/password', { username: 'hebca01', password: PASSWORD }], ['/api/session/certificate', { token: 'x' }], ['/api/session/logout', {}]] as const) {
        const r = await h.app.inject({ method: 'POST', url, headers, payload });
        assert.equal(r.statusCode, 403, `${url} ${JSON.stringify(headers)}`);
        assert.equal((r.json() as { code: string }).code, code);
        assert.equal(r.headers['set-cookie'], undefined);
      }
    }
    const { n } = h.app.portalDb.prepare('SELECT COUNT(*) AS n FROM accounts WHERE username = ?').get('csrf0001') as { n: number };
    assert.equal(n, 0);
  });

  test('a signed-in session cannot bind a certificate cross-site', async () => {
    const cookie = await h.signIn();
    const r = await h.app.inject({ method: 'POST', url: '/api/account/certificate', headers: { cookie, origin: 'https://evil.example', 'x-requested-with': 'cert-portal' }, payload: { token: await h.token('hebca-ent') } });
    assert.equal(r.statusCode, 403);
    assert.equal((h.app.portalDb.prepare('SELECT COUNT(*) AS n FROM certificate_bindings').get() as { n: number }).n, 0);
  });
});

describe('rate limit and lockout', () => {
  test('per-IP limit on login attempts answers 429 RATE_LIMITED', async () => {
    await withHarness({ loginRateLimit: { max: 3, timeWindowMs: 60_000 } }, async (h) => {
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) codes.push((await h.post('/api/session/password', { username: `u${i}xxxx`, password: 'Wrong#pass1' })).statusCode);
      assert.deepEqual(codes, [401, 401, 401, 429]);
      const r = await h.post('/api/session/password', { username: 'x', password: 'y' });
      assert.equal((r.json() as { code: string }).code, 'RATE_LIMITED');
    });
  });

  test('per-username lockout after repeated failures, the same for unknown names, lifted after the lock time', async () => {
    await withHarness({ lockout: { maxFailures: 3, windowMs: 15 * 60_000, lockMs: 15 * 60_000 } }, async (h) => {
      assert.equal((await h.register()).statusCode, 201);
      for (const username of ['hebca01', 'ghost777']) {
        for (let i = 0; i < 3; i++) assert.equal((await h.post('/api/session/password', { username, password: 'Wrong#pass1' })).statusCode, 401);
      }
      const known = await h.post('/api/session/password', { username: 'hebca01', password: PASSWORD });
      const unknown = await h.post('/api/session/password', { username: 'ghost777', password: PASSWORD });
      assert.equal(known.statusCode, 429, 'even the right password is refused while locked');
      assert.deepEqual(known.json(), unknown.json());
      assert.equal((known.json() as { code: string }).code, 'LOGIN_LOCKED');
      h.clock.t = new Date(h.clock.t.getTime() + 16 * 60_000);
      assert.equal((await h.post('/api/session/password', { username: 'hebca01', password: PASSWORD })).statusCode, 200);
    });
  });
});

describe('challenges', () => {
  const h = suiteHarness();

  test('GET /api/challenge gives 32 random bytes in base64 and a 5-minute expiry', async () => {
    const r = await h.get('/api/challenge');
    assert.equal(r.statusCode, 200);
    const { challenge, expiresAt } = r.json() as { challenge: string; expiresAt: string };
    assert.equal(Buffer.from(challenge, 'base64').length, 32);
    assert.equal(Date.parse(expiresAt) - h.clock.t.getTime(), 5 * 60_000);
    assert.notEqual(await h.challenge(), challenge);
  });

  test('a challenge is consumed once: ok, then reused; unknown and expired are told apart', async () => {
    const c = await h.challenge();
    const store = h.app.portalChallenges;
    assert.equal(await store.consume(c, h.clock.t), 'ok');
    assert.equal(await store.consume(c, h.clock.t), 'reused');
    assert.equal(await store.consume('AAAA', h.clock.t), 'unknown');
    const d = await h.challenge();
    assert.equal(await store.consume(d, new Date(h.clock.t.getTime() + 5 * 60_000 + 1)), 'expired');
  });
});

describe('认证统一社会信用代码 POST /api/account/certificate', () => {
  let h: Harness;
  let cookie: string;
  before(async () => {
    h = await harness();
    assert.equal((await h.register()).statusCode, 201);
    assert.equal((await h.register({ username: 'jit00001', orgName: '吉大测试', uscc: pki.get('jit-ent').expect.uscc })).statusCode, 201);
    cookie = await h.signIn();
  });
  after(async () => { await h.app.close(); });

  test('not signed in: 401 NOT_SIGNED_IN', async () => {
    const r = await h.post('/api/account/certificate', { token: await h.token('hebca-ent') });
    assert.equal(r.statusCode, 401);
    assert.equal((r.json() as { code: string }).code, 'NOT_SIGNED_IN');
  });

  test('a certificate of another enterprise: 400 USCC_MISMATCH with the exact message', async () => {
    const r = await h.post('/api/account/certificate', { token: await h.token('cfca-ent') }, { cookie });
    assert.equal(r.statusCode, 400);
    assert.deepEqual(r.json(), { code: 'USCC_MISMATCH', message: '证书中的统一社会信用代码与账户注册时填写的不一致' });
  });

  test('the verifier\'s refusals come back as 400 with its code', async () => {
    const r = await h.post('/api/account/certificate', { token: await h.token('lookalike-ent') }, { cookie });
    assert.equal(r.statusCode, 400);
    assert.equal((r.json() as { code: string }).code, 'UNTRUSTED_CHAIN');
    const m = await h.post('/api/account/certificate', { token: '{"format":"cert-login:1"' }, { cookie });
    assert.equal(m.statusCode, 400);
    assert.equal((m.json() as { code: string }).code, 'TOKEN_MALFORMED');
  });

  test('the matching certificate binds: 200 {uscc, fingerprint}; shown in 账户设置', async () => {
    const r = await h.post('/api/account/certificate', { token: await h.token('hebca-ent') }, { cookie });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json(), { uscc: '91130104MA0HE3B82K', fingerprint: fingerprintOf('hebca-ent') });
    const me = (await h.get('/api/session', { cookie })).json() as { account: { certificates: { fingerprint: string; subject: string }[] } };
    assert.equal(me.account.certificates.length, 1);
    assert.equal(me.account.certificates[0]?.fingerprint, fingerprintOf('hebca-ent'));
    const again = await h.post('/api/account/certificate', { token: await h.token('hebca-ent') }, { cookie });
    assert.equal(again.statusCode, 200, 'binding the same certificate again is harmless');
  });

  test('a certificate bound to one account cannot be bound to another', async () => {
    // Same USCC, second account: the certificate already belongs to hebca01.
    assert.equal((await h.register({ username: 'hebca02' })).statusCode, 201);
    const other = await h.signIn('hebca02');
    const r = await h.post('/api/account/certificate', { token: await h.token('hebca-ent') }, { cookie: other });
    assert.equal(r.statusCode, 400);
    assert.equal((r.json() as { code: string }).code, 'CERT_BOUND_ELSEWHERE');
  });
});

describe('企业数字证书登录 POST /api/session/certificate', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
    assert.equal((await h.register()).statusCode, 201);
    assert.equal((await h.register({ username: 'jit00001', orgName: '吉大测试', uscc: pki.get('jit-ent').expect.uscc })).statusCode, 201);
    assert.equal((await h.register({ username: 'sm2corp1', orgName: 'SM2 测试', uscc: pki.get('hebca-sm2-ent').expect.uscc })).statusCode, 201);
    const cookie = await h.signIn();
    assert.equal((await h.post('/api/account/certificate', { token: await h.token('hebca-ent') }, { cookie })).statusCode, 200);
    const sm2 = await h.signIn('sm2corp1');
    assert.equal((await h.post('/api/account/certificate', { token: await h.token('hebca-sm2-ent') }, { cookie: sm2 })).statusCode, 200);
  });
  after(async () => { await h.app.close(); });

  test('the bound certificate logs in: 200 {account} and a certificate session', async () => {
    const r = await h.post('/api/session/certificate', { token: await h.token('hebca-ent') });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json(), { account: { username: 'hebca01', orgName: '河北冀信测试科技有限公司', uscc: '91130104MA0HE3B82K' } });
    const me = (await h.get('/api/session', { cookie: cookieOf(r) })).json() as { method: string };
    assert.equal(me.method, 'certificate');
  });

  test('an SM2 (SM2-with-SM3) certificate binds and logs in the same way', async () => {
    const r = await h.post('/api/session/certificate', { token: await h.token('hebca-sm2-ent') });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal((r.json() as { account: { username: string } }).account.username, 'sm2corp1');
  });

  test('a replayed token is refused: 401 CHALLENGE_REUSED', async () => {
    const token = await h.token('hebca-ent');
    assert.equal((await h.post('/api/session/certificate', { token })).statusCode, 200);
    const r = await h.post('/api/session/certificate', { token });
    assert.equal(r.statusCode, 401);
    assert.equal((r.json() as { code: string }).code, 'CHALLENGE_REUSED');
    assert.equal(r.headers['set-cookie'], undefined);
    // The page shows the clerk's words (what to do), not the verifier's admin reason.
    assert.equal((r.json() as { message: string }).message, '登录已失效，请刷新页面后重新登录');
  });

  test('another enterprise with an account but no binding, and an enterprise with no account: 401 CERT_NOT_BOUND', async () => {
    for (const id of ['jit-ent', 'cfca-ent']) {
      const r = await h.post('/api/session/certificate', { token: await h.token(id) });
      assert.equal(r.statusCode, 401, id);
      const body = r.json() as { code: string; message: string };
      assert.equal(body.code, 'CERT_NOT_BOUND');
      assert.match(body.message, /认证统一社会信用代码/);
      assert.match(body.message, /重新绑定/);
    }
  });

  test('a renewed certificate with the same USCC is CERT_NOT_BOUND until it is bound again', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ca-portal-'));
    try {
      const renewed = renewedHebcaCertificate(dir);
      const token = async () => loginTokenFromPem(renewed, { origin: ORIGIN, challenge: await h.challenge() });
      const before = await h.post('/api/session/certificate', { token: await token() });
      assert.equal(before.statusCode, 401, before.body);
      assert.equal((before.json() as { code: string }).code, 'CERT_NOT_BOUND');
      const cookie = await h.signIn();
      const bind = await h.post('/api/account/certificate', { token: await token() }, { cookie });
      assert.equal(bind.statusCode, 200, bind.body);
      assert.equal((bind.json() as { fingerprint: string }).fingerprint, createHash('sha256').update(readFileSync(renewed.certDer)).digest('hex'));
      const after = await h.post('/api/session/certificate', { token: await token() });
      assert.equal(after.statusCode, 200, after.body);
      assert.equal((await h.post('/api/session/certificate', { token: await h.token('hebca-ent') })).statusCode, 200, 'the old certificate stays bound');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an expired challenge (frozen clock moved past the TTL): 401 CHALLENGE_EXPIRED', async () => {
    const challenge = await h.challenge();
    const token = await h.token('hebca-ent', { challenge });
    h.clock.t = new Date(h.clock.t.getTime() + 5 * 60_000 + 1000);
    const r = await h.post('/api/session/certificate', { token });
    assert.equal(r.statusCode, 401);
    assert.equal((r.json() as { code: string }).code, 'CHALLENGE_EXPIRED');
  });

  test('a challenge issued to one browser (pre-session cookie) is refused from another, without being burnt', async () => {
    const challenge = await h.challenge();
    const token = await h.token('hebca-ent', { challenge });
    // Another browser: its own pre-session cookie, or none at all.
    const other = await h.app.inject({ method: 'GET', url: '/api/challenge' });
    const otherPre = String([other.headers['set-cookie']].flat()[0] ?? '').split(';')[0] ?? '';
    assert.match(otherPre, /^portal_presession=/);
    for (const cookie of [otherPre, '']) {
      const r = await h.app.inject({ method: 'POST', url: '/api/session/certificate', headers: { ...H, ...(cookie ? { cookie } : {}) }, payload: { token } });
      assert.equal(r.statusCode, 401);
      assert.equal((r.json() as { code: string }).code, 'CHALLENGE_OTHER_BROWSER');
    }
    // The browser it was issued to: the refused attempts did not burn it.
    const own = await h.post('/api/session/certificate', { token });
    assert.equal(own.statusCode, 200, own.body);
    const again = await h.post('/api/session/certificate', { token });
    assert.equal((again.json() as { code?: string }).code, 'CHALLENGE_REUSED');
  });

  test('an unknown challenge: 401 CHALLENGE_UNKNOWN', async () => {
    const r = await h.post('/api/session/certificate', { token: await h.token('hebca-ent', { challenge: Buffer.alloc(32, 7).toString('base64') }) });
    assert.equal(r.statusCode, 401);
    assert.equal((r.json() as { code: string }).code, 'CHALLENGE_UNKNOWN');
  });

  test('a token answering one challenge, posted with another named in the body: 401', async () => {
    const a = await h.challenge();
    const b = await h.challenge();
    const r = await h.post('/api/session/certificate', { token: await h.token('hebca-ent', { challenge: a }), challenge: b });
    assert.equal(r.statusCode, 401, r.body);
    assert.notEqual((r.json() as { code: string }).code, undefined);
    const bad = await h.post('/api/session/certificate', { token: await h.token('hebca-ent', { challenge: a }), challenge: 42 });
    assert.equal(bad.statusCode, 400);
  });

  test('an untrusted chain (look-alike CA with the same name): 401 UNTRUSTED_CHAIN', async () => {
    const r = await h.post('/api/session/certificate', { token: await h.token('lookalike-ent') });
    assert.equal(r.statusCode, 401);
    assert.equal((r.json() as { code: string }).code, 'UNTRUSTED_CHAIN');
  });

  test('a token signed for another origin: 401 ORIGIN_MISMATCH', async () => {
    const r = await h.post('/api/session/certificate', { token: await h.token('hebca-ent', { origin: 'https://www.hbzwfw.gov.cn.evil.example' }) });
    assert.equal(r.statusCode, 401);
    assert.equal((r.json() as { code: string }).code, 'ORIGIN_MISMATCH');
  });

  test('an expired certificate: 401 CERT_EXPIRED; a token that is not JSON: 401 TOKEN_MALFORMED; no token: 400', async () => {
    const r = await h.post('/api/session/certificate', { token: await h.token('neg-expired') });
    assert.equal(r.statusCode, 401);
    assert.equal((r.json() as { code: string }).code, 'CERT_EXPIRED');
    const m = await h.post('/api/session/certificate', { token: 'not a token' });
    assert.equal(m.statusCode, 401);
    assert.equal((m.json() as { code: string }).code, 'TOKEN_MALFORMED');
    const none = await h.post('/api/session/certificate', {});
    assert.equal(none.statusCode, 400);
    assert.equal((none.json() as { code: string }).code, 'FIELD_REQUIRED');
  });

  test('every attempt is audited: who, when, how, fingerprint, result, ip', async () => {
    const rows = auditRows(h.app).filter((r) => r.action === 'login' && r.method === 'certificate');
    const ok = rows.find((r) => r.result === 'ok' && r.username === 'hebca01');
    assert.ok(ok);
    assert.equal(ok.fingerprint, fingerprintOf('hebca-ent'));
    assert.equal(ok.uscc, '91130104MA0HE3B82K');
    assert.equal(ok.ip, '127.0.0.1');
    assert.ok(Date.parse(ok.at) > 0);
    for (const code of ['CHALLENGE_REUSED', 'CERT_NOT_BOUND', 'CHALLENGE_EXPIRED', 'UNTRUSTED_CHAIN', 'ORIGIN_MISMATCH', 'TOKEN_MALFORMED', 'CERT_EXPIRED']) {
      assert.ok(rows.some((r) => r.result === code), `audit row for ${code}`);
    }
    const notBound = rows.find((r) => r.result === 'CERT_NOT_BOUND' && r.fingerprint === fingerprintOf('jit-ent'));
    assert.ok(notBound, 'refusals carry the certificate fingerprint');
    const pw = auditRows(h.app).filter((r) => r.method === 'password');
    assert.ok(pw.some((r) => r.result === 'ok' && r.username === 'hebca01'));
    const bind = auditRows(h.app).filter((r) => r.action === 'bind');
    assert.ok(bind.some((r) => r.result === 'ok' && r.fingerprint === fingerprintOf('hebca-sm2-ent')));
  });
});

describe('a portal that trusts only the CA root, a USB key that holds only its leaf', () => {
  // The assistant knows the intermediate (its trust folder) and puts the path it validated in the token.
  const SM2 = 'hebca-sm2-ent';
  let h: Harness;
  before(async () => {
    h = await harness({ trustAnchors: [readFileSync(pki.get('hebca-sm2-root').certDer)] });
    assert.equal((await h.register({ username: 'sm2usbkey', orgName: 'SM2 测试', uscc: pki.get(SM2).expect.uscc })).statusCode, 201);
  });
  after(async () => { await h.app.close(); });
  const viaAssistant = async (trusted: string[]) => assistantLoginToken(pki, SM2, { origin: ORIGIN, challenge: await h.challenge(), trusted });

  test('the assistant without the intermediate sends none: the portal cannot build the chain (400 UNTRUSTED_CHAIN)', async () => {
    const cookie = await h.signIn('sm2usbkey');
    const r = await h.post('/api/account/certificate', { token: await viaAssistant(['hebca-sm2-root']) }, { cookie });
    assert.equal(r.statusCode, 400, r.body);
    assert.equal((r.json() as { code: string }).code, 'UNTRUSTED_CHAIN');
  });

  test('the assistant with the intermediate in its trust folder: binds, then logs in (200)', async () => {
    const cookie = await h.signIn('sm2usbkey');
    const trusted = ['hebca-sm2-root', 'hebca-sm2-ca'];
    const bind = await h.post('/api/account/certificate', { token: await viaAssistant(trusted) }, { cookie });
    assert.equal(bind.statusCode, 200, bind.body);
    const r = await h.post('/api/session/certificate', { token: await viaAssistant(trusted) });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal((r.json() as { account: { username: string } }).account.username, 'sm2usbkey');
  });
});

describe('bindings by issuer + serial: a re-encoded certificate (new fingerprint) is the same certificate', () => {
  // cfca-ec-ent is ECDSA P-256 signed: (r, n-s) is a second valid signature, and a long-form outer
  // length a second valid encoding. Both pass the verifier with a new SHA-256 fingerprint.
  const EC = 'cfca-ec-ent';
  const variants = () => Object.entries(reencodedCertificates(readFileSync(pki.get(EC).certDer)));
  let h: Harness;
  let first: string;
  before(async () => {
    h = await harness();
    const uscc = pki.get(EC).expect.uscc;
    assert.equal((await h.register({ username: 'ecfirst', orgName: 'EC 测试', uscc })).statusCode, 201);
    assert.equal((await h.register({ username: 'ecsecond', orgName: 'EC 测试', uscc })).statusCode, 201);
    first = await h.signIn('ecfirst');
    const bind = await h.post('/api/account/certificate', { token: await h.token(EC) }, { cookie: first });
    assert.equal(bind.statusCode, 200, bind.body);
  });
  after(async () => { await h.app.close(); });

  test('each variant verifies with a new fingerprint', async () => {
    for (const [what, der] of variants()) {
      assert.notEqual(createHash('sha256').update(der).digest('hex'), fingerprintOf(EC), what);
      const r = await h.post('/api/session/certificate', { token: withCertificate(await h.token(EC), der) });
      assert.equal(r.statusCode, 200, `${what}: ${r.body}`);
      assert.equal((r.json() as { account: { username: string } }).account.username, 'ecfirst', `${what}: the bound account, not CERT_NOT_BOUND`);
    }
  });

  test('a variant cannot be bound to a second account: 400 CERT_BOUND_ELSEWHERE', async () => {
    const second = await h.signIn('ecsecond');
    for (const [what, der] of variants()) {
      const r = await h.post('/api/account/certificate', { token: withCertificate(await h.token(EC), der) }, { cookie: second });
      assert.equal(r.statusCode, 400, `${what}: ${r.body}`);
      assert.equal((r.json() as { code: string }).code, 'CERT_BOUND_ELSEWHERE', what);
    }
    const me = (await h.get('/api/session', { cookie: second })).json() as { account: { certificates: unknown[] } };
    assert.deepEqual(me.account.certificates, []);
  });

  test('an SM2 certificate with trailing bytes after its signature (new fingerprint) is refused outright: no binding, no login', async () => {
    const sm2 = 'hebca-sm2-ent';
    const second = await h.signIn('ecsecond');
    const forged = withTrailingSignatureBytes(readFileSync(pki.get(sm2).certDer));
    assert.notEqual(createHash('sha256').update(forged).digest('hex'), fingerprintOf(sm2));
    const bind = await h.post('/api/account/certificate', { token: withCertificate(await h.token(sm2), forged) }, { cookie: second });
    assert.equal(bind.statusCode, 400, bind.body);
    assert.equal((bind.json() as { code: string }).code, 'UNTRUSTED_CHAIN');
    const login = await h.post('/api/session/certificate', { token: withCertificate(await h.token(sm2), forged) });
    assert.equal(login.statusCode, 401, login.body);
  });

  test('binding a variant again to its own account keeps one row (the first fingerprint)', async () => {
    const [, der] = variants()[0]!;
    const r = await h.post('/api/account/certificate', { token: withCertificate(await h.token(EC), der) }, { cookie: first });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal((r.json() as { fingerprint: string }).fingerprint, fingerprintOf(EC));
    const me = (await h.get('/api/session', { cookie: first })).json() as { account: { certificates: { fingerprint: string }[] } };
    assert.deepEqual(me.account.certificates.map((c) => c.fingerprint), [fingerprintOf(EC)]);
  });
});

describe('migration 3: bindings stored by fingerprint only', () => {
  test('the exact certificate still logs in and its row learns issuer + serial; then variants cannot dodge it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ca-portal-migrate-'));
    const file = path.join(dir, 'portal.sqlite');
    try {
      // A store as the portal left it before migration 3: the account and a fingerprint binding.
      let h = await harness({ dbFile: file });
      const uscc = pki.get('cfca-ec-ent').expect.uscc;
      assert.equal((await h.register({ username: 'ecfirst', orgName: 'EC 测试', uscc })).statusCode, 201);
      assert.equal((await h.register({ username: 'ecsecond', orgName: 'EC 测试', uscc })).statusCode, 201);
      await h.app.close();
      const raw = new Database(file);
      raw.exec('DROP INDEX bindings_issuer_serial; DROP INDEX bindings_spki; ALTER TABLE certificate_bindings DROP COLUMN issuer_serial; ALTER TABLE certificate_bindings DROP COLUMN spki_sha256; DELETE FROM schema_migrations WHERE version = 3');
      assert.deepEqual(migrate(raw, { upTo: 2 }), []);
      const account = raw.prepare("SELECT id FROM accounts WHERE username = 'ecfirst'").get() as { id: number };
      raw.prepare('INSERT INTO certificate_bindings (account_id, uscc, fingerprint, subject, not_after, bound_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(account.id, uscc, fingerprintOf('cfca-ec-ent'), 'CN=legacy', '2030-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
      raw.close();

      h = await harness({ dbFile: file });
      const versions = (h.app.portalDb.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((m) => m.version);
      assert.deepEqual(versions, [1, 2, 3]);
      const login = await h.post('/api/session/certificate', { token: await h.token('cfca-ec-ent') });
      assert.equal(login.statusCode, 200, login.body);
      const row = h.app.portalDb.prepare('SELECT issuer_serial, spki_sha256 FROM certificate_bindings').get() as { issuer_serial: string | null; spki_sha256: string | null };
      assert.match(String(row.issuer_serial), /^[0-9a-f]{64}:[0-9a-f]+$/);
      assert.match(String(row.spki_sha256), /^[0-9a-f]{64}$/);
      const second = await h.signIn('ecsecond');
      for (const [what, der] of Object.entries(reencodedCertificates(readFileSync(pki.get('cfca-ec-ent').certDer)))) {
        const bind = await h.post('/api/account/certificate', { token: withCertificate(await h.token('cfca-ec-ent'), der) }, { cookie: second });
        assert.equal((bind.json() as { code: string }).code, 'CERT_BOUND_ELSEWHERE', what);
        const again = await h.post('/api/session/certificate', { token: withCertificate(await h.token('cfca-ec-ent'), der) });
        assert.equal((again.json() as { account?: { username: string } }).account?.username, 'ecfirst', what);
      }
      await h.app.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('revocation', () => {
  test('with the CA\'s CRL configured, a revoked certificate is refused: 401 REVOKED', async () => {
    await withHarness({ crls: [new Uint8Array(readFileSync(pki.crls['hebca-ca'] ?? ''))] }, async (h) => {
      const r = await h.post('/api/session/certificate', { token: await h.token('neg-revoked') });
      assert.equal(r.statusCode, 401, r.body);
      assert.equal((r.json() as { code: string }).code, 'REVOKED');
    });
  });
});

describe('pages, headers and the site switch', () => {
  const h = suiteHarness();

  test('pages are served in zh-CN with CSP, nosniff, frame-ancestors none and a referrer policy', async () => {
    for (const url of ['/', '/register.html', '/login.html', '/login-cert.html', '/account.html', '/static/common.js']) {
      const r = await h.get(url);
      assert.equal(r.statusCode, 200, url);
      const csp = String(r.headers['content-security-policy']);
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline/);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.equal(r.headers['referrer-policy'], 'same-origin');
    }
    const reg = (await h.get('/register.html')).body;
    for (const label of ['单位/机构/企业名称', '统一社会信用代码', '单位/机构/企业负责人', '负责人身份证号码', '法人姓名', '法人身份证号', '《河北政务服务网注册协议》']) {
      assert.ok(reg.includes(label), label);
    }
    assert.ok((await h.get('/login-cert.html')).body.includes('证书助手'));
    assert.ok((await h.get('/account.html')).body.includes('认证统一社会信用代码'));
  });

  test('no page has an inline script, inline handler, inline style or an external asset', () => {
    const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'public');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.html'))) {
      const html = readFileSync(path.join(dir, f), 'utf8');
      assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, `${f}: inline <script>`);
      assert.doesNotMatch(html, /\son[a-z]+\s*=/i, `${f}: inline event handler`);
      assert.doesNotMatch(html, /\sstyle\s*=|<style/i, `${f}: inline style`);
      assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i, `${f}: external asset`);
    }
  });

  test('unknown API routes answer {code, message}', async () => {
    const r = await h.get('/api/nope');
    assert.equal(r.statusCode, 404);
    assert.equal((r.json() as { code: string }).code, 'NOT_FOUND');
  });

  test('sites: the province, 11 cities plus 雄安新区, counties and the 省直管县; items per site', async () => {
    const r = await h.get('/api/sites');
    assert.equal(r.statusCode, 200);
    const { sites } = r.json() as { sites: { code: string; name: string; level: string; parent: string | null }[] };
    assert.equal(sites.filter((s) => s.level === 'province').length, 1);
    const cities = sites.filter((s) => s.level === 'city');
    assert.ok(cities.length >= 12, `${cities.length} cities`);
    assert.ok(cities.some((s) => s.name.includes('雄安')));
    assert.ok(sites.some((s) => s.name.includes('辛集')));
    assert.ok(sites.some((s) => s.level === 'county' && s.parent === '130100'));
    const province = sites.find((s) => s.level === 'province');
    assert.ok(province);
    const items = await h.get(`/api/sites/${province.code}/items?for=legal`);
    assert.equal(items.statusCode, 200);
    const body = items.json() as { items: { title: string; sample: boolean }[]; site: { code: string }; note: string | null };
    assert.ok(Array.isArray(body.items));
    assert.equal(body.site.code, province.code);
    if ((r.json() as { guideAvailable: boolean }).guideAvailable) {
      assert.ok(body.items.length > 0, 'the guide lists the province\'s own items');
      if (body.items.some((i) => i.sample)) assert.match(String(body.note), /示例/, 'sample data is marked as such');
    } else {
      assert.equal(body.items.length, 0);
      assert.match(String(body.note), /办事指南/);
    }
    assert.equal((await h.get('/api/sites/999999/items')).statusCode, 404);
  });
});
