// The verifier speaks to two readers: the clerk at the login page (plain words, what to do) and the
// administrator reading the log (the reason with its DNs, folders and settings). Kept apart per code.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { getTestPki, type TestPki } from '../../fixtures/pki.ts';
import fs from 'node:fs';
import { PemKeyStore } from '../../support/key-store.ts';
import { createLoginToken } from '../../../main/login/token.ts';
import { MemoryChallengeStore, VERIFY_CODES, verifyLoginToken } from '../../../main/login/verify.ts';
import { VERIFY_CLERK_MESSAGES, VERIFY_MESSAGES } from '../../../main/login/codes.ts';
import { pkiHourAfter } from '../../support/verifier-fixture.ts';

const ORIGIN = 'https://www.hbzwfw.gov.cn';
/** What clerks never read: folders, settings, CLI flags, X.509 vocabulary, OIDs, DN syntax. */
const ADMIN_WORDS = /certs\/trust|trustAnchor|--trust|策略|policy|digitalSignature|keyCertSign|clientAuth|OID|\b\d+(\.\d+){3,}\b|CN=|O=|nameConstraints|pathLen/i;
let pki: TestPki;
let now: Date;

before(async () => {
  pki = await getTestPki();
  now = pkiHourAfter(pki);
});

test('every code has a clerk message in both languages, plain and different from nothing', () => {
  assert.deepEqual(Object.keys(VERIFY_CLERK_MESSAGES).sort(), [...VERIFY_CODES].sort());
  for (const code of VERIFY_CODES) {
    const m = VERIFY_CLERK_MESSAGES[code];
    assert.match(m.zh, /\p{Script=Han}/u, code);
    assert.doesNotMatch(m.en, /\p{Script=Han}/u, code);
    assert.doesNotMatch(m.zh, ADMIN_WORDS, `${code}: ${m.zh}`);
    assert.doesNotMatch(m.en, ADMIN_WORDS, `${code}: ${m.en}`);
    assert.doesNotMatch(m.zh, / [，。；]|[，。；] /, `${code}: no stray spaces around Chinese punctuation`);
  }
  // The admin's messages still name the technical reason.
  assert.match(VERIFY_MESSAGES.KEY_USAGE.en, /digitalSignature/);
});

test('a real refusal carries both: the admin message names where to add the root, the clerk message says what to do', async () => {
  const e = pki.get('hebca-ent');
  const store = new MemoryChallengeStore();
  const { challenge } = await store.issue(now);
  const keys = new PemKeyStore(e, { intermediates: [] });
  const { token } = await createLoginToken({ origin: ORIGIN, challenge, store: keys, identityId: '0', pin: '123456', appVersion: '0.1.0', format: 'json', now });
  // A portal that trusts another CA's root only.
  const otherRoot = new Uint8Array(fs.readFileSync(pki.get('jit-root').certDer));
  const r = await verifyLoginToken(token, { origin: ORIGIN, trustAnchors: [otherRoot], challengeStore: store, challenge, now });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.code, 'UNTRUSTED_CHAIN');
  assert.equal(r.clerkMessage, VERIFY_CLERK_MESSAGES.UNTRUSTED_CHAIN.zh);
  assert.equal(r.clerkMessageEn, VERIFY_CLERK_MESSAGES.UNTRUSTED_CHAIN.en);
  assert.doesNotMatch(r.clerkMessage, ADMIN_WORDS);
  assert.match(r.message, /certs\/trust|信任/, r.message);
});
