import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs, { readFileSync } from 'node:fs';
import * as asn1js from 'asn1js';
import { extractIdentity, detectCaProfile, candidateDisplay } from '../../../main/pki/identity.ts';
import { parseCertificate, type ParsedCertificate } from '../../../main/pki/certificate.ts';
import { loadCaProfiles } from '../../../main/pki/ca-profiles.ts';
import { usccCheckChar, orgCodeCheckChar } from '../../../main/pki/uscc.ts';
import { residentIdCheckChar } from '../../../main/pki/resident-id.ts';
import { getTestPki } from '../../fixtures/pki.ts';
import { ascii, buildCertificate, der, derString, OID, type CertSpec } from './build-cert.ts';

const NOW = new Date('2026-06-01T00:00:00Z');
const HEBCA_ISSUER: CertSpec['issuer'] = [[OID.C, 'CN'], [OID.O, '河北省电子认证有限公司'], [OID.CN, 'HEBCA RSA CA']];
const ENT: CertSpec['subject'] = [[OID.C, 'CN'], [OID.ST, '河北省'], [OID.O, '石家庄测试科技有限公司'], [OID.CN, '石家庄测试科技有限公司']];

function code(first8: string, org8: string): string {
  const first17 = first8 + org8 + orgCodeCheckChar(org8)!;
  return first17 + usccCheckChar(first17)!;
}
const U = code('91130102', 'MA0TEHB1');
const ID = ((p) => p + residentIdCheckChar(p))('13010219850612002');

function loadDer(path: string): ParsedCertificate {
  return parseCertificate(new Uint8Array(readFileSync(path)));
}

// ---------- against the shared test PKI (OpenSSL-built) ----------

test('test PKI: every enterprise leaf yields its USCC — high confidence from its profile, medium without', async () => {
  const pki = await getTestPki();
  const ents = Object.values(pki.entries).filter((e) => e.kind === 'leaf' && e.expect.uscc && e.expect.usccValid !== false);
  assert.ok(ents.filter((e) => e.id.endsWith('-ent')).length >= 9);
  for (const e of ents) {
    const cert = loadDer(e.certDer);
    const withProfile = extractIdentity(cert, undefined, { now: NOW });
    const generic = extractIdentity(cert, [], { now: NOW });
    assert.equal(withProfile.uscc?.value, e.expect.uscc, e.id);
    assert.equal(withProfile.uscc?.valid, true, e.id);
    // Without a profile only identity fields count (issue 12): a USCC in CN/OU free text stays a candidate.
    if (generic.uscc) {
      assert.equal(generic.uscc.value, e.expect.uscc, e.id);
      assert.equal(generic.uscc.confidence, 'medium', e.id);
    } else {
      assert.match(withProfile.uscc?.source ?? '', /^subject:(CN|OU)$/, e.id);
      assert.ok(generic.candidates.some((c) => c.kind === 'uscc' && c.valid && c.value === e.expect.uscc), e.id);
    }
    if (e.expect.usccSource) assert.equal(withProfile.uscc?.source, e.expect.usccSource, e.id);
    if (e.expect.caProfile) {
      assert.equal(detectCaProfile(cert)?.id, e.expect.caProfile, e.id);
      assert.equal(withProfile.uscc?.confidence, 'high', e.id);
    }
  }
});

test('test PKI: negatives never yield a valid USCC', async () => {
  const pki = await getTestPki();
  for (const id of ['neg-personal', 'neg-org-code-only', 'neg-placeholder', 'neg-bad-check', 'neg-no-uscc']) {
    const e = pki.get(id);
    for (const profiles of [undefined, []]) {
      const r = extractIdentity(loadDer(e.certDer), profiles, { now: NOW });
      assert.notEqual(r.uscc?.valid, true, id);
      assert.ok(!r.candidates.some((c) => c.kind === 'uscc' && c.valid), id);
    }
  }
  const personal = extractIdentity(loadDer(pki.get('neg-personal').certDer), undefined, { now: NOW });
  assert.equal(personal.uscc, null);
  assert.ok(personal.candidates.some((c) => c.kind === 'residentId' && c.source === 'ext:1.2.156.10260.4.1.1'));
  const orgOnly = pki.get('neg-org-code-only');
  const o = extractIdentity(loadDer(orgOnly.certDer), undefined, { now: NOW });
  assert.equal(o.uscc, null);
  assert.equal(o.orgCode?.value, orgOnly.expect.orgCode);
  const bad = pki.get('neg-bad-check');
  const b = extractIdentity(loadDer(bad.certDer), undefined, { now: NOW });
  assert.deepEqual(b.uscc && { value: b.uscc.value, valid: b.uscc.valid, confidence: b.uscc.confidence }, { value: bad.expect.uscc, valid: false, confidence: 'low' });
  const ph = extractIdentity(loadDer(pki.get('neg-placeholder').certDer), undefined, { now: NOW });
  assert.equal(ph.uscc, null);
  assert.equal(ph.orgCode, null);
});

