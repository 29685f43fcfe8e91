/**
 * Real certificates from Chinese CAs (test/fixtures/realworld, provenance in SOURCES.md) through
 * the whole pipeline: read, parse (light and full pkijs), identity, CA profile, checks, CLI JSON.
 * SM2 signatures made by the CAs' own keys prove our SM2/SM3 verification matches theirs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../../main/cli/main.ts';
import type { CliIO } from '../../../main/cli/io.ts';
import { AssistantError } from '../../../main/errors.ts';
import type { ParsedCertificate } from '../../../main/pki/certificate.ts';
import { verifyCertificateSignature, verifyChain } from '../../../main/pki/chain.ts';
import { checkResidentId } from '../../../main/pki/resident-id.ts';
import { inspectCertificate, type CertificateReport } from '../../../main/pki/inspect.ts';
import { readCertificateFile } from '../../../main/pki/read.ts';
import { analyzeUscc } from '../../../main/pki/uscc.ts';

const DIR = fileURLToPath(new URL('../../fixtures/realworld/', import.meta.url));
// A fixed clock inside every leaf's validity except where a test says otherwise.
const NOW = new Date('2021-07-01T00:00:00Z');

interface Expect {
  /** CN (or O) of the certificate, to find it in the file. */
  name: string;
  keyAlgorithm: string;
  signatureAlgorithm: string;
  caProfile: string | null;
  root?: boolean;
  ca?: boolean;
  uscc?: { value: string; source: string; confidence?: 'high' | 'medium' | 'low' };
  /** An ID number that must be recognised as such and never reported as the USCC. */
  residentId?: string;
  /** Candidates of these kinds must be present (none of them counts as a USCC). */
  candidateKinds?: string[];
}

/** The USCC expected at `source` (`subject:CN`, `subject:OU` or `ext:<oid>`), found with `confidence`. */
function usccAt(value: string, source: string, confidence: 'high' | 'medium' | 'low' = 'high'): Expect['uscc'] {
  return { value, source, confidence };
}

