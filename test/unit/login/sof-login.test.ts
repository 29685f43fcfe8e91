/**
 * verifySofLogin (the CA assistants' UserCert + UserSignedData login): accepted for RSA with
 * SHA-256 and SHA-1 and for SM2, and one negative case per reason code it can give, on the test
 * PKI with a frozen clock. Signatures are made with the test keys (node:crypto, sm-crypto) the
 * way SOF_SignData makes them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rejected } from '../../support/assert-error.ts';
import { readFileSync } from 'node:fs';
import { chainIntermediates } from '../../support/key-store.ts';
import { everyCodeSeen, verifierFixture } from '../../support/verifier-fixture.ts';
import { pemMessageSigner } from '../../support/message-signer.ts';
import { MemoryChallengeStore, type VerifyResult } from '../../../main/login/verify.ts';
import { SOF_VERIFY_STEPS, verifySofLogin, type SofLoginInput, type SofVerifyOptions } from '../../../main/login/sof-login.ts';
import { VERIFY_STEPS } from '../../../main/login/verify.ts';

const { pki, roots, crls, now: NOW } = await verifierFixture();
/** Codes the SOF flow can give (no origin, no token format, input caps answer TOKEN_MALFORMED). */
const SOF_CODES = ['TOKEN_MALFORMED', 'CERT_MALFORMED', 'KEY_USAGE', 'CERT_EXPIRED', 'CERT_NOT_YET_VALID', 'UNTRUSTED_CHAIN', 'REVOKED', 'CHALLENGE_UNKNOWN', 'CHALLENGE_EXPIRED', 'CHALLENGE_REUSED', 'ALGORITHM_MISMATCH', 'BAD_SIGNATURE', 'USCC_MISSING', 'USCC_INVALID', 'USCC_MISMATCH'];
const seen = everyCodeSeen(SOF_CODES, 'every SOF reason code has a negative test');

interface Made { input: SofLoginInput; store: MemoryChallengeStore; random: string }

async function make(id: string, o: { hash?: 'sha1' | 'sha256'; issuedAt?: Date; signed?: string } = {}): Promise<Made> {
  const e = pki.get(id);
  const store = new MemoryChallengeStore();
  const { challenge: random } = await store.issue(o.issuedAt ?? NOW);
  const signer = pemMessageSigner(pki, e);
  const sig = await signer.sign(new TextEncoder().encode(o.signed ?? random), signer.keyKind === 'SM2' ? 'sm3' : o.hash ?? 'sha256');
  const input: SofLoginInput = {
    certificate: readFileSync(e.certDer).toString('base64'),
    signature: Buffer.from(sig).toString('base64'),
    random,
    intermediates: chainIntermediates(pki, e).map((d) => Buffer.from(d).toString('base64')),
  };
  return { input, store, random };
}

async function check(m: Made, input: SofLoginInput = m.input, opts: Partial<SofVerifyOptions> = {}): Promise<VerifyResult> {
  const r = await verifySofLogin(input, { trustAnchors: roots, challengeStore: m.store, challenge: m.random, now: NOW, crls, ...opts });
  if (!r.ok) seen.add(r.code);
  return r;
}


test('the SOF flow runs the token verifier\'s own steps in its order, swapping only input and signature', () => {
  const names = SOF_VERIFY_STEPS.map((s) => s.name);
  assert.deepEqual(names, VERIFY_STEPS.map((s) => s.name).filter((n) => n !== 'origin' && n !== 'algorithm'));
  const shared = SOF_VERIFY_STEPS.filter((s) => VERIFY_STEPS.includes(s)).map((s) => s.name);
  assert.deepEqual(shared, names.filter((n) => n !== 'token' && n !== 'signature'));
});

