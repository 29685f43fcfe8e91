/**
 * The verifier, one negative case per reason code plus the attacks the issue lists, on the
 * test PKI with a frozen clock. Tokens are made by createLoginToken with the test keys.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rejected } from '../../support/assert-error.ts';
import fs, { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PemKeyStore, chainIntermediates, certDer, type PemKeyStoreOptions } from '../../support/key-store.ts';
import { everyCodeSeen, verifierFixture } from '../../support/verifier-fixture.ts';
import { reissue } from '../../support/reissue.ts';
import { createLoginToken, type LoginTokenFormat } from '../../../main/login/token.ts';
import { MemoryChallengeStore, VERIFY_CODES, verifyLoginToken, type VerifyOptions, type VerifyResult } from '../../../main/login/verify.ts';
import { parseCertificate } from '../../../main/pki/certificate.ts';
import { CRAFTED_USCC, craftedCaseSpecs, generateCraftedChains, type CraftedCase } from '../../fixtures/generate-crafted-chains.ts';
import type { PkiEntry } from '../../fixtures/pki.ts';

const ORIGIN = 'https://www.hbzwfw.gov.cn';
// Frozen clock: one hour after the test PKI was made (leaves valid, CRLs current).
const { pki, roots, crls, now: NOW } = await verifierFixture();
const seen = everyCodeSeen(VERIFY_CODES, 'every verifier code has a negative test');

interface Made {
  token: string;
  challenge: string;
  store: MemoryChallengeStore;
}

async function make(id: string, o: { format?: LoginTokenFormat; origin?: string; keyStore?: PemKeyStoreOptions; issuedAt?: Date } = {}): Promise<Made> {
  const e = pki.get(id);
  const store = new MemoryChallengeStore();
  const { challenge } = await store.issue(o.issuedAt ?? NOW);
  const keys = new PemKeyStore(e, { intermediates: chainIntermediates(pki, e), ...o.keyStore });
  const { token } = await createLoginToken({ origin: o.origin ?? ORIGIN, challenge, store: keys, identityId: '0', pin: '123456', appVersion: '0.1.0', format: o.format ?? 'json', now: NOW });
  return { token, challenge, store };
}

async function check(m: Made, token: string | Uint8Array = m.token, opts: Partial<VerifyOptions> = {}): Promise<VerifyResult> {
  const r = await verifyLoginToken(token, { origin: ORIGIN, trustAnchors: roots, challengeStore: m.store, challenge: m.challenge, now: NOW, crls, ...opts });
  if (!r.ok) seen.add(r.code);
  return r;
}


function edit(token: string, f: (j: Record<string, unknown>) => void): string {
  const j = JSON.parse(token) as Record<string, unknown>;
  f(j);
  return JSON.stringify(j);
}

describe('accepts', () => {
  for (const id of ['hebca-ent', 'jit-ent', 'cucca-ent', 'bjca-ent', 'cfca-ent', 'sheca-ent', 'gdca-ent', 'hebca-sm2-ent', 'cfca-ec-ent']) {
    test(`${id} (json)`, async () => {
      const r = await check(await make(id));
      assert.equal(r.ok, true, r.ok ? '' : `${r.code} ${r.message}`);
      if (r.ok) {
        assert.equal(r.uscc, pki.get(id).expect.uscc);
        assert.equal(r.legalPersonKind, pki.get(id).expect.legalPersonKind);
        assert.equal(r.fingerprintSha256, parseCertificate(certDer(pki, id)).fingerprintSha256);
      }
    });
  }
  for (const id of ['hebca-ent', 'cfca-ec-ent', 'hebca-sm2-ent']) {
    test(`${id} (cms)`, async () => {
      const r = await check(await make(id, { format: 'cms' }));
      assert.equal(r.ok, true, r.ok ? '' : `${r.code} ${r.message}`);
      if (r.ok) assert.equal(r.format, 'cms');
    });
  }
  test('the expected USCC in any spelling (lower case, full width, spaces)', async () => {
    const r = await check(await make('hebca-ent'), undefined, { expectedUscc: ' ９１１３０１０４ma0he3b82k '.replace('９１１３０１０４ma0he3b82k', pki.get('hebca-ent').expect.uscc!.toLowerCase().replace('9', '９')) });
    assert.equal(r.ok, true, r.ok ? '' : r.message);
  });
  test('bytes as input, anchors already parsed, challenge taken from the token echo', async () => {
    const m = await make('hebca-ent');
    const r = await verifyLoginToken(new TextEncoder().encode(m.token), { origin: `${ORIGIN}/`, trustAnchors: roots.map(parseCertificate), challengeStore: m.store, now: NOW });
    assert.equal(r.ok, true, r.ok ? '' : r.message);
    if (r.ok) assert.deepEqual(r.warnings, ['REVOCATION_NOT_CHECKED']);
  });
  test('a token without intermediates, when the portal knows them', async () => {
    const m = await make('hebca-ent', { keyStore: { intermediates: [] } });
    rejected(await check(m), 'UNTRUSTED_CHAIN');
    const m2 = await make('hebca-ent', { keyStore: { intermediates: [] } });
    const r = await check(m2, undefined, { intermediates: [certDer(pki, 'hebca-ca')] });
    assert.equal(r.ok, true, r.ok ? '' : r.message);
  });
});

describe('rejects, one case per code, in order', () => {
  test('TOKEN_TOO_LARGE: a 1 MB token', async () => {
    const m = await make('hebca-ent');
    rejected(await check(m, m.token.slice(0, -1) + ',"pad":"' + 'A'.repeat(1024 * 1024) + '"}'), 'TOKEN_TOO_LARGE');
    rejected(await check(m, new Uint8Array(1024 * 1024)), 'TOKEN_TOO_LARGE');
  });
  test('TOKEN_MALFORMED: a truncated token, junk, a CMS blob cut short', async () => {
    const m = await make('hebca-ent');
    rejected(await check(m, m.token.slice(0, m.token.length / 2)), 'TOKEN_MALFORMED');
    rejected(await check(m, 'hello'), 'TOKEN_MALFORMED');
    rejected(await check(m, edit(m.token, (j) => { j['signature'] = 'not base64'; })), 'TOKEN_MALFORMED');
    const c = await make('hebca-ent', { format: 'cms' });
    rejected(await check(c, c.token.slice(0, 400)), 'TOKEN_MALFORMED');
  });
  test('FORMAT_UNSUPPORTED: another format version or algorithm', async () => {
    const m = await make('hebca-ent');
    rejected(await check(m, edit(m.token, (j) => { j['format'] = 'cert-login:2'; })), 'FORMAT_UNSUPPORTED');
    rejected(await check(m, edit(m.token, (j) => { j['algorithm'] = 'none'; })), 'FORMAT_UNSUPPORTED');
  });
  test('CERT_MALFORMED: certificate bytes that are not X.509', async () => {
    const m = await make('hebca-ent');
    const der = certDer(pki, 'hebca-ent');
    rejected(await check(m, edit(m.token, (j) => { j['certificate'] = Buffer.from(der.subarray(0, 200)).toString('base64'); })), 'CERT_MALFORMED');
    rejected(await check(m, edit(m.token, (j) => { j['intermediates'] = [Buffer.from('garbage!').toString('base64')]; })), 'CERT_MALFORMED');
  });
  test('KEY_USAGE: keyEncipherment only', async () => rejected(await check(await make('neg-key-usage')), 'KEY_USAGE'));
  test('CERT_EXPIRED', async () => rejected(await check(await make('neg-expired')), 'CERT_EXPIRED'));
  test('CERT_NOT_YET_VALID', async () => rejected(await check(await make('neg-not-yet-valid')), 'CERT_NOT_YET_VALID'));
  test('UNTRUSTED_CHAIN: self-signed, SHA-1, unknown root', async () => {
    rejected(await check(await make('neg-self-signed')), 'UNTRUSTED_CHAIN');
    rejected(await check(await make('neg-sha1')), 'UNTRUSTED_CHAIN');
    const hebcaRoot = parseCertificate(certDer(pki, 'hebca-root')).fingerprintSha256;
    const others = roots.filter((r) => parseCertificate(r).fingerprintSha256 !== hebcaRoot);
    rejected(await check(await make('hebca-ent'), undefined, { trustAnchors: others }), 'UNTRUSTED_CHAIN');
  });
  test('UNTRUSTED_CHAIN: a look-alike CA with the same subject name as HEBCA', async () => {
    const r = await check(await make('lookalike-ent'));
    rejected(r, 'UNTRUSTED_CHAIN');
    // Even when its intermediate is offered as one the portal "knows".
    rejected(await check(await make('lookalike-ent', { keyStore: { intermediates: [] } }), undefined, { intermediates: [certDer(pki, 'lookalike-ca')] }), 'UNTRUSTED_CHAIN');
  });
  test('REVOKED: in the issuer CRL; accepted without the CRL (able to fail)', async () => {
    rejected(await check(await make('neg-revoked')), 'REVOKED');
    const r = await check(await make('neg-revoked'), undefined, { crls: [] });
    assert.equal(r.ok, true, r.ok ? '' : r.message);
  });
  // REVOCATION_UNKNOWN used to be reported as REVOKED (status unknown is not a revocation).
  test('REVOCATION_UNKNOWN: a stale CRL means status unknown (fail closed)', async () => {
    const later = new Date(NOW.getTime() + 60 * 24 * 3600 * 1000);
    const r = await check(await make('hebca-ent', { issuedAt: later }), undefined, { now: later });
    rejected(r, 'REVOCATION_UNKNOWN');
  });
  test('REVOCATION_UNKNOWN: only the root\'s CRL configured: the leaf\'s link is not checked (warning; refused when required)', async () => {
    const rootOnly = [new Uint8Array(readFileSync(pki.crls['hebca-root']!))];
    const warned = await check(await make('hebca-ent'), undefined, { crls: rootOnly });
    assert.equal(warned.ok, true, warned.ok ? '' : warned.message);
    if (warned.ok) {
      assert.ok(warned.warnings.includes('REVOCATION_NOT_CHECKED'), 'the unchecked leaf link is reported');
      assert.deepEqual(warned.revocation?.map((l) => [l.depth, l.status, l.reason ?? l.source]), [[0, 'not-checked', 'NO_SOURCE'], [1, 'good', 'crl']]);
    }
    const r = await check(await make('hebca-ent'), undefined, { crls: rootOnly, requireRevocation: true });
    rejected(r, 'REVOCATION_UNKNOWN');
    if (!r.ok) assert.match(r.message, /河北冀信测试科技有限公司/);
    // With both CRLs every link has a status, and the requirement is met.
    const both = await check(await make('hebca-ent'), undefined, { crls: [...rootOnly, ...crls], requireRevocation: true });
    assert.equal(both.ok, true, both.ok ? '' : both.message);
  });
  test('CHALLENGE_UNKNOWN: never issued here; or the token answers another challenge', async () => {
    const m = await make('hebca-ent');
    rejected(await check({ ...m, store: new MemoryChallengeStore() }), 'CHALLENGE_UNKNOWN');
    const other = await m.store.issue(NOW);
    rejected(await check({ ...m, challenge: other.challenge }), 'CHALLENGE_UNKNOWN');
  });
  test('CHALLENGE_EXPIRED: answered after 5 minutes', async () => {
    const m = await make('hebca-ent');
    rejected(await check(m, undefined, { now: new Date(NOW.getTime() + 5 * 60 * 1000 + 1) }), 'CHALLENGE_EXPIRED');
  });
  test('CHALLENGE_REUSED: a replay of an accepted token', async () => {
    const m = await make('hebca-ent');
    assert.equal((await check(m)).ok, true);
    rejected(await check(m), 'CHALLENGE_REUSED');
  });
  test('ORIGIN_MISMATCH: a token made for another origin', async () => {
    rejected(await check(await make('hebca-ent', { origin: 'https://hbzwfw.gov.cn.evil.example' })), 'ORIGIN_MISMATCH');
    rejected(await check(await make('hebca-ent', { origin: 'http://www.hbzwfw.gov.cn' })), 'ORIGIN_MISMATCH');
  });
  test('... and when the origin echo is forged, the signature still fails (BAD_SIGNATURE)', async () => {
    const m = await make('hebca-ent', { origin: 'https://evil.example' });
    rejected(await check(m, edit(m.token, (j) => { j['origin'] = ORIGIN; })), 'BAD_SIGNATURE');
    const m2 = await make('hebca-ent', { origin: 'https://evil.example' });
    rejected(await check(m2, edit(m2.token, (j) => { delete j['origin']; })), 'BAD_SIGNATURE');
  });
  test('ALGORITHM_MISMATCH: a label that does not fit the key; RSA-1024', async () => {
    // The assistant never makes such tokens (it checks its own signature), so relabel real ones.
    for (const [id, label] of [['hebca-ent', 'ES256'], ['hebca-ent', 'SM2-SM3'], ['cfca-ec-ent', 'RS256'], ['cfca-ec-ent', 'SM2-SM3'], ['hebca-sm2-ent', 'ES256']] as const) {
      const m = await make(id);
      rejected(await check(m, edit(m.token, (j) => { j['algorithm'] = label; })), 'ALGORITHM_MISMATCH');
    }
    rejected(await check(await make('neg-rsa1024')), 'ALGORITHM_MISMATCH');
  });
  test('BAD_SIGNATURE: a signature over another challenge', async () => {
    const victim = await make('hebca-ent');
    const { challenge } = await victim.store.issue(NOW);
    // The attacker relabels a token made for one challenge as the answer to another.
    rejected(await check({ ...victim, challenge }, edit(victim.token, (j) => { j['challenge'] = challenge; })), 'BAD_SIGNATURE');
  });
  test('BAD_SIGNATURE: a swapped certificate (another trusted enterprise)', async () => {
    const m = await make('hebca-ent');
    rejected(await check(m, edit(m.token, (j) => { j['certificate'] = Buffer.from(certDer(pki, 'jit-ent')).toString('base64'); j['intermediates'] = [Buffer.from(certDer(pki, 'jit-ca')).toString('base64')]; })), 'BAD_SIGNATURE');
  });
  test('BAD_SIGNATURE: a flipped bit, in JSON and CMS tokens', async () => {
    for (const id of ['hebca-ent', 'cfca-ec-ent', 'hebca-sm2-ent']) {
      const m = await make(id);
      rejected(await check(m, edit(m.token, (j) => {
        const sig = Buffer.from(j['signature'] as string, 'base64');
        sig[sig.length - 5]! ^= 1;
        j['signature'] = sig.toString('base64');
      })), 'BAD_SIGNATURE');
      const c = await make(id, { format: 'cms' });
      const der = Buffer.from(c.token, 'base64');
      der[der.length - 5]! ^= 1;
      rejected(await check(c, der.toString('base64')), 'BAD_SIGNATURE');
    }
  });
  test('BAD_SIGNATURE: a CMS token for another origin (no echo to tell why)', async () => {
    rejected(await check(await make('hebca-ent', { format: 'cms', origin: 'https://evil.example' })), 'BAD_SIGNATURE');
  });
  // Issue 12: a personal certificate now has its own code (it was USCC_MISSING).
  test('PERSONAL_CERTIFICATE: a resident ID in an identity place — also when an e-mail names an enterprise\'s USCC', async () => {
    rejected(await check(await make('neg-personal')), 'PERSONAL_CERTIFICATE');
    const uscc = pki.get('hebca-ent').expect.uscc!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-verify-identity-'));
    try {
      // Signed by the trusted HEBCA CA: before the fix it logged in (and bound) as that enterprise.
      const personal = reissue(pki, { keyOf: 'hebca-ent', caId: 'hebca-ca', name: 'personal', dir, serial: '0x7301', ext: 'basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature',
        subject: `/C=CN/ST=河北省/L=石家庄市/CN=张三/serialNumber=11010519491231002X/emailAddress=${uscc}@163.com` });
      // openssl stamps the certificate with the real clock: verify at the real time.
      const now = new Date();
      const r = await check(await make('hebca-ent', { keyStore: { certificate: personal }, issuedAt: now }), undefined, { expectedUscc: uscc, now });
      rejected(r, 'PERSONAL_CERTIFICATE');
      if (!r.ok) assert.equal(r.uscc, null);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  test('IDENTITY_AMBIGUOUS: an applicant-chosen OU=<other USCC> beside the real serialNumber USCC', async () => {
    const uscc = pki.get('hebca-ent').expect.uscc!;
    const other = pki.get('jit-ent').expect.uscc!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-verify-identity-'));
    try {
      const two = reissue(pki, { keyOf: 'hebca-ent', caId: 'hebca-ca', name: 'two', dir, serial: '0x7302', ext: 'basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature',
        subject: `/C=CN/ST=河北省/O=河北冀信测试科技有限公司/OU=${other}/CN=河北冀信测试科技有限公司/serialNumber=${uscc}` });
      const now = new Date();
      for (const expectedUscc of [undefined, uscc, other]) {
        rejected(await check(await make('hebca-ent', { keyStore: { certificate: two }, issuedAt: now }), undefined, { now, ...(expectedUscc ? { expectedUscc } : {}) }), 'IDENTITY_AMBIGUOUS');
      }
      // The serialNumber alone is an identity place: the same certificate without the OU logs in, saying where the USCC came from.
      const one = reissue(pki, { keyOf: 'hebca-ent', caId: 'hebca-ca', name: 'one', dir, serial: '0x7303', ext: 'basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature',
        subject: `/C=CN/ST=河北省/O=河北冀信测试科技有限公司/CN=河北冀信测试科技有限公司/serialNumber=${uscc}` });
      const ok = await check(await make('hebca-ent', { keyStore: { certificate: one }, issuedAt: now }), undefined, { expectedUscc: uscc, now });
      assert.equal(ok.ok, true, ok.ok ? '' : ok.message);
      if (ok.ok) assert.deepEqual([ok.uscc, ok.usccSource, ok.usccConfidence], [uscc, 'subject:serialNumber', 'medium']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  test('USCC_MISSING: no USCC, an organisation code only', async () => {
    for (const id of ['neg-no-uscc', 'neg-org-code-only', 'neg-placeholder']) {
      const r = await check(await make(id));
      rejected(r, 'USCC_MISSING');
      if (!r.ok) assert.equal(r.uscc, null, id);
    }
  });
  test('USCC_INVALID: wrong check character; accepted only on exact equality with the account', async () => {
    rejected(await check(await make('neg-bad-check')), 'USCC_INVALID');
    const bad = pki.get('neg-bad-check').expect.uscc!;
    const r = await check(await make('neg-bad-check'), undefined, { expectedUscc: bad });
    assert.equal(r.ok, true, r.ok ? '' : r.message);
    if (r.ok) assert.ok(r.warnings.includes('USCC_CHECK_FAILED_BUT_REGISTERED'));
  });
  test('USCC_MISMATCH: another enterprise\'s account', async () => {
    const r = await check(await make('hebca-ent'), undefined, { expectedUscc: pki.get('jit-ent').expect.uscc! });
    rejected(r, 'USCC_MISMATCH');
    if (!r.ok) assert.equal(r.uscc, pki.get('hebca-ent').expect.uscc);
  });
});

describe('creating tokens', () => {
  test('the assistant checks its own signature: a key paired with another certificate fails before any token exists', async () => {
    const e = pki.get('hebca-ent');
    const keys = new PemKeyStore(e, { certificate: certDer(pki, 'jit-ent') });
    await assert.rejects(
      createLoginToken({ origin: ORIGIN, challenge: Buffer.alloc(32, 3).toString('base64'), store: keys, identityId: '0', pin: '123456', appVersion: 't' }),
      { code: 'SIGNATURE_SELF_CHECK_FAILED' },
    );
    await assert.rejects(
      createLoginToken({ origin: ORIGIN, challenge: Buffer.alloc(32, 3).toString('base64'), store: keys, identityId: '0', pin: '123456', appVersion: 't', format: 'cms' }),
      { code: 'SIGNATURE_SELF_CHECK_FAILED' },
    );
  });
  test('bad inputs: an origin that is not http(s), a short challenge, an unknown identity, a wrong PIN', async () => {
    const keys = new PemKeyStore(pki.get('hebca-ent'));
    const base = { origin: ORIGIN, challenge: Buffer.alloc(32, 3).toString('base64'), store: keys, identityId: '0', pin: '123456', appVersion: 't' };
    await assert.rejects(createLoginToken({ ...base, origin: 'file:///x' }), { code: 'ORIGIN_INVALID' });
    await assert.rejects(createLoginToken({ ...base, challenge: 'AAAA' }), { code: 'CHALLENGE_INVALID' });
    await assert.rejects(createLoginToken({ ...base, identityId: '9' }), { code: 'NO_CERTIFICATE' });
    await assert.rejects(createLoginToken({ ...base, pin: '000000' }), { code: 'PIN_INCORRECT' });
  });
});

describe('configuration edited in place (the cache is keyed by content, not by the array)', () => {
  test('an anchor spliced out of the same array is no longer trusted; length = 0 and push too', async () => {
    const anchors = [...roots];
    const hebcaRoot = parseCertificate(certDer(pki, 'hebca-root')).fingerprintSha256;
    const at = anchors.findIndex((a) => parseCertificate(a).fingerprintSha256 === hebcaRoot);
    assert.ok(at >= 0);
    const ok = await check(await make('hebca-ent'), undefined, { trustAnchors: anchors });
    assert.equal(ok.ok, true);
    anchors.splice(at, 1);
    rejected(await check(await make('hebca-ent'), undefined, { trustAnchors: anchors }), 'UNTRUSTED_CHAIN');
    anchors.length = 0;
    anchors.push(...roots);
    assert.equal((await check(await make('hebca-ent'), undefined, { trustAnchors: anchors })).ok, true);
    anchors.length = 0;
    anchors.push(certDer(pki, 'bjca-root'));
    rejected(await check(await make('hebca-ent'), undefined, { trustAnchors: anchors }), 'UNTRUSTED_CHAIN');
  });
  test('a CRL pushed into the same array is honoured', async () => {
    const list: Uint8Array[] = [new Uint8Array(readFileSync(pki.crls['bjca-ca']!))];
    const before = await check(await make('neg-revoked'), undefined, { crls: list });
    assert.equal(before.ok, true, 'hebca-ca has no CRL configured yet');
    list.push(new Uint8Array(readFileSync(pki.crls['hebca-ca']!)));
    rejected(await check(await make('neg-revoked'), undefined, { crls: list }), 'REVOKED');
  });
});

describe('order and side effects', () => {
  test('a certificate failure reports before the challenge is consumed', async () => {
    const m = await make('neg-expired');
    rejected(await check(m), 'CERT_EXPIRED');
    assert.equal(await m.store.consume(m.challenge, NOW), 'ok');
  });
  test('a bad signature still burns the challenge', async () => {
    const m = await make('hebca-ent', { origin: 'https://evil.example' });
    rejected(await check(m), 'ORIGIN_MISMATCH');
    assert.equal(await m.store.consume(m.challenge, NOW), 'reused');
  });
});

describe('RFC 5280 path rules (crafted P-256 chains made by OpenSSL)', () => {
  const CASES: Record<string, string> = {
    'duplicate-ext-leaf': 'CERT_DUPLICATE_EXTENSION',
    'eku-email-only': 'EXTENDED_KEY_USAGE',
    'unknown-critical-int': 'CRITICAL_EXTENSION',
    'issuer-ku-without-certsign': 'ISSUER_KEY_USAGE',
    'pathlen-int0-violated': 'PATH_LENGTH_EXCEEDED',
    'nc-dirname-violated': 'NAME_CONSTRAINTS',
    'nc-uri-unsupported': 'NAME_CONSTRAINTS_UNSUPPORTED',
  };
  let dir: string;
  let cases: CraftedCase[];
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-verify-crafted-'));
    cases = generateCraftedChains(dir, 'p256', craftedCaseSpecs().filter((s) => s.id === 'baseline' || s.id in CASES));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pem = (file: string): Uint8Array[] =>
    (fs.readFileSync(file, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map((p) => new Uint8Array(Buffer.from(p.replace(/-----[^-]+-----|\s+/g, ''), 'base64')));
  async function craftedCheck(id: string): Promise<VerifyResult> {
    // Our own token maker refuses a certificate with a repeated extension: swap it into a good token.
    const c = cases.find((x) => x.id === (id === 'duplicate-ext-leaf' ? 'baseline' : id))!;
    const now = new Date();
    const certDer = path.join(dir, `${id}.leaf.der`);
    fs.writeFileSync(certDer, pem(c.leaf)[0]!);
    const entry = { id, keyAlg: 'p256', keyPem: path.join(path.dirname(path.dirname(c.leaf)), 'leaf.key.pem'), certDer } as PkiEntry;
    const store = new MemoryChallengeStore();
    const { challenge } = await store.issue(now);
    const keys = new PemKeyStore(entry, { intermediates: pem(c.untrusted) });
    let { token } = await createLoginToken({ origin: ORIGIN, challenge, store: keys, identityId: '0', pin: '123456', appVersion: '0.1.0', now });
    if (id === 'duplicate-ext-leaf') {
      const dup = Buffer.from(pem(cases.find((x) => x.id === id)!.leaf)[0]!).toString('base64');
      token = edit(token, (j) => { j['certificate'] = dup; });
    }
    const r = await verifyLoginToken(token, { origin: ORIGIN, trustAnchors: pem(c.root), challengeStore: store, challenge, now, expectedUscc: CRAFTED_USCC });
    if (!r.ok) seen.add(r.code);
    return r;
  }
  test('the well-formed crafted chain logs in', async () => {
    const r = await craftedCheck('baseline');
    assert.equal(r.ok, true, r.ok ? '' : `${r.code} ${r.message}`);
  });
  for (const [id, code] of Object.entries(CASES)) {
    test(`${code}: ${id}`, async () => rejected(await craftedCheck(id), code));
  }
});