const CORPUS: Record<string, Expect[]> = {
  'bjca-rsa-personal-sf-idnumber.pem': [
    { name: 'MSSP测试用户(测试)', keyAlgorithm: 'RSA-1024', signatureAlgorithm: 'sha1WithRSAEncryption', caProfile: 'bjca', residentId: '110102198811113018' },
  ],
  'bjca-sm2-enterprise-uscc.pem': [{ name: '北京数字认证股份有限公司', keyAlgorithm: 'SM2', signatureAlgorithm: 'SM2-with-SM3', caProfile: 'bjca', uscc: usccAt('91110108722619411A', 'ext:1.2.156.112562.2.1.1.17') }],
  'cfca-rsa-acs-oca33-signed-message.p7s': [{ name: '051@C010@N91110000600001760P@1', keyAlgorithm: 'RSA-2048', signatureAlgorithm: 'sha256WithRSAEncryption', caProfile: 'cfca', uscc: usccAt('91110000600001760P', 'subject:CN') }],
  'cfca-rsa-ev-root.pem': [{ name: 'CFCA EV ROOT', keyAlgorithm: 'RSA-4096', signatureAlgorithm: 'sha256WithRSAEncryption', caProfile: 'cfca', root: true, ca: true }],
  'cfca-rsa-test-oca1-enterprise-uscc.pem': [{ name: '051@湖南咖啡之翼品牌管理股份有限公司@N914301007225655804@1', keyAlgorithm: 'RSA-2048', signatureAlgorithm: 'sha1WithRSAEncryption', caProfile: 'cfca', uscc: usccAt('914301007225655804', 'subject:CN') }],
  'cfca-sm2-acs-oca31.pem': [{ name: 'CFCA ACS SM2 OCA31', keyAlgorithm: 'SM2', signatureAlgorithm: 'SM2-with-SM3', caProfile: 'cfca', ca: true }],
  'cfca-sm2-acs-test-oca31-z-prefixed.pem': [{ name: '051@测试@Z23456786543@1', keyAlgorithm: 'SM2', signatureAlgorithm: 'SM2-with-SM3', caProfile: 'cfca' }],
  'cfca-sm2-boc-ebssec-leaf.pem': [{ name: 'ebssec.boc.cn', keyAlgorithm: 'SM2', signatureAlgorithm: 'SM2-with-SM3', caProfile: 'cfca' }],
  'cfca-sm2-cmbc-0305-enterprise.pem': [{ name: '0305@8913301103418580566@A00012017040000000934@1', keyAlgorithm: 'SM2', signatureAlgorithm: 'SM2-with-SM3', caProfile: 'cfca', uscc: usccAt('913301103418580566', 'subject:CN') }],
  'cfca-sm2-cs-ca-root.pem': [{ name: 'CFCA CS SM2 CA', keyAlgorithm: 'SM2', signatureAlgorithm: 'SM2-with-SM3', caProfile: 'cfca', root: true, ca: true }],
  'cfca-sm2-ev-root.pem': [{ name: 'CFCA EV SM2 ROOT', keyAlgorithm: 'SM2', signatureAlgorithm: 'SM2-with-SM3', caProfile: 'cfca', root: true, ca: true }],
  'cfca-sm2-msgcrypto-enterprise-uscc.pem': [{ name: 'MsgCryp@武汉合众易宝科技有限公司@N91420103055737157W@1', keyAlgorithm: 'SM2', signatureAlgorithm: 'SM2-with-SM3', caProfile: 'cfca', uscc: usccAt('91420103055737157W', 'subject:CN') }],
  'cfca-sm2-oca1.pem': [{ name: 'CFCA SM2 OCA1', keyAlgorithm: 'SM2', signatureAlgorithm: 'SM2-with-SM3', caProfile: 'cfca', ca: true }],
  'gdca-rsa-r4-generic-enterprise.pem': [{ name: '北京枫玉科技有限公司', keyAlgorithm: 'RSA-2048', signatureAlgorithm: 'sha256WithRSAEncryption', caProfile: 'gdca' }],
  'gdca-rsa-trustauth-r5-root.pem': [{ name: 'GDCA TrustAUTH R5 ROOT', keyAlgorithm: 'RSA-4096', signatureAlgorithm: 'sha256WithRSAEncryption', caProfile: 'gdca', root: true, ca: true }],
  'hebca-rsa-personal-test.pem': [
    { name: '管火志', keyAlgorithm: 'RSA-1024', signatureAlgorithm: 'sha1WithRSAEncryption', caProfile: 'hebca', residentId: '421126198312310038' },
  ],
  'hebca-sm2-placeholder-attr.pem': [
    { name: '测试电子保函', keyAlgorithm: 'SM2', signatureAlgorithm: 'SM2-with-SM3', caProfile: 'hebca', candidateKinds: ['placeholder'] },
  ],
  'hebca-sm2-uscc-attr.pem': [{ name: '王一同1', keyAlgorithm: 'SM2', signatureAlgorithm: 'SM2-with-SM3', caProfile: 'hebca', candidateKinds: ['partial'] }],
  'itrus-ec-vtrus-ecc-root.pem': [{ name: 'vTrus ECC Root CA', keyAlgorithm: 'EC-P384', signatureAlgorithm: 'ecdsa-with-SHA384', caProfile: null, root: true, ca: true }],
  'nrcac-sheca-sm2-chain.p7b': [
    { name: 'ROOTCA', keyAlgorithm: 'SM2', signatureAlgorithm: 'SM2-with-SM3', caProfile: null, root: true, ca: true },
    // Issued by the national root, so its issuer is NRCAC, not SHECA.
    { name: 'SHECA SM2', keyAlgorithm: 'SM2', signatureAlgorithm: 'SM2-with-SM3', caProfile: null, ca: true },
  ],
  'nrcac-sm2-civil-servant-root.pem': [{ name: 'Civil Servant ROOT', keyAlgorithm: 'SM2', signatureAlgorithm: 'SM2-with-SM3', caProfile: null, root: true, ca: true }],
  'nrcac-sm2-rootca.pem': [{ name: 'ROOTCA', keyAlgorithm: 'SM2', signatureAlgorithm: 'SM2-with-SM3', caProfile: null, root: true, ca: true }],
  'sheca-rsa-uca-ev-root.pem': [{ name: 'UCA Extended Validation Root', keyAlgorithm: 'RSA-4096', signatureAlgorithm: 'sha256WithRSAEncryption', caProfile: 'sheca', root: true, ca: true }],
  'sheca-rsa-uca-global-g2-root.pem': [{ name: 'UCA Global G2 Root', keyAlgorithm: 'RSA-4096', signatureAlgorithm: 'sha256WithRSAEncryption', caProfile: 'sheca', root: true, ca: true }],
  'sheca-sm2-test-enterprise-uscc.pem': [{ name: '上海悦达塞夫纳节能科技有限公司', keyAlgorithm: 'SM2', signatureAlgorithm: 'SM2-with-SM3', caProfile: 'sheca', uscc: usccAt('91310106669433828F', 'ext:1.2.156.112570.11.210') }],
  'sheca-sm2-enterprise-xy-uscc.pem': [{ name: '192.168.2.253', keyAlgorithm: 'SM2', signatureAlgorithm: 'SM2-with-SM3', caProfile: 'sheca', uscc: usccAt('91310000631291289X', 'ext:1.2.156.112570.11.205') }],
  'sheca-sm2-2013-bmpstring-explicit-tag.pem': [{ name: '王玉林SM2_test1', keyAlgorithm: 'SM2', signatureAlgorithm: 'SM2-with-SM3', caProfile: 'sheca' }],
  'fjca-rsa-orgcode-only-2013.pem': [
    { name: '福建博思软件股份有限公司（业务专用五）', keyAlgorithm: 'RSA-1024', signatureAlgorithm: 'sha1WithRSAEncryption', caProfile: 'fjca', candidateKinds: ['orgCode', 'regNumber15'] },
  ],
  // FJCA's profile names OU as its USCC place (issue 12: login identities only from CA places / identity fields).
  'fjca-rsa-uscc-in-ou-test.pem': [{ name: '福建博思软件股份有限公司（测试专用三十七）', keyAlgorithm: 'RSA-1024', signatureAlgorithm: 'sha1WithRSAEncryption', caProfile: 'fjca', uscc: usccAt('91350100731844207Y', 'subject:OU') }],
  'zjca-rsa-bmpstring-issuer-signed-message.p7s': [{ name: '测试 _上海佳和健康管理有限公司', keyAlgorithm: 'RSA-2048', signatureAlgorithm: 'sha256WithRSAEncryption', caProfile: null, uscc: usccAt('91310000MA7AGX5E2J', 'ext:1.2.156.112573.5', 'medium') }],
  'jsca-rsa-all-bmpstring-2001.pem': [{ name: '行助手2.0测试2016052406', keyAlgorithm: 'RSA-1024', signatureAlgorithm: 'sha1WithRSAEncryption', caProfile: null }],
  'tjca-sm2-ca.pem': [{ name: 'TJCA', keyAlgorithm: 'SM2', signatureAlgorithm: 'SM2-with-SM3', caProfile: null, ca: true }],
};

