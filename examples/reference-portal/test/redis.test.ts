// Several portal instances behind one load balancer (issue 12, item 12): `npm run portal -- --redis URL`
// twice, on one real redis-server started here and one database file. A challenge issued by one
// instance is usable through the other, and single-use across both: a replay through the second
// instance is refused with CHALLENGE_REUSED.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getTestPki, loginToken, startRedisServer, type RedisServer, type TestPki } from '../../../test/support/portal-kit.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../../..');
/** Both instances sign for, and check, the origin users see (the load balancer's). */
const ORIGIN = 'http://portal.example';
let pki: TestPki;
let dir: string;
let redis: RedisServer;
const children: ChildProcess[] = [];

before(async () => {
  pki = await getTestPki();
  dir = mkdtempSync(path.join(os.tmpdir(), 'ca-portal-redis-'));
  redis = await startRedisServer();
});
after(async () => {
  for (const c of children) c.kill('SIGTERM');
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function startInstance(args: string[]): Promise<{ url: string; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/portal.ts', '--port', '0', '--origin', ORIGIN, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no URL printed; stderr: ${err}`)), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
      if (m?.[1]) { clearTimeout(timer); resolve({ url: m[1], stderr: () => err }); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${err}`)); });
  });
}

/** A browser: keeps the cookies the portal sets (session, pre-session). */
class Browser {
  private readonly jar = new Map<string, string>();
  call(base: string, method: string, url: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const headers: Record<string, string> = { origin: ORIGIN, 'x-requested-with': 'cert-portal', connection: 'close' };
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    if (payload) { headers['content-type'] = 'application/json'; headers['content-length'] = String(payload.length); }
    if (this.jar.size) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    return new Promise((resolve, reject) => {
      const req = http.request(base + url, { method, headers, agent: false, timeout: 20_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          for (const sc of res.headers['set-cookie'] ?? []) {
            const [pair] = sc.split(';');
            const eq = pair?.indexOf('=') ?? -1;
            if (pair && eq > 0) this.jar.set(pair.slice(0, eq), pair.slice(eq + 1));
          }
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown> });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timeout`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}

test('two `npm run portal -- --redis URL` instances: a challenge from one logs in through the other once; the replay through the second is CHALLENGE_REUSED', async () => {
  const trustPem = pki.get('hebca-root').certPem;
  const common = ['--db', path.join(dir, 'portal.sqlite'), '--trust', trustPem, '--redis', redis.url];
  const a = await startInstance(common);
  const b = await startInstance(common);
  assert.match(a.stderr(), /challenges: redis/);
  const ent = pki.get('hebca-ent');
  const user = new Browser();
  const reg = await user.call(a.url, 'POST', '/api/accounts', {
    kind: 'legal', username: 'redis01', password: 'Qiye#2026pw', orgName: '河北冀信测试科技有限公司', uscc: ent.expect.uscc,
    leaderName: '张三', leaderIdNumber: '11010519491231002X', legalPersonName: '李四', legalPersonIdNumber: '11010519491231002X',
  });
  assert.equal(reg.status, 201, JSON.stringify(reg.json));
  assert.equal((await user.call(a.url, 'POST', '/api/session/password', { username: 'redis01', password: 'Qiye#2026pw' })).status, 200);
  // Issued by B, answered through A.
  const c1 = String((await user.call(b.url, 'GET', '/api/challenge')).json.challenge);
  const bind = await user.call(a.url, 'POST', '/api/account/certificate', { token: await loginToken(pki, 'hebca-ent', { origin: ORIGIN, challenge: c1 }) });
  assert.equal(bind.status, 200, JSON.stringify(bind.json));

  const c2 = String((await user.call(a.url, 'GET', '/api/challenge')).json.challenge);
  const token = await loginToken(pki, 'hebca-ent', { origin: ORIGIN, challenge: c2 });
  const first = await user.call(a.url, 'POST', '/api/session/certificate', { token });
  assert.equal(first.status, 200, JSON.stringify(first.json));
  const replay = await user.call(b.url, 'POST', '/api/session/certificate', { token });
  assert.equal(replay.status, 401);
  assert.equal(replay.json.code, 'CHALLENGE_REUSED');
  const replayBind = await user.call(b.url, 'POST', '/api/account/certificate', { token: await loginToken(pki, 'hebca-ent', { origin: ORIGIN, challenge: c1 }) });
  assert.equal(replayBind.json.code, 'CHALLENGE_REUSED');
});

test('--redis with a Redis that does not answer: a clear message and exit 1; a non-redis URL: exit 2', async () => {
  const run = (args: string[]) => new Promise<{ code: number | null; err: string }>((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', 'scripts/portal.ts', '--port', '0', '--db', path.join(dir, 'x.sqlite'), ...args], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    c.on('exit', (code) => resolve({ code, err }));
  });
  const dead = await startRedisServer();
  await dead.stop();
  const down = await run(['--redis', dead.url]);
  assert.equal(down.code, 1);
  assert.match(down.err, /无法连接 Redis/);
  const bad = await run(['--redis', 'http://127.0.0.1:1']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--redis 须为 redis:\/\//);
});