test('test PKI: issuer names of every hierarchy map to their profile; roots too', async () => {
  const pki = await getTestPki();
  for (const e of Object.values(pki.entries)) {
    if (e.profile === 'lookalike' || e.id === 'neg-self-signed') continue;
    assert.equal(detectCaProfile(loadDer(e.certDer))?.id, e.profile, e.id);
  }
});

// ---------- built in-process: placements the test PKI does not cover ----------

test('BJCA legacy: JJ-prefixed org code in 2.16.840.1.113732.2, USCC in .17 inside [0]', () => {
  const org8 = 'MA0TEHB1';
  const cert = buildCertificate({
    subject: ENT,
    issuer: [[OID.C, 'CN'], [OID.O, 'BJCA'], [OID.OU, 'Public Trust CA'], [OID.CN, 'Public Trust CA-2']],
    extensions: [
      ['2.16.840.1.113732.2', der(derString('printable', `JJ${org8}${orgCodeCheckChar(org8)}`))],
      ['1.2.156.112562.2.1.1.17', der(new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [derString('utf8', U)] }))],
    ],
  });
  assert.equal(detectCaProfile(cert)?.id, 'bjca');
  const r = extractIdentity(cert, undefined, { now: NOW });
  assert.deepEqual(r.uscc, { value: U, valid: true, source: 'ext:1.2.156.112562.2.1.1.17', confidence: 'high' });
  assert.deepEqual(r.orgCode, { value: org8 + orgCodeCheckChar(org8), source: 'ext:2.16.840.1.113732.2' });
});

// Issue 12: OU and an extension outside the Chinese CA arcs are free text for login — shown as candidates, never the identity.
test('USCC as BMPString, in OU, in serialNumber, in a raw-bytes extension with n@XY prefix', () => {
  const places: CertSpec[] = [
    { subject: [...ENT, [OID.OU, { type: 'bmp', value: U }]], issuer: HEBCA_ISSUER },
    { subject: [...ENT, [OID.serialNumber, { type: 'printable', value: `XY${U}` }]], issuer: HEBCA_ISSUER },
    { subject: ENT, issuer: HEBCA_ISSUER, extensions: [['1.2.3.4.5.6', ascii(`n@XY${U}`)]] },
    { subject: ENT, issuer: HEBCA_ISSUER, extensions: [['1.2.156.10260.4.4', der(new asn1js.Sequence({ value: [new asn1js.Integer({ value: 1 }), new asn1js.OctetString({ valueHex: der(derString('utf8', `[N]${U}`)).slice().buffer })] }))]] },
  ];
  const sources = ['subject:OU', 'subject:serialNumber', 'ext:1.2.3.4.5.6', 'ext:1.2.156.10260.4.4'];
  const identityPlace = [false, true, false, true];
  places.forEach((spec, i) => {
    const r = extractIdentity(buildCertificate(spec), undefined, { now: NOW });
    assert.ok(r.candidates.some((c) => c.kind === 'uscc' && c.valid && c.value === U && c.source === sources[i]), sources[i]);
    if (!identityPlace[i]) {
      assert.equal(r.uscc, null, sources[i]);
      return;
    }
    assert.equal(r.uscc?.value, U, sources[i]);
    assert.equal(r.uscc?.valid, true);
    assert.equal(r.uscc?.source, sources[i]);
    assert.equal(r.uscc?.confidence, 'medium'); // not a HEBCA place: generic scan
  });
});