function nameOf(dn: string): string {
  const cn = /(?:^|, )CN=((?:\\.|[^,])*)/.exec(dn)?.[1] ?? /(?:^|, )O=((?:\\.|[^,])*)/.exec(dn)?.[1] ?? dn;
  return cn.replace(/\\(.)/g, '$1');
}

function read(file: string): ParsedCertificate[] {
  return readCertificateFile(fs.readFileSync(path.join(DIR, file)), { fileName: file }).certificates;
}

function one(file: string, name: string): ParsedCertificate {
  const c = read(file).find((x) => nameOf(x.subject) === name);
  assert.ok(c, `${file}: no certificate named ${name}`);
  return c;
}

function cliIO(now: Date): { io: CliIO; out: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.resume();
  return { io: { stdout, stderr, stdin: new PassThrough(), env: {}, cwd: DIR, now: () => now }, out: () => out };
}

test('the corpus table and the fixture folder list the same files', () => {
  const onDisk = fs.readdirSync(DIR).filter((f) => f !== 'SOURCES.md').sort();
  assert.deepEqual(onDisk, Object.keys(CORPUS).sort());
  const sources = fs.readFileSync(path.join(DIR, 'SOURCES.md'), 'utf8');
  for (const f of onDisk) assert.ok(sources.includes(`\`${f}\``), `SOURCES.md describes ${f}`);
  assert.ok(Object.values(CORPUS).flat().length >= 15);
});

