/**
 * Hostile tokens: seeded random mutations of valid JSON and CMS tokens. The verifier must
 * always answer with one of its reason codes (never throw, never hang), and may only accept a
 * token whose certificate and signature survived the mutation.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { getTestPki, type TestPki } from '../../fixtures/pki.ts';
import { seededRandom as prng } from '../../support/random.ts';
import { PemKeyStore, chainIntermediates, testRoots } from '../../support/key-store.ts';
import { createLoginToken } from '../../../main/login/token.ts';
import { VERIFY_CODES, verifyLoginToken, type ChallengeStore } from '../../../main/login/verify.ts';
import { pkiHourAfter } from '../../support/verifier-fixture.ts';

const ORIGIN = 'https://www.hbzwfw.gov.cn';
const CHALLENGE = Buffer.alloc(32, 0x5a).toString('base64');
let pki: TestPki;
let roots: Uint8Array[];
let NOW: Date;
// Every challenge is fresh: only the token's own bytes decide.
const alwaysFresh: ChallengeStore = { issue: async () => ({ challenge: CHALLENGE, expiresAt: new Date() }), consume: async () => 'ok' };

before(async () => {
  pki = await getTestPki();
  roots = testRoots(pki);
  NOW = pkiHourAfter(pki);
});

async function tokenOf(id: string, format: 'json' | 'cms'): Promise<string> {
  const e = pki.get(id);
  const { token } = await createLoginToken({ origin: ORIGIN, challenge: CHALLENGE, store: new PemKeyStore(e, { intermediates: chainIntermediates(pki, e) }), identityId: '0', pin: '123456', appVersion: '1', format, now: NOW });
  return token;
}

const JUNK: unknown[] = [null, 0, -1, 1e308, true, '', 'A', '====', [], {}, [[[[[[]]]]]], 'x'.repeat(5000), { format: 'cert-login:1' }, ['AAAA'], '\u0000', '𠮷'];

function mutateJson(text: string, rnd: () => number): string {
  const j = JSON.parse(text) as Record<string, unknown>;
  const keys = [...Object.keys(j), 'extra', '__proto__', 'constructor'];
  const k = keys[Math.floor(rnd() * keys.length)]!;
  const r = rnd();
  if (r < 0.4) j[k] = JUNK[Math.floor(rnd() * JUNK.length)];
  else if (r < 0.6) delete j[k];
  else if (r < 0.8 && typeof j[k] === 'string') {
    const s = j[k];
    const i = Math.floor(rnd() * s.length);
    j[k] = s.slice(0, i) + String.fromCharCode(32 + Math.floor(rnd() * 90)) + s.slice(i + 1);
  } else {
    const t = JSON.stringify(j);
    const i = Math.floor(rnd() * t.length);
    return t.slice(0, i) + (rnd() < 0.5 ? '' : t.slice(i + 1 + Math.floor(rnd() * 20)));
  }
  return JSON.stringify(j);
}

function mutateCms(b64: string, rnd: () => number): string {
  const der = Buffer.from(b64, 'base64');
  const n = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rnd() * der.length);
    der[at] = rnd() < 0.5 ? der[at]! ^ (1 << Math.floor(rnd() * 8)) : Math.floor(rnd() * 256);
  }
  const cut = rnd() < 0.2 ? Math.floor(rnd() * der.length) : der.length;
  return der.subarray(0, cut).toString('base64');
}

for (const [id, format, count] of [['hebca-ent', 'json', 400], ['hebca-sm2-ent', 'json', 150], ['cfca-ec-ent', 'cms', 300], ['hebca-ent', 'cms', 200]] as const) {
  test(`${count} mutated ${format} tokens of ${id}: always a reason code, never a throw`, async () => {
    const good = await tokenOf(id, format);
    const base = await verifyLoginToken(good, { origin: ORIGIN, trustAnchors: roots, challengeStore: alwaysFresh, challenge: CHALLENGE, now: NOW });
    assert.equal(base.ok, true, base.ok ? '' : base.message);
    const rnd = prng(0xc0ffee ^ count);
    const codes = new Map<string, number>();
    for (let i = 0; i < count; i++) {
      const bad = format === 'json' ? mutateJson(good, rnd) : mutateCms(good, rnd);
      const r = await verifyLoginToken(bad, { origin: ORIGIN, trustAnchors: roots, challengeStore: alwaysFresh, challenge: CHALLENGE, now: NOW });
      if (r.ok) {
        assert.ok(base.ok && r.fingerprintSha256 === base.fingerprintSha256, 'only the same certificate can pass');
        codes.set('ok', (codes.get('ok') ?? 0) + 1);
      } else {
        assert.ok((VERIFY_CODES as readonly string[]).includes(r.code), r.code);
        assert.equal(typeof r.message, 'string');
        codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
      }
    }
    assert.ok(codes.size >= 3, `mutations reach several steps: ${JSON.stringify([...codes])}`);
  });
}