test('raw UTF-16 bytes, a BIT STRING attribute and a hyphenated org code are read too', () => {
  const utf16 = new Uint8Array([...U].flatMap((c) => [c.charCodeAt(0), 0]));
  // Read (as candidates) even where they cannot be the login identity; in a GM/T 0015 extension they are.
  const a = extractIdentity(buildCertificate({ subject: ENT, issuer: HEBCA_ISSUER, extensions: [['1.2.3.77', utf16]] }), [], { now: NOW });
  assert.ok(a.candidates.some((x) => x.kind === 'uscc' && x.value === U && x.source === 'ext:1.2.3.77'));
  const a2 = extractIdentity(buildCertificate({ subject: ENT, issuer: HEBCA_ISSUER, extensions: [['1.2.156.10260.4.1.4', utf16]] }), [], { now: NOW });
  assert.equal(a2.uscc?.value, U);
  const bits = new asn1js.BitString({ valueHex: ascii(U).slice().buffer });
  const b = extractIdentity(buildCertificate({ subject: [...ENT, ['2.5.4.45', bits]], issuer: HEBCA_ISSUER }), [], { now: NOW });
  assert.ok(b.candidates.some((x) => x.kind === 'uscc' && x.source === 'subject:x500UniqueIdentifier'));
  const org8 = '10456789';
  const org = `${org8}-${orgCodeCheckChar(org8)}`;
  const c = extractIdentity(buildCertificate({ subject: ENT, issuer: HEBCA_ISSUER, extensions: [['1.2.3.78', der(derString('utf8', `JJ${org}`))]] }), [], { now: NOW });
  assert.equal(c.uscc, null);
  assert.deepEqual(c.orgCode, { value: org.replace('-', ''), source: 'ext:1.2.3.78' });
});

test('pre-2015 certificate: 15-char tax number yields the org code, 15-digit registration number is recognised, no USCC', () => {
  const org8 = '7A0B1C2D';
  const org = org8 + orgCodeCheckChar(org8);
  const cert = buildCertificate({
    subject: [...ENT, ['1.2.156.112586.1.6', `130102${org}`]],
    issuer: HEBCA_ISSUER,
    extensions: [['1.2.156.10260.4.1.3', der(derString('printable', '440301103097413'))]],
  });
  const r = extractIdentity(cert, undefined, { now: NOW });
  assert.equal(r.uscc, null);
  assert.deepEqual(r.orgCode, { value: org, source: 'subject:1.2.156.112586.1.6' });
  assert.ok(r.candidates.some((c) => c.kind === 'regNumber15' && c.valid && c.source === 'ext:1.2.156.10260.4.1.3'));
});

test('personal certificate: SF-prefixed ID in the BJCA unique-id extension and in CN is never a USCC', () => {
  const cert = buildCertificate({
    subject: [[OID.C, 'CN'], [OID.CN, `张三@SF${ID}`]],
    issuer: [[OID.C, 'CN'], [OID.O, 'BJCA'], [OID.CN, 'BJCA RSA CA']],
    extensions: [['1.2.156.112562.2.1.1.1', der(derString('utf8', `SF${ID}`))], ['1.2.156.10260.4.1.1', der(derString('printable', ID))], ['1.2.156.112570.11.205', der(derString('printable', `SF0${ID}`))]],
  });
  const r = extractIdentity(cert, undefined, { now: NOW });
  assert.equal(r.uscc, null);
  assert.ok(r.candidates.some((c) => c.source === 'ext:1.2.156.112570.11.205' && c.kind === 'residentId'));
  assert.ok(r.candidates.length >= 3);
  assert.ok(r.candidates.every((c) => c.kind === 'residentId'));
  assert.equal(candidateDisplay(r.candidates[0]!), `${ID.slice(0, 6)}********${ID.slice(14)}`);
});