test('every real certificate parses (light reader and full pkijs) with the expected algorithms, CA flag and self-signature', () => {
  for (const [file, expected] of Object.entries(CORPUS)) {
    const certs = read(file);
    assert.equal(certs.length, expected.length, file);
    for (const e of expected) {
      const c = one(file, e.name);
      assert.equal(c.keyAlgorithm, e.keyAlgorithm, `${file} key`);
      assert.equal(c.signatureAlgorithm, e.signatureAlgorithm, `${file} signature`);
      assert.equal(c.isCA, e.ca === true, `${file} isCA`);
      assert.equal(c.selfIssued, e.root === true, `${file} self-issued`);
      // Roots really signed themselves; nothing else did.
      assert.equal(verifyCertificateSignature(c, c), e.root === true, `${file} self-signature`);
      // The full pkijs parse must accept the same bytes (identity extraction may use it).
      assert.equal(c.cert.subject.typesAndValues.length > 0, true, file);
      assert.equal(Buffer.from(c.cert.tbsView).equals(Buffer.from(c.tbs)), true, `${file} pkijs TBS`);
    }
  }
});

test('identity and CA profile of every real certificate match what the CA put in it', () => {
  for (const [file, expected] of Object.entries(CORPUS)) {
    for (const e of expected) {
      const c = one(file, e.name);
      const r = inspectCertificate(c, { now: NOW, anchors: [], intermediates: [] });
      assert.equal(r.caProfile?.id ?? null, e.caProfile, `${file} caProfile`);
      if (e.uscc) {
        assert.deepEqual(
          { value: r.identity.uscc?.value, valid: r.identity.uscc?.valid, source: r.identity.uscc?.source },
          { value: e.uscc.value, valid: true, source: e.uscc.source },
          file,
        );
        if (e.uscc.confidence) assert.equal(r.identity.uscc?.confidence, e.uscc.confidence, `${file} confidence`);
        assert.equal(analyzeUscc(e.uscc.value).valid, true, `${file}: the expected USCC is itself valid`);
        assert.equal(check(r, 'uscc').status, 'pass', file);
      } else {
        assert.equal(r.identity.uscc?.valid === true, false, `${file}: no valid USCC`);
        assert.equal(check(r, 'uscc').status, 'fail', file);
      }
      if (e.residentId) {
        assert.equal(checkResidentId(e.residentId, NOW).checkOk, true, `${file}: the ID number is well-formed`);
        assert.ok(r.identity.candidates.some((k) => k.kind === 'residentId' && k.value === e.residentId), `${file}: ID number recognised`);
        assert.notEqual(r.identity.uscc?.value, e.residentId, `${file}: ID number is not a USCC`);
        assert.equal(check(r, 'uscc').code, 'USCC_PERSONAL_CERT', file);
        assert.match(check(r, 'uscc').message, /个人证书/);
      }
      for (const kind of e.candidateKinds ?? []) assert.ok(r.identity.candidates.some((k) => k.kind === kind), `${file}: ${kind} candidate`);
      if (e.candidateKinds?.includes('partial')) assert.equal(check(r, 'uscc').code, 'USCC_INCOMPLETE', file);
      if (e.candidateKinds?.includes('placeholder')) assert.equal(check(r, 'uscc').code, 'USCC_PLACEHOLDER', file);
      // No ID number anywhere in the corpus may ever be reported as a USCC.
      for (const k of r.identity.candidates) if (k.kind === 'residentId') assert.notEqual(r.identity.uscc?.value, k.value, file);
    }
  }
});

