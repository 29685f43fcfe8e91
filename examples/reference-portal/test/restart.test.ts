// Nothing is lost across a restart: accounts, bindings, an issued-but-unused challenge, sessions
// and the audit log live in the SQLite file. Real listening sockets, real fetch; plus the
// `npm run portal` entry point as a child process.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPortal } from '../app.ts';
import { getTestPki, loginToken, testTrustAnchors, type TestPki } from '../../../test/support/portal-kit.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../../..');
let pki: TestPki;
let dir: string;

before(async () => {
  pki = await getTestPki();
  dir = mkdtempSync(path.join(os.tmpdir(), 'ca-portal-'));
});
after(() => { rmSync(dir, { recursive: true, force: true }); });

let preSession = '';

/** One request on its own connection (no keep-alive pool that could outlive a restart). */
function call(base: string, method: string, url: string, body?: unknown, cookie?: string): Promise<{ status: number; json: Record<string, unknown>; setCookie: string | null }> {
  const headers: Record<string, string> = { origin: base, 'x-requested-with': 'cert-portal', connection: 'close' };
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  if (payload) { headers['content-type'] = 'application/json'; headers['content-length'] = String(payload.length); }
  // This client's pre-session cookie (set with its first challenge) goes along: challenges are bound to it.
  const cookies = [preSession, cookie].filter(Boolean).join('; ');
  if (cookies) headers.cookie = cookies;
  return new Promise((resolve, reject) => {
    const req = http.request(base + url, { method, headers, agent: false, timeout: 20_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const sc = res.headers['set-cookie'];
        for (const c of sc ?? []) if (c.startsWith('portal_presession=')) preSession = c.split(';')[0] ?? '';
        resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>, setCookie: sc?.[0] ?? null });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timeout`)));
    req.on('error', reject);
    req.end(payload);
  });
}

test('restart on the same database file keeps account, binding, unused challenge, session and audit', async () => {
  const dbFile = path.join(dir, 'portal.sqlite');
  const trustAnchors = testTrustAnchors(pki);
  let origin = '';
  const first = await buildPortal({ dbFile, origin: () => origin, trustAnchors });
  await first.listen({ host: '127.0.0.1', port: 0 });
  const addr = first.server.address();
  assert.ok(addr && typeof addr === 'object');
  assert.equal(addr.address, '127.0.0.1');
  const port = addr.port;
  origin = `http://127.0.0.1:${port}`;

  const reg = await call(origin, 'POST', '/api/accounts', {
    kind: 'legal', username: 'restart01', password: 'Qiye#2026pw', orgName: '河北冀信测试科技有限公司', uscc: pki.get('hebca-ent').expect.uscc,
    leaderName: '张三', leaderIdNumber: '11010519491231002X', legalPersonName: '李四', legalPersonIdNumber: '11010519491231002X',
  });
  assert.equal(reg.status, 201, JSON.stringify(reg.json));
  const login = await call(origin, 'POST', '/api/session/password', { username: 'restart01', password: 'Qiye#2026pw' });
  assert.equal(login.status, 200);
  const cookie = (login.setCookie ?? '').split(';')[0] ?? '';
  const c1 = await call(origin, 'GET', '/api/challenge');
  const bind = await call(origin, 'POST', '/api/account/certificate', { token: await loginToken(pki, 'hebca-ent', { origin, challenge: String(c1.json.challenge) }) }, cookie);
  assert.equal(bind.status, 200, JSON.stringify(bind.json));
  const unused = String((await call(origin, 'GET', '/api/challenge')).json.challenge);
  await first.close();

  const second = await buildPortal({ dbFile, origin, trustAnchors });
  try {
    await second.listen({ host: '127.0.0.1', port });
    const me = await call(origin, 'GET', '/api/session', undefined, cookie);
    assert.equal(me.status, 200, 'the session survived');
    const account = me.json.account as { username: string; uscc: string; certificates: { fingerprint: string }[] };
    assert.equal(account.username, 'restart01');
    assert.equal(account.certificates.length, 1, 'the binding survived');
    assert.equal(account.certificates[0]?.fingerprint, bind.json.fingerprint);

    const token = await loginToken(pki, 'hebca-ent', { origin, challenge: unused });
    const certLogin = await call(origin, 'POST', '/api/session/certificate', { token });
    assert.equal(certLogin.status, 200, `the unused challenge survived: ${JSON.stringify(certLogin.json)}`);
    const replay = await call(origin, 'POST', '/api/session/certificate', { token: await loginToken(pki, 'hebca-ent', { origin, challenge: String(c1.json.challenge) }) });
    assert.equal(replay.status, 401);
    assert.equal(replay.json.code, 'CHALLENGE_REUSED', 'the used challenge is still known as used');

    const audit = second.portalDb.prepare('SELECT action, method, result FROM audit_log ORDER BY id').all() as { action: string; method: string | null; result: string }[];
    assert.deepEqual(audit.slice(0, 3).map((r) => `${r.action}:${r.method ?? ''}:${r.result}`), ['register::ok', 'login:password:ok', 'bind:certificate:ok']);
    assert.ok(audit.some((r) => r.action === 'login' && r.method === 'certificate' && r.result === 'ok'));
    const migrations = second.portalDb.prepare('SELECT version FROM schema_migrations').all() as { version: number }[];
    assert.deepEqual(migrations.map((m) => m.version), [1, 2, 3], 'migrations ran once each');
    assert.equal(second.portalDb.pragma('journal_mode', { simple: true }), 'wal');
  } finally {
    await second.close();
  }
});

/** `cert-assistant login --pfx … --pin-stdin` as users run it; resolves the token it prints. */
function cliToken(origin: string, challenge: string, pfx: string, pin: string, format: 'json' | 'cms' = 'json'): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/cert-assistant.mjs', 'login', '--origin', origin, '--challenge', challenge, '--pfx', pfx, '--pin-stdin', '--format', format], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`cert-assistant login exited ${code}: ${err}`))));
    child.stdin.end(`${pin}\n`);
  });
}

