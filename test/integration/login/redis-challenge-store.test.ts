/**
 * The Redis ChallengeStore against a real redis-server started here (issue 12, item 12): single use,
 * TTL, lookup without consuming, and two portal instances sharing one Redis — a token verified
 * through one is refused as a replay (CHALLENGE_REUSED) through the other.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { getTestPki, type TestPki } from '../../fixtures/pki.ts';
import { PemKeyStore, chainIntermediates, testRoots } from '../../support/key-store.ts';
import { startRedisServer, type RedisServer } from '../../support/redis-server.ts';
import { RedisChallengeStore } from '../../../main/login/redis-challenge-store.ts';
import { createLoginToken } from '../../../main/login/token.ts';
import { verifyLoginToken } from '../../../main/login/verify.ts';
import { pkiHourAfter } from '../../support/verifier-fixture.ts';

const ORIGIN = 'https://www.hbzwfw.gov.cn';
let server: RedisServer;
let admin: Redis;
const stores: RedisChallengeStore[] = [];

function store(opts: Partial<ConstructorParameters<typeof RedisChallengeStore>[0]> = {}): RedisChallengeStore {
  const s = new RedisChallengeStore({ redis: server.url, ...opts });
  stores.push(s);
  return s;
}

before(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});
after(async () => {
  for (const s of stores) await s.close();
  admin?.disconnect();
  await server?.stop();
});

const T0 = new Date();
const at = (ms: number): Date => new Date(T0.getTime() + ms);

test('issue → consume once → second consume reused; a stranger is unknown', async () => {
  const s = store();
  const { challenge, expiresAt } = await s.issue(T0);
  assert.equal(Buffer.from(challenge, 'base64').length, 32);
  assert.equal(expiresAt.getTime() - T0.getTime(), 5 * 60 * 1000);
  assert.equal(await s.consume(challenge, at(1000)), 'ok');
  assert.equal(await s.consume(challenge, at(2000)), 'reused');
  assert.equal(await s.consume(Buffer.alloc(32, 7).toString('base64'), at(0)), 'unknown');
  assert.equal(await s.consume('x'.repeat(10_000), at(0)), 'unknown', 'oversized input never becomes a key');
});

test('expired after the TTL (boundary still valid) and burnt by the late attempt; keys carry a Redis TTL', async () => {
  const s = store({ ttlMs: 1000, rememberMs: 60_000 });
  const { challenge } = await s.issue(T0);
  const pttl = await admin.pttl(s.keyPrefix + challenge);
  assert.ok(pttl > 50_000 && pttl <= 61_000, `key TTL is ttl + remember (${pttl} ms)`);
  assert.equal(await s.consume(challenge, at(1001)), 'expired');
  assert.equal(await s.consume(challenge, at(1002)), 'reused');
  const fresh = await s.issue(T0);
  assert.equal(await s.consume(fresh.challenge, at(1000)), 'ok', 'the boundary itself is still valid');
});

test('the key disappears from Redis after ttl + remember (real time)', async () => {
  const s = store({ ttlMs: 200, rememberMs: 1000 });
  const { challenge } = await s.issue(new Date());
  assert.equal(await admin.exists(s.keyPrefix + challenge), 1);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await admin.exists(s.keyPrefix + challenge), 0);
  assert.equal(await s.consume(challenge, new Date()), 'unknown');
});

test('lookup answers like consume without consuming', async () => {
  const s = store({ ttlMs: 1000 });
  const { challenge } = await s.issue(T0);
  assert.equal(await s.lookup(challenge, at(10)), 'ok');
  assert.equal(await s.lookup(challenge, at(10)), 'ok');
  assert.equal(await s.lookup(challenge, at(1001)), 'expired');
  assert.equal(await s.consume(challenge, at(20)), 'ok');
  assert.equal(await s.lookup(challenge, at(30)), 'reused');
  assert.equal(await s.lookup(Buffer.alloc(32, 8).toString('base64'), at(0)), 'unknown');
});

test('concurrent consumes of one challenge: exactly one ok', async () => {
  const a = store();
  const b = store();
  const { challenge } = await a.issue(T0);
  const results = await Promise.all([a, b, a, b, a, b].map((s) => s.consume(challenge, at(5))));
  assert.equal(results.filter((r) => r === 'ok').length, 1);
  assert.equal(results.filter((r) => r === 'reused').length, 5);
});

test('two portal instances on one Redis: a login token verified through one is a replay (CHALLENGE_REUSED) through the other', async () => {
  const pki: TestPki = await getTestPki();
  const now = pkiHourAfter(pki);
  const entry = pki.get('hebca-sm2-ent');
  const instanceA = store();
  const instanceB = new RedisChallengeStore({ redis: new Redis(server.url) });
  const { challenge } = await instanceA.issue(now);
  const { token } = await createLoginToken({ origin: ORIGIN, challenge, store: new PemKeyStore(entry, { intermediates: chainIntermediates(pki, entry) }), identityId: '0', pin: '123456', appVersion: '0.1.0', now });
  const trustAnchors = testRoots(pki);
  // Only B looks before chain work; A's consume happened already.
  const first = await verifyLoginToken(token, { origin: ORIGIN, trustAnchors, challengeStore: instanceA, challenge, now });
  assert.equal(first.ok, true, first.ok ? '' : first.message);
  const replay = await verifyLoginToken(token, { origin: ORIGIN, trustAnchors, challengeStore: instanceB, challenge, now });
  assert.equal(replay.ok, false);
  assert.equal(!replay.ok && replay.code, 'CHALLENGE_REUSED');
  // A challenge issued by B is accepted through A (instances share state in both directions).
  const other = await instanceB.issue(now);
  assert.equal(await instanceA.lookup(other.challenge, now), 'ok');
  await instanceB.close(); // a client passed in stays open: close only closes what the store opened
  const passed = (instanceB as unknown as { client: Redis }).client;
  assert.equal(passed.status, 'ready');
  passed.disconnect();
});

test('a Redis that is down fails the call with an error, not a hang or a silent ok', async () => {
  const dead = await startRedisServer();
  const s = new RedisChallengeStore({ redis: dead.url });
  const { challenge } = await s.issue(new Date());
  await dead.stop();
  await assert.rejects(s.consume(challenge, new Date()));
  s['client'].disconnect();
});

test('the verifier bundle stays free of ioredis; the Redis store is its own bundle and works in plain Node', async () => {
  // Inside the repository, so the bundle's external `ioredis` resolves from node_modules as it would for a portal.
  fs.mkdirSync('dist', { recursive: true });
  const out = path.resolve(fs.mkdtempSync(path.join('dist', 'verifier-redis-test-')));
  try {
    const b = spawnSync(process.execPath, ['scripts/build-verifier.mjs', `--out=${out}`, '--quiet'], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    assert.doesNotMatch(fs.readFileSync(path.join(out, 'index.mjs'), 'utf8'), /ioredis/);
    assert.doesNotMatch(fs.readFileSync(path.join(out, 'uscc.mjs'), 'utf8'), /ioredis/);
    const script = `
      const { RedisChallengeStore } = await import(${JSON.stringify(path.join(out, 'redis-challenge-store.mjs'))});
      const s = new RedisChallengeStore({ redis: ${JSON.stringify(server.url)} });
      const { challenge } = await s.issue(new Date());
      const r = [await s.consume(challenge, new Date()), await s.consume(challenge, new Date())];
      await s.close();
      process.stdout.write(JSON.stringify(r));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: process.cwd() });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), ['ok', 'reused']);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