function check(r: CertificateReport, id: string): CertificateReport['checks'][number] {
  const c = r.checks.find((k) => k.id === id);
  assert.ok(c, id);
  return c;
}

test('the same company before and after 2015: the old FJCA certificate has only the org code, which the new USCC embeds', () => {
  const old = inspectCertificate(one('fjca-rsa-orgcode-only-2013.pem', '福建博思软件股份有限公司（业务专用五）'), { now: NOW, anchors: [], intermediates: [] });
  const neu = inspectCertificate(one('fjca-rsa-uscc-in-ou-test.pem', '福建博思软件股份有限公司（测试专用三十七）'), { now: NOW, anchors: [], intermediates: [] });
  assert.deepEqual(old.identity.orgCode, { value: '731844207', source: 'ext:1.2.156.10260.4.1.4' });
  assert.equal(old.identity.uscc, null);
  assert.equal(check(old, 'uscc').code, 'USCC_ORG_CODE_ONLY');
  assert.equal(analyzeUscc(neu.identity.uscc!.value).orgCode?.value, old.identity.orgCode?.value);
});

test('cert-assistant uscc --json decodes the real USCCs found in the corpus', async () => {
  const expected: Record<string, { type: string; kind: string; region: string }> = {
    '91110108722619411A': { type: '91', kind: '企业法人', region: '110108' },
    '91420103055737157W': { type: '91', kind: '企业法人', region: '420103' },
    '914301007225655804': { type: '91', kind: '企业法人', region: '430100' },
    '913301103418580566': { type: '91', kind: '企业法人', region: '330110' },
    '91110000600001760P': { type: '91', kind: '企业法人', region: '110000' },
    '91310106669433828F': { type: '91', kind: '企业法人', region: '310106' },
    '91350100731844207Y': { type: '91', kind: '企业法人', region: '350100' },
    '91310000MA7AGX5E2J': { type: '91', kind: '企业法人', region: '310000' },
  };
  const t = cliIO(NOW);
  assert.equal(await main(['uscc', '--json', ...Object.keys(expected)], t.io), 0);
  const out = JSON.parse(t.out()) as { input: string; valid: boolean; orgType: { code: string; legalPersonKind: string }; region: { code: string; name: string | null }; orgCode: { valid: boolean } }[];
  assert.deepEqual(out.map((o) => o.input), Object.keys(expected));
  for (const o of out) {
    const e = expected[o.input]!;
    assert.equal(o.valid, true, o.input);
    assert.deepEqual([o.orgType.code, o.orgType.legalPersonKind, o.region.code], [e.type, e.kind, e.region], o.input);
    assert.ok(o.region.name, `${o.input}: region named`);
    assert.equal(o.orgCode.valid, true, o.input);
  }
  // The 17-character value HEBCA wrote into a real certificate is not a USCC.
  const bad = cliIO(NOW);
  assert.equal(await main(['uscc', '--json', '9110106MA005DAB3F'], bad.io), 1);
  assert.equal((JSON.parse(bad.out()) as { valid: boolean }[])[0]!.valid, false);
});