describe('accepts', () => {
  for (const [id, hash] of [['hebca-ent', 'sha256'], ['bjca-ent', 'sha256'], ['hebca-sm2-ent', undefined]] as const) {
    test(`${id} ${hash ?? 'sm3'}`, async () => {
      const r = await check(await make(id, hash ? { hash } : {}));
      assert.equal(r.ok, true, r.ok ? '' : `${r.code} ${r.message}`);
      if (r.ok) {
        assert.equal(r.uscc, pki.get(id).expect.uscc);
        assert.equal(r.format, 'sof');
        assert.equal(r.algorithm, id.includes('sm2') ? 'SM2-SM3' : 'RS256');
        assert.deepEqual(r.warnings.filter((w) => w === 'SHA1_SIGNATURE'), []);
      }
    });
  }
  test('RSA with SHA-1 (SGD_SHA1_RSA pages), with a SHA1_SIGNATURE warning', async () => {
    const r = await check(await make('hebca-ent', { hash: 'sha1' }));
    assert.equal(r.ok, true);
    if (r.ok) assert.ok(r.warnings.includes('SHA1_SIGNATURE'));
  });
  test('a PEM certificate with line breaks, as forms post it', async () => {
    const m = await make('hebca-ent');
    const pem = `-----BEGIN CERTIFICATE-----\r\n${m.input.certificate.replace(/(.{64})/g, '$1\r\n')}\r\n-----END CERTIFICATE-----`;
    assert.equal((await check(m, { ...m.input, certificate: pem })).ok, true);
  });
});

describe('one negative case per reason code', () => {
  test('TOKEN_MALFORMED: signature not base64, random missing', async () => {
    const m = await make('hebca-ent');
    rejected(await check(m, { ...m.input, signature: '***' }), 'TOKEN_MALFORMED');
    rejected(await check(m, { ...m.input, random: '' }), 'TOKEN_MALFORMED');
    rejected(await verifySofLogin(null as unknown as SofLoginInput, { trustAnchors: roots, challengeStore: m.store, now: NOW }), 'TOKEN_MALFORMED');
  });
  test('CERT_MALFORMED', async () => {
    const m = await make('hebca-ent');
    rejected(await check(m, { ...m.input, certificate: Buffer.from('not a certificate').toString('base64') }), 'CERT_MALFORMED');
  });
  test('KEY_USAGE', async () => rejected(await check(await make('neg-key-usage')), 'KEY_USAGE'));
  test('CERT_EXPIRED', async () => rejected(await check(await make('neg-expired')), 'CERT_EXPIRED'));
  test('CERT_NOT_YET_VALID', async () => rejected(await check(await make('neg-not-yet-valid')), 'CERT_NOT_YET_VALID'));
  test('UNTRUSTED_CHAIN', async () => rejected(await check(await make('lookalike-ent')), 'UNTRUSTED_CHAIN'));
  test('REVOKED', async () => rejected(await check(await make('neg-revoked')), 'REVOKED'));
  test('CHALLENGE_UNKNOWN: a random this portal never issued, or another session\'s', async () => {
    const m = await make('hebca-ent');
    rejected(await check(m, m.input, { challenge: 'bm90IGlzc3VlZCBoZXJl' }), 'CHALLENGE_UNKNOWN');
    const m2 = await make('hebca-ent');
    const { challenge: other } = await m2.store.issue(NOW);
    rejected(await check(m2, m2.input, { challenge: other }), 'CHALLENGE_UNKNOWN');
  });
  test('CHALLENGE_EXPIRED', async () => rejected(await check(await make('hebca-ent', { issuedAt: new Date(NOW.getTime() - 24 * 3600_000) })), 'CHALLENGE_EXPIRED'));
  test('CHALLENGE_REUSED: the same post twice', async () => {
    const m = await make('hebca-ent');
    assert.equal((await check(m)).ok, true);
    rejected(await check(m), 'CHALLENGE_REUSED');
  });
  test('ALGORITHM_MISMATCH: a P-256 key, and RSA-1024', async () => {
    rejected(await check(await make('cfca-ec-ent')), 'ALGORITHM_MISMATCH');
    rejected(await check(await make('neg-rsa1024')), 'ALGORITHM_MISMATCH');
  });
  test('BAD_SIGNATURE: signed another random, or another key\'s signature', async () => {
    rejected(await check(await make('hebca-ent', { signed: 'c29tZXRoaW5nIGVsc2U=' })), 'BAD_SIGNATURE');
    const m = await make('hebca-ent');
    const other = await make('bjca-ent');
    rejected(await check(m, { ...m.input, signature: other.input.signature }), 'BAD_SIGNATURE');
  });
  test('USCC_MISSING', async () => rejected(await check(await make('neg-no-uscc')), 'USCC_MISSING'));
  test('USCC_INVALID', async () => rejected(await check(await make('neg-bad-check')), 'USCC_INVALID'));
  test('USCC_MISMATCH', async () => rejected(await check(await make('hebca-ent'), undefined, { expectedUscc: pki.get('bjca-ent').expect.uscc! }), 'USCC_MISMATCH'));
});
