/**
 * CPU amplification (issue 12, item 5): a 3 KB SM2 token of self-issued look-alike CAs with fresh
 * keys is refused with UNTRUSTED_CHAIN within a fixed number of signature checks, never gets its
 * keys precomputed, and leaves the real CAs' precomputed keys in place. The cost itself is
 * measured by `npm run bench -- login-hostile` against a real token in the same run (no timing here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { getTestPki, type PkiEntry } from '../../fixtures/pki.ts';
import { PemKeyStore, chainIntermediates, testRoots } from '../../support/key-store.ts';
import { buildLookalikeSm2Chain, type HostileToken } from '../../support/lookalike-chain.ts';
import { scratchDir } from '../../support/scratch.ts';
import { pkiHourAfter } from '../../support/verifier-fixture.ts';
import { createLoginToken } from '../../../main/login/token.ts';
import { clearVerifyCaches, MemoryChallengeStore, verifyLoginToken } from '../../../main/login/verify.ts';
import { parseCertificate } from '../../../main/pki/certificate.ts';
import { verifyChain } from '../../../main/pki/chain.ts';
import { bytesToHex, isSm2KeyPrecomputed } from '../../../main/pki/sm2.ts';

const ORIGIN = 'https://www.hbzwfw.gov.cn';
const pki = await getTestPki();
const NOW = pkiHourAfter(pki);
const dir = scratchDir('ca-dos-');
const hostile: HostileToken = buildLookalikeSm2Chain(dir, pki.get('hebca-sm2-ca'), pki.get('hebca-sm2-ent'), 4);

async function tokenFor(entry: PkiEntry, intermediates: Uint8Array[], store: MemoryChallengeStore): Promise<{ token: string; challenge: string }> {
  const { challenge } = await store.issue(NOW);
  const { token } = await createLoginToken({ origin: ORIGIN, challenge, store: new PemKeyStore(entry, { intermediates }), identityId: '0', pin: '123456', appVersion: '0.1.0', now: NOW });
  return { token, challenge };
}

test('a token of look-alike SM2 CAs is refused (UNTRUSTED_CHAIN), within the signature budget; the real CA keys stay precomputed, the hostile ones never are', async () => {
  const trustAnchors = testRoots(pki);
  const store = new MemoryChallengeStore();
  const realCaKey = bytesToHex(parseCertificate(fs.readFileSync(pki.get('hebca-sm2-ca').certDer)).publicKey.keyBytes);
  // Enterprises of the real CA log in (caches of leaves cleared: new enterprises each time): its key earns a precomputed table.
  for (let i = 0; i < 3; i++) {
    clearVerifyCaches();
    const real = await tokenFor(pki.get('hebca-sm2-ent'), chainIntermediates(pki, pki.get('hebca-sm2-ent')), store);
    const ok = await verifyLoginToken(real.token, { origin: ORIGIN, trustAnchors, challengeStore: store, challenge: real.challenge, now: NOW });
    assert.equal(ok.ok, true, ok.ok ? '' : ok.message);
  }
  assert.equal(isSm2KeyPrecomputed(realCaKey), true, 'the real CA key is precomputed');

  for (let i = 0; i < 4; i++) {
    const bad = await tokenFor(hostile.leaf, hostile.intermediates, store);
    assert.ok(bad.token.length > 2500, `a ~3 KB token (${bad.token.length} bytes)`);
    const r = await verifyLoginToken(bad.token, { origin: ORIGIN, trustAnchors, challengeStore: store, challenge: bad.challenge, now: NOW });
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.code, 'UNTRUSTED_CHAIN');
    assert.equal(!r.ok && r.step, 'chain');
    // Certificate failures leave the challenge for a retry with another certificate.
    assert.equal(await store.lookup(bad.challenge, NOW), 'ok');
  }
  for (const k of hostile.lookalikeKeys) assert.equal(isSm2KeyPrecomputed(k), false, 'look-alike keys are never precomputed');
  assert.equal(isSm2KeyPrecomputed(realCaKey), true, 'the real CA key is still precomputed');
});

test('a look-alike stack never names an anchor, so it is refused without a single signature check; the budget stops a search', () => {
  const leaf = parseCertificate(fs.readFileSync(hostile.leaf.certDer));
  const inters = hostile.intermediates.map((d) => parseCertificate(d));
  const anchors = testRoots(pki).map((d) => parseCertificate(d));
  // As the verifier calls it (budgeted), with zero checks allowed: any attempted check would end in CHAIN_TOO_MANY_SIGNATURES.
  const r = verifyChain(leaf, { intermediates: inters, anchors, now: NOW, maxSignatureChecks: 0, maxUnvouchedSignatureChecks: 2 });
  assert.equal(r.ok, false);
  assert.equal(r.code, 'CHAIN_NO_ANCHOR');
  // A real chain needs its checks: with none allowed the search stops with its own code.
  const real = parseCertificate(new Uint8Array(fs.readFileSync(pki.get('hebca-sm2-ent').certDer)));
  const ca = chainIntermediates(pki, pki.get('hebca-sm2-ent')).map((d) => parseCertificate(new Uint8Array(d)));
  assert.equal(verifyChain(real, { intermediates: ca, anchors, now: NOW, maxSignatureChecks: 0 }).code, 'CHAIN_TOO_MANY_SIGNATURES');
  assert.equal(verifyChain(real, { intermediates: ca, anchors, now: NOW }).ok, true);
});

test('a token answering an unknown challenge is refused before any certificate work', async () => {
  const store = new MemoryChallengeStore();
  const bad = await tokenFor(hostile.leaf, hostile.intermediates, store);
  const r = await verifyLoginToken(bad.token, { origin: ORIGIN, trustAnchors: testRoots(pki), challengeStore: new MemoryChallengeStore(), challenge: bad.challenge, now: NOW });
  assert.equal(!r.ok && r.code, 'CHALLENGE_UNKNOWN');
  assert.equal(!r.ok && r.step, 'challengeLookup');
  assert.equal(!r.ok && r.subject, undefined, 'no certificate was even decoded');
});