test('real SM2 chains verify with the CAs own signatures: BOC and enterprise leaves → CFCA SM2 OCA1 → CFCA CS SM2 CA', () => {
  const root = one('cfca-sm2-cs-ca-root.pem', 'CFCA CS SM2 CA');
  const oca1 = one('cfca-sm2-oca1.pem', 'CFCA SM2 OCA1');
  for (const [file, name, at] of [
    ['cfca-sm2-boc-ebssec-leaf.pem', 'ebssec.boc.cn', NOW],
    ['cfca-sm2-cmbc-0305-enterprise.pem', '0305@8913301103418580566@A00012017040000000934@1', NOW],
    ['cfca-sm2-msgcrypto-enterprise-uscc.pem', 'MsgCryp@武汉合众易宝科技有限公司@N91420103055737157W@1', new Date('2026-01-01T00:00:00Z')],
  ] as const) {
    const leaf = one(file, name);
    assert.equal(verifyCertificateSignature(leaf, oca1), true, `${file} signed by OCA1`);
    const r = verifyChain(leaf, { intermediates: [oca1], anchors: [root], now: at });
    assert.equal(r.ok, true, `${file}: ${r.code} ${r.message}`);
    assert.deepEqual(r.path.map((p) => nameOf(p.subject)), [name, 'CFCA SM2 OCA1', 'CFCA CS SM2 CA']);
  }
  assert.equal(verifyCertificateSignature(oca1, root), true);
  assert.equal(verifyCertificateSignature(one('cfca-sm2-acs-oca31.pem', 'CFCA ACS SM2 OCA31'), root), true);
});

test('real SM2 chains under the national roots: TJCA → Civil Servant ROOT, SHECA leaves → SHECA SM2 → ROOTCA', () => {
  const civil = one('nrcac-sm2-civil-servant-root.pem', 'Civil Servant ROOT');
  const tjca = one('tjca-sm2-ca.pem', 'TJCA');
  assert.equal(verifyCertificateSignature(tjca, civil), true);
  const r = verifyChain(tjca, { intermediates: [], anchors: [civil], now: NOW });
  assert.equal(r.ok, true, `${r.code} ${r.message}`);

  const [rootca, sheca] = [one('nrcac-sheca-sm2-chain.p7b', 'ROOTCA'), one('nrcac-sheca-sm2-chain.p7b', 'SHECA SM2')];
  assert.equal(verifyCertificateSignature(sheca, rootca), true);
  // SHECA's own SM2 leaves (from another repository) chain through that intermediate to the national root.
  for (const [file, name, at] of [
    ['sheca-sm2-enterprise-xy-uscc.pem', '192.168.2.253', new Date('2018-06-01T00:00:00Z')],
    ['sheca-sm2-2013-bmpstring-explicit-tag.pem', '王玉林SM2_test1', new Date('2014-01-01T00:00:00Z')],
  ] as const) {
    const leaf = one(file, name);
    assert.equal(verifyCertificateSignature(leaf, sheca), true, file);
    const r = verifyChain(leaf, { intermediates: [sheca], anchors: [rootca], now: at });
    assert.equal(r.ok, true, `${file}: ${r.code} ${r.message}`);
    assert.deepEqual(r.path.map((p) => nameOf(p.subject)), [name, 'SHECA SM2', 'ROOTCA']);
  }
  // The same national root published separately is byte-identical to the one in the bundle.
  assert.equal(one('nrcac-sm2-rootca.pem', 'ROOTCA').fingerprintSha256, rootca.fingerprintSha256);
});

test('SM2 verification of real certificates rejects the wrong issuer and a tampered signature', () => {
  const leaf = one('cfca-sm2-boc-ebssec-leaf.pem', 'ebssec.boc.cn');
  const oca1 = one('cfca-sm2-oca1.pem', 'CFCA SM2 OCA1');
  assert.equal(verifyCertificateSignature(leaf, one('cfca-sm2-acs-oca31.pem', 'CFCA ACS SM2 OCA31')), false);
  assert.equal(verifyCertificateSignature(leaf, one('cfca-sm2-cs-ca-root.pem', 'CFCA CS SM2 CA')), false);
  const der = Buffer.from(leaf.der);
  der[der.length - 5]! ^= 0x01; // inside the signature's s value
  const [tampered] = readCertificateFile(der).certificates;
  assert.ok(tampered);
  assert.equal(verifyCertificateSignature(tampered, oca1), false);
  // A different trust anchor with the same name does not make the chain valid.
  const r = verifyChain(leaf, { intermediates: [], anchors: [one('cfca-sm2-ev-root.pem', 'CFCA EV SM2 ROOT')], now: NOW });
  assert.equal(r.ok, false);
});

