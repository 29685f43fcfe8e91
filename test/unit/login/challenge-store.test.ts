import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryChallengeStore } from '../../../main/login/challenge-store.ts';

const T0 = new Date('2026-06-01T08:00:00Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);

function counterBytes(): (n: number) => Uint8Array {
  let i = 0;
  return (n) => {
    const b = new Uint8Array(n);
    new DataView(b.buffer).setUint32(0, ++i);
    return b;
  };
}

test('issues 32 random bytes as base64 with a 5-minute expiry', async () => {
  const store = new MemoryChallengeStore();
  const { challenge, expiresAt } = await store.issue(T0);
  assert.equal(Buffer.from(challenge, 'base64').length, 32);
  assert.equal(expiresAt.getTime() - T0.getTime(), 5 * 60 * 1000);
  const other = await store.issue(T0);
  assert.notEqual(other.challenge, challenge);
});

test('consume once: ok, then reused; unknown when never issued', async () => {
  const store = new MemoryChallengeStore({ randomBytes: counterBytes() });
  const { challenge } = await store.issue(T0);
  assert.equal(await store.consume(challenge, at(1000)), 'ok');
  assert.equal(await store.consume(challenge, at(2000)), 'reused');
  assert.equal(await store.consume(Buffer.alloc(32, 9).toString('base64'), at(0)), 'unknown');
});

test('expired after the TTL, and burnt by the late attempt', async () => {
  const store = new MemoryChallengeStore({ ttlMs: 1000 });
  const { challenge } = await store.issue(T0);
  assert.equal(await store.consume(challenge, at(1001)), 'expired');
  assert.equal(await store.consume(challenge, at(1002)), 'reused');
  const fresh = await store.issue(T0);
  assert.equal(await store.consume(fresh.challenge, at(1000)), 'ok', 'the boundary itself is still valid');
});

test('bounded: expired entries are evicted first, then the oldest', async () => {
  const store = new MemoryChallengeStore({ maxSize: 3, ttlMs: 1000, randomBytes: counterBytes() });
  const a = await store.issue(T0);
  const b = await store.issue(at(600));
  const c = await store.issue(at(700));
  // a expired at T0+1000: it goes, b and c stay.
  const d = await store.issue(at(1500));
  assert.equal(store.size, 3);
  assert.equal(await store.consume(a.challenge, at(1500)), 'unknown');
  assert.equal(await store.consume(b.challenge, at(1500)), 'ok');
  // Nothing expired now (b: 1600, c: 1700, d: 2500 at t=1550): the oldest (b) goes.
  const e = await store.issue(at(1550));
  assert.equal(await store.consume(b.challenge, at(1550)), 'unknown');
  for (const x of [c, d, e]) assert.equal(await store.consume(x.challenge, at(1550)), 'ok');
  assert.equal(store.size, 3);
});

test('a consumed challenge reads as reused while remembered', async () => {
  const store = new MemoryChallengeStore({ maxSize: 10 });
  const { challenge } = await store.issue(T0);
  await store.consume(challenge, at(1));
  for (let i = 0; i < 5; i++) await store.issue(at(2));
  assert.equal(await store.consume(challenge, at(3)), 'reused');
});

test('register() preloads a challenge issued elsewhere (the CLI one-shot store)', async () => {
  const store = new MemoryChallengeStore();
  const ch = Buffer.alloc(32, 1).toString('base64');
  store.register(ch, T0);
  assert.equal(await store.consume(ch, at(4 * 60 * 1000)), 'ok');
});
