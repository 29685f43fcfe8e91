/**
 * CRL scope (RFC 5280 §5.2.5, §5.2.4, §6.3.3): CRLs made by `openssl ca -gencrl` with the test
 * PKI's HEBCA CA key and an index we write, each with one twist: issuingDistributionPoint
 * onlyContainsCACerts / onlyContainsUserCerts / onlySomeReasons / indirectCRL / another
 * distribution point, a delta CRL, and an unknown critical extension.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getTestPki, type TestPki } from '../../fixtures/pki.ts';
import { PemKeyStore, chainIntermediates, certDer, testRoots } from '../../support/key-store.ts';
import { createLoginToken } from '../../../main/login/token.ts';
import { MemoryChallengeStore, verifyLoginToken, type VerifyOptions, type VerifyResult } from '../../../main/login/verify.ts';
import { parseCrl } from '../../../main/login/crl.ts';
import { checkRevocation } from '../../../main/login/revocation.ts';
import { parseCertificate } from '../../../main/pki/certificate.ts';
import { pkiHourAfter } from '../../support/verifier-fixture.ts';

const ORIGIN = 'https://www.hbzwfw.gov.cn';
let pki: TestPki;
let dir: string;
let rootCrl: Uint8Array;
let NOW: Date;

function indexDate(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
}

/** A CRL from the HEBCA CA with `extensions` (openssl config lines) and `neg-revoked` listed (unless `revoke` is false). */
function makeCrl(name: string, extensions: string, o: { revoke?: boolean; reason?: string; crlNumber?: number } = {}): Uint8Array {
  const db = path.join(dir, name);
  mkdirSync(db, { recursive: true });
  const revoked = parseCertificate(certDer(pki, 'neg-revoked'));
  const serial = revoked.serialNumber.toUpperCase().padStart(revoked.serialNumber.length + (revoked.serialNumber.length % 2), '0');
  const when = indexDate(new Date(NOW.getTime() - 24 * 3600 * 1000));
  const line = o.revoke === false ? '' : `R\t${indexDate(revoked.notAfter)}\t${when},${o.reason ?? 'keyCompromise'}\t${serial}\tunknown\t/CN=x\n`;
  writeFileSync(path.join(db, 'index.txt'), line);
  writeFileSync(path.join(db, 'crlnumber'), `${(o.crlNumber ?? 4096).toString(16).toUpperCase().padStart(4, '0')}\n`);
  const p = db.split(path.sep).join('/');
  writeFileSync(path.join(db, 'ca.cnf'), `[ca]\ndefault_ca = CA_default\n[CA_default]\ndatabase = ${p}/index.txt\ncrlnumber = ${p}/crlnumber\ndefault_md = sha256\ncrl_extensions = crl_ext\n[crl_ext]\nauthorityKeyIdentifier = keyid:always\n${extensions}\n`);
  const ca = pki.get('hebca-ca');
  const out = path.join(db, 'crl.pem');
  execFileSync('openssl', ['ca', '-batch', '-config', path.join(db, 'ca.cnf'), '-gencrl', '-cert', ca.certPem, '-keyfile', ca.keyPem, '-crldays', '30', '-out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Uint8Array(readFileSync(out));
}

before(async () => {
  pki = await getTestPki();
  NOW = pkiHourAfter(pki);
  dir = mkdtempSync(path.join(tmpdir(), 'crl-scope-'));
  rootCrl = new Uint8Array(readFileSync(pki.crls['hebca-root']!));
});

after(() => rmSync(dir, { recursive: true, force: true }));

async function verify(id: string, crls: Uint8Array[], extra: Partial<VerifyOptions> = {}): Promise<VerifyResult> {
  const e = pki.get(id);
  const store = new MemoryChallengeStore();
  // openssl stamps CRLs with the real clock: verify at the real time.
  const now = new Date();
  const { challenge } = await store.issue(now);
  const { token } = await createLoginToken({ origin: ORIGIN, challenge, store: new PemKeyStore(e, { intermediates: chainIntermediates(pki, e) }), identityId: '0', pin: '123456', appVersion: 't', now });
  return verifyLoginToken(token, { origin: ORIGIN, trustAnchors: testRoots(pki), challengeStore: store, challenge, now, crls: [rootCrl, ...crls], ...extra });
}

function code(r: VerifyResult): string {
  return r.ok ? 'ok' : r.code;
}

describe('CRL scope', () => {
  test('a plain CRL of the CA (control): revokes neg-revoked, says good for hebca-ent', async () => {
    const crl = makeCrl('plain', '');
    assert.equal(code(await verify('neg-revoked', [crl])), 'REVOKED');
    const r = await verify('hebca-ent', [crl], { requireRevocation: true });
    assert.equal(code(r), 'ok', r.ok ? '' : r.message);
  });

  test('onlyContainsCACerts: not complete for a leaf (was read as "good")', async () => {
    const crl = makeCrl('ca-only', 'issuingDistributionPoint = critical, @idp\n[idp]\nonlyCA = TRUE', { revoke: false });
    assert.equal(parseCrl(crl).scope.onlyCaCerts, true);
    const r = await verify('hebca-ent', [crl]);
    assert.equal(code(r), 'ok');
    if (r.ok) {
      assert.ok(r.warnings.includes('REVOCATION_NOT_CHECKED'));
      assert.equal(r.revocation?.[0]?.status, 'not-checked');
    }
    assert.equal(code(await verify('hebca-ent', [crl], { requireRevocation: true })), 'REVOCATION_UNKNOWN');
  });

  test('onlyContainsUserCerts: covers the leaf; a delta alone does not', async () => {
    const user = makeCrl('user-only', 'issuingDistributionPoint = critical, @idp\n[idp]\nonlyuser = TRUE');
    assert.equal(code(await verify('neg-revoked', [user])), 'REVOKED');
    assert.equal(code(await verify('hebca-ent', [user], { requireRevocation: true })), 'ok');
    const delta = makeCrl('delta', '2.5.29.27 = critical, DER:02:02:0F:A0', { revoke: false });
    assert.equal(parseCrl(delta).deltaBase, 4000n);
    assert.equal(code(await verify('hebca-ent', [delta], { requireRevocation: true })), 'REVOCATION_UNKNOWN');
    // Base + delta: the delta's entry revokes a certificate the base does not list.
    const base = makeCrl('base', '', { revoke: false, crlNumber: 4000 });
    const listing = makeCrl('delta-listing', '2.5.29.27 = critical, DER:02:02:0F:A0', { crlNumber: 4001 });
    assert.equal(code(await verify('hebca-ent', [base, delta], { requireRevocation: true })), 'ok');
    assert.equal(code(await verify('neg-revoked', [base, listing])), 'REVOKED');
  });

  test('onlySomeReasons, indirect CRLs and another distribution point do not make a leaf "good"', async () => {
    const some = makeCrl('some-reasons', 'issuingDistributionPoint = critical, @idp\n[idp]\nonlysomereasons = keyCompromise', { revoke: false });
    const indirect = makeCrl('indirect', 'issuingDistributionPoint = critical, @idp\n[idp]\nindirectCRL = TRUE', { revoke: false });
    const otherDp = makeCrl('other-dp', 'issuingDistributionPoint = critical, @idp\n[idp]\nfullname = URI:http://127.0.0.1/crl/partition-2.crl', { revoke: false });
    const sameDp = makeCrl('same-dp', 'issuingDistributionPoint = critical, @idp\n[idp]\nfullname = URI:http://127.0.0.1/crl/hebca-ca.crl', { revoke: false });
    for (const crl of [some, indirect, otherDp]) assert.equal(code(await verify('hebca-ent', [crl], { requireRevocation: true })), 'REVOCATION_UNKNOWN');
    assert.equal(code(await verify('hebca-ent', [sameDp], { requireRevocation: true })), 'ok');
  });

  test('a CRL with an unknown critical extension is refused (CRL_UNSUPPORTED), a non-critical one is fine', () => {
    const critical = makeCrl('unknown-critical', '1.2.3.4.5.6 = critical, DER:05:00');
    assert.throws(() => parseCrl(critical), { code: 'CRL_UNSUPPORTED' });
    const plain = makeCrl('unknown-plain', '1.2.3.4.5.6 = DER:05:00');
    assert.equal(parseCrl(plain).revoked.size, 1);
  });

  test('every link has its own status: the root CRL alone leaves the leaf not checked', async () => {
    const path3 = [parseCertificate(certDer(pki, 'hebca-ent')), parseCertificate(certDer(pki, 'hebca-ca')), parseCertificate(certDer(pki, 'hebca-root'))];
    const report = await checkRevocation(path3, { crls: [parseCrl(rootCrl)] }, NOW);
    assert.equal(report.status, 'not-checked');
    assert.deepEqual(report.links.map((l) => l.status), ['not-checked', 'good']);
  });
});