test('cert-assistant inspect --json on every real file: one entry per file, contract fields, no error', async () => {
  for (const [file, expected] of Object.entries(CORPUS)) {
    const t = cliIO(NOW);
    const code = await main(['inspect', '--json', file], t.io);
    assert.ok(code === 0 || code === 1, `${file} exit ${code}`);
    const json = JSON.parse(t.out()) as { files: { file: string; error?: unknown; certificates: (CertificateReport & Record<string, unknown>)[] }[] };
    assert.equal(json.files.length, 1);
    const entry = json.files[0]!;
    assert.equal(entry.error, undefined, `${file}: ${JSON.stringify(entry.error)}`);
    assert.equal(entry.certificates.length, expected.length, file);
    for (const c of entry.certificates) {
      for (const k of ['subject', 'issuer', 'serialNumber', 'notBefore', 'notAfter', 'keyAlgorithm', 'signatureAlgorithm', 'fingerprintSha256', 'caProfile', 'identity', 'checks']) {
        assert.ok(k in c, `${file}: ${k}`);
      }
      assert.deepEqual(c.checks.map((k) => k.id), ['validity', 'key-usage', 'chain', 'self-signed', 'weak-algorithm', 'uscc']);
      const e = expected.find((x) => x.name === nameOf(c.subject));
      assert.ok(e, `${file}: ${c.subject}`);
      assert.equal(c.keyAlgorithm, e.keyAlgorithm);
      assert.equal(c.identity.uscc?.valid === true ? c.identity.uscc.value : null, e.uscc?.value ?? null, file);
    }
  }
});

test('cert-assistant inspect --trust: the real BOC SM2 leaf passes the chain check through CFCA SM2 OCA1 to CFCA CS SM2 CA', async () => {
  const t = cliIO(NOW);
  // Intermediates come from the file being inspected, as in a PFX or P7B: put leaf and OCA1 in one PEM.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-realworld-'));
  try {
    const both = path.join(tmp, 'leaf-and-oca1.pem');
    fs.writeFileSync(both, fs.readFileSync(path.join(DIR, 'cfca-sm2-boc-ebssec-leaf.pem'), 'utf8') + fs.readFileSync(path.join(DIR, 'cfca-sm2-oca1.pem'), 'utf8'));
    const code = await main(['inspect', '--json', '--trust', path.join(DIR, 'cfca-sm2-cs-ca-root.pem'), both], t.io);
    const json = JSON.parse(t.out()) as { files: { certificates: CertificateReport[] }[] };
    const leaf = json.files[0]!.certificates.find((c) => nameOf(c.subject) === 'ebssec.boc.cn')!;
    assert.equal(check(leaf, 'chain').status, 'pass', check(leaf, 'chain').message);
    assert.match(check(leaf, 'chain').message, /ebssec\.boc\.cn → CFCA SM2 OCA1 → CFCA CS SM2 CA/);
    // Still exit 1: a bank's TLS server certificate carries no USCC, so it cannot log in.
    assert.equal(code, 1);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('the human inspect report masks ID numbers that real HEBCA certificates carry in the subject', async () => {
  const t = cliIO(NOW);
  await main(['inspect', 'hebca-rsa-personal-test.pem'], t.io);
  assert.doesNotMatch(t.out(), /421126198312310038/);
  assert.match(t.out(), /421126\*{8}0038/);
  assert.match(t.out(), /个人证书/);
});

test('a truncated real certificate is a typed error, not a crash', () => {
  const der = read('cfca-sm2-oca1.pem')[0]!.der;
  for (const cut of [10, 100, der.length - 1]) {
    assert.throws(
      () => readCertificateFile(der.subarray(0, cut)),
      (e: unknown) => e instanceof AssistantError && /^[A-Z_]+$/.test(e.code),
    );
  }
});