test('a value valid both as USCC and as ID number: ID meaning wins in the ID-card extension; elsewhere low confidence', () => {
  let amb = '';
  for (let seq = 0; seq < 1000 && !amb; seq++) {
    const first17 = `52110019800101${String(seq).padStart(3, '0')}`;
    if (usccCheckChar(first17) === residentIdCheckChar(first17)) amb = first17 + residentIdCheckChar(first17);
  }
  assert.ok(amb);
  const asId = extractIdentity(buildCertificate({ subject: ENT, issuer: HEBCA_ISSUER, extensions: [['1.2.156.10260.4.1.1', der(derString('printable', amb))]] }), undefined, { now: NOW });
  assert.equal(asId.uscc, null);
  assert.equal(asId.candidates[0]?.kind, 'residentId');
  const elsewhere = extractIdentity(buildCertificate({ subject: [...ENT, ['1.2.156.112586.1.10', amb]], issuer: HEBCA_ISSUER }), undefined, { now: NOW });
  assert.equal(elsewhere.uscc?.value, amb);
  assert.equal(elsewhere.uscc?.confidence, 'low');
});

test('17-char values, all-zero and repeated placeholders are never a valid USCC', () => {
  for (const v of [U.slice(0, 17), '000000000000000000', '111111111111111111', 'AAAAAAAAAAAAAAAAAA', '000000000']) {
    const r = extractIdentity(buildCertificate({ subject: [...ENT, ['1.2.156.112586.1.10', v]], issuer: HEBCA_ISSUER, extensions: [['1.2.156.10260.4.1.4', der(derString('printable', v))]] }), undefined, { now: NOW });
    assert.notEqual(r.uscc?.valid, true, v);
    assert.equal(r.orgCode, null, v);
  }
});

// Issue 12: two identities in one certificate was "low confidence" and the first one won; now it is refused.
test('two different valid USCCs in identity places: IDENTITY_AMBIGUOUS, no login identity', () => {
  const other = code('91130104', 'MA0QTHR2');
  const r = extractIdentity(buildCertificate({ subject: [...ENT, ['1.2.156.112586.1.10', U]], issuer: HEBCA_ISSUER, extensions: [['1.2.156.10260.4.1.4', der(derString('utf8', other))]] }), undefined, { now: NOW });
  assert.equal(r.uscc, null);
  assert.equal(r.refusal?.code, 'IDENTITY_AMBIGUOUS');
  if (r.refusal?.code === 'IDENTITY_AMBIGUOUS') assert.deepEqual([...r.refusal.values].sort(), [U, other].sort());
  // An applicant-chosen OU beside the real serialNumber USCC: ambiguous too, not silently the serialNumber's.
  const ou = extractIdentity(buildCertificate({ subject: [...ENT, [OID.serialNumber, U], [OID.OU, other]], issuer: HEBCA_ISSUER }), undefined, { now: NOW });
  assert.equal(ou.uscc, null);
  assert.equal(ou.refusal?.code, 'IDENTITY_AMBIGUOUS');
});

test('personal certificate: resident ID in serialNumber, the enterprise USCC in emailAddress → PERSONAL_CERTIFICATE', () => {
  const id = '11010519491231002X';
  const r = extractIdentity(buildCertificate({ subject: [[OID.C, 'CN'], [OID.CN, '张三'], [OID.serialNumber, id], ['1.2.840.113549.1.9.1', { type: 'ia5', value: `${U}@163.com` }]], issuer: HEBCA_ISSUER }), undefined, { now: NOW });
  assert.equal(r.uscc, null);
  assert.equal(r.refusal?.code, 'PERSONAL_CERTIFICATE');
  assert.ok(r.candidates.some((c) => c.kind === 'uscc' && c.value === U), 'the e-mail USCC is still shown as a candidate');
});

test('unknown issuer: no profile, generic scan still works', () => {
  const cert = buildCertificate({ subject: [...ENT, [OID.serialNumber, U]], issuer: [[OID.C, 'CN'], [OID.O, 'Some Other CA'], [OID.CN, 'Other CA']] });
  assert.equal(detectCaProfile(cert), null);
  assert.equal(extractIdentity(cert, undefined, { now: NOW }).uscc?.confidence, 'medium');
});