test('`npm run portal` entry: prints its URL, binds 127.0.0.1; the demo flow with tokens from the CLI; bad flags exit 2', async () => {
  const trustPem = pki.get('hebca-root').certPem;
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/portal.ts', '--port', '0', '--db', path.join(dir, 'cli.sqlite'), '--trust', trustPem], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => reject(new Error(`no URL printed; stderr: ${err}`)), 30_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
        if (m?.[1]) { clearTimeout(timer); resolve(m[1]); }
      });
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${err}`)); });
    });
    const c = await call(url, 'GET', '/api/challenge');
    assert.equal(c.status, 200);
    assert.equal(Buffer.from(String(c.json.challenge), 'base64').length, 32);
    // The default origin is the URL it prints: POSTs with that Origin pass the CSRF check.
    const ent = pki.get('hebca-ent');
    const pfx = ent.pfx?.legacy ?? '';
    const reg = await call(url, 'POST', '/api/accounts', {
      kind: 'legal', username: 'cliuser01', password: 'Qiye#2026pw', orgName: '河北冀信测试科技有限公司', uscc: ent.expect.uscc,
      leaderName: '张三', leaderIdNumber: '11010519491231002X', legalPersonName: '李四', legalPersonIdNumber: '11010519491231002X',
    });
    assert.equal(reg.status, 201);
    const login = await call(url, 'POST', '/api/session/password', { username: 'cliuser01', password: 'Qiye#2026pw' });
    const cookie = (login.setCookie ?? '').split(';')[0] ?? '';
    const bind = await call(url, 'POST', '/api/account/certificate', { token: await cliToken(url, String(c.json.challenge), pfx, ent.pfx?.password ?? '') }, cookie);
    assert.equal(bind.status, 200, JSON.stringify(bind.json));
    // The CMS (PKCS#7) variant of the token logs in too.
    const c2 = String((await call(url, 'GET', '/api/challenge')).json.challenge);
    const cms = await cliToken(url, c2, pfx, ent.pfx?.password ?? '', 'cms');
    const noChallenge = await call(url, 'POST', '/api/session/certificate', { token: cms });
    assert.equal(noChallenge.status, 401, 'a CMS token carries no challenge echo: the client must name it');
    assert.equal(noChallenge.json.code, 'CHALLENGE_UNKNOWN');
    const certLogin = await call(url, 'POST', '/api/session/certificate', { token: cms, challenge: c2 });
    assert.equal(certLogin.status, 200, JSON.stringify(certLogin.json));
    assert.deepEqual(certLogin.json, { account: { username: 'cliuser01', orgName: '河北冀信测试科技有限公司', uscc: ent.expect.uscc } });
  } finally {
    child.kill('SIGTERM');
  }
  const bad = spawn(process.execPath, ['--import', 'tsx', 'scripts/portal.ts', '--bogus'], { cwd: REPO, stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve) => bad.on('exit', resolve));
  assert.equal(code, 2);
});