test('real-world issuer names map to profiles; UCA is SHECA, not China Unicom', () => {
  const cases: [CertSpec['issuer'], string | null][] = [
    [[[OID.C, 'CN'], [OID.O, 'China Financial Certification Authority'], [OID.CN, 'CFCA ACS OCA31']], 'cfca'],
    [[[OID.C, 'CN'], [OID.O, 'UniTrust'], [OID.CN, 'UCA Global G2 Root']], 'sheca'],
    [[[OID.C, 'CN'], [OID.O, 'GUANG DONG CERTIFICATE AUTHORITY CO.,LTD.'], [OID.CN, 'GDCA TrustAUTH R5 ROOT']], 'gdca'],
    [[[OID.C, 'CN'], [OID.O, 'Hebei Electronic Certification Authority'], [OID.CN, 'HEBCA']], 'hebca'],
    [[[OID.C, 'CN'], [OID.O, 'JITTER Labs'], [OID.CN, 'Jitter CA']], null],
  ];
  for (const [issuer, id] of cases) assert.equal(detectCaProfile(buildCertificate({ subject: ENT, issuer }))?.id ?? null, id, JSON.stringify(issuer));
});

// ---------- hostile input: bounded time, no throw ----------

test('hostile extension values: huge, deeply nested, many, random — a result, no throw', () => {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) & 0xff);
  const huge = new Uint8Array(2 * 1024 * 1024).map(() => rand());
  const nestedDepth = 20000;
  const nested = new Uint8Array(nestedDepth * 2);
  for (let i = 0; i < nestedDepth; i++) { nested[i * 2] = 0x30; nested[i * 2 + 1] = 0x80; } // indefinite-length SEQUENCEs, never closed
  const longText = ascii(('X' + U).repeat(20000));
  const many: [string, Uint8Array][] = Array.from({ length: 300 }, (_, i) => [`1.2.3.${i}`, ascii(`${i}`.repeat(30))]);
  const cert = buildCertificate({ subject: [...ENT, ['1.2.156.112586.1.10', U]], issuer: HEBCA_ISSUER, extensions: [['1.2.3.1', huge], ['1.2.3.2', nested], ['1.2.3.3', longText], ...many] });
  const r = extractIdentity(cert, undefined, { now: NOW });
  assert.equal(r.uscc?.value, U);
  assert.ok(r.candidates.length <= 200);
  assert.equal(loadCaProfiles().length >= 7, true);
});

// Real roots shipped by Debian's ca-certificates (Mozilla store): real issuer names, not ours.
const MOZILLA = '/usr/share/ca-certificates/mozilla';
const REAL_ROOTS: [string, string][] = [['CFCA_EV_ROOT', 'cfca'], ['GDCA_TrustAUTH_R5_ROOT', 'gdca'], ['UCA_Extended_Validation_Root', 'sheca'], ['UCA_Global_G2_Root', 'sheca']];
const haveRoots = REAL_ROOTS.every(([f]) => fs.existsSync(`${MOZILLA}/${f}.crt`));

test('real Chinese CA roots from the system store are recognised', { skip: haveRoots ? false : 'ca-certificates (Mozilla store) not installed' }, () => {
  for (const [file, id] of REAL_ROOTS) {
    const pem = fs.readFileSync(`${MOZILLA}/${file}.crt`, 'utf8');
    const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    const cert = parseCertificate(new Uint8Array(Buffer.from(b64, 'base64')));
    assert.equal(detectCaProfile(cert)?.id, id, file);
    const r = extractIdentity(cert, undefined, { now: NOW });
    assert.equal(r.uscc, null, file); // a root carries no enterprise identity
  }
});

test('one DN table: the display DN and the identity sources spell each attribute alike (emailAddress, street, DC)', () => {
  const cert = buildCertificate({
    subject: [...ENT, ['1.2.840.113549.1.9.1', { type: 'ia5', value: `${U}@example.cn` }], ['2.5.4.9', `JJ${U}`], ['0.9.2342.19200300.100.1.25', { type: 'ia5', value: U }]],
    issuer: HEBCA_ISSUER,
  });
  assert.match(cert.subject, new RegExp(`, emailAddress=${U}@example\\.cn, street=JJ${U}, DC=${U}$`));
  const sources = new Set(extractIdentity(cert, [], { now: NOW }).candidates.map((c) => c.source));
  for (const s of ['subject:emailAddress', 'subject:street', 'subject:DC']) assert.ok(sources.has(s), `${s} in ${[...sources].join(' ')}`);
});
