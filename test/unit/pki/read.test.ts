import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getTestPki } from '../../fixtures/pki.ts';
import { readCertificateFile, readCertificatePath, MAX_FILE_BYTES } from '../../../main/pki/read.ts';
import { parseCertificate } from '../../../main/pki/certificate.ts';
import { AssistantError } from '../../../main/errors.ts';

const pki = await getTestPki();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-pki-read-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** OpenSSL's own view of a certificate, as the independent peer. */
function opensslFacts(pem: string): { serial: string; fingerprint: string } {
  const out = openssl(['x509', '-in', pem, '-noout', '-serial', '-fingerprint', '-sha256']);
  const serial = /serial=([0-9A-F]+)/.exec(out)![1]!.toLowerCase();
  const fingerprint = /Fingerprint=([0-9A-F:]+)/.exec(out)![1]!.replace(/:/g, '').toLowerCase();
  return { serial, fingerprint };
}

async function rejects(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  await assert.rejects(async () => (typeof p === 'function' ? p() : p), (e: unknown) => {
    assert.ok(e instanceof AssistantError, `expected AssistantError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, /[\u4e00-\u9fff]/, 'zh-CN message');
    assert.ok(e.messageEn && e.messageEn.length > 0, 'English message');
    return true;
  });
}

test('PEM and DER certificates: fields agree with OpenSSL for RSA, P-256 and SM2', async () => {
  for (const id of ['hebca-ent', 'cfca-ec-ent', 'hebca-sm2-ent', 'hebca-sm2-root', 'neg-rsa1024', 'neg-sha1']) {
    const e = pki.get(id);
    const facts = opensslFacts(e.certPem);
    for (const file of [e.certPem, e.certDer]) {
      const r = await readCertificatePath(file);
      assert.equal(r.certificates.length, 1);
      const c = r.certificates[0]!;
      assert.equal(c.serialNumber, facts.serial, id);
      assert.equal(c.fingerprintSha256, facts.fingerprint, id);
      const expected = { rsa2048: 'RSA-2048', rsa1024: 'RSA-1024', p256: 'EC-P256', sm2: 'SM2' }[e.keyAlg];
      assert.equal(c.keyAlgorithm, expected, id);
      if (e.signatureAlgorithm) assert.equal(c.signatureAlgorithm, e.signatureAlgorithm, id);
      if (e.notAfter) assert.equal(c.notAfter.getTime(), new Date(e.notAfter).getTime(), id);
    }
  }
});

test('Chinese subject DNs are readable', async () => {
  const c = (await readCertificatePath(pki.get('hebca-ent').certPem)).certificates[0]!;
  assert.match(c.subject, /ST=河北省/);
  assert.match(c.subject, /L=石家庄市/);
  assert.ok(c.keyUsage?.includes('digitalSignature'));
  assert.equal(c.isCA, false);
  const root = (await readCertificatePath(pki.get('hebca-root').certPem)).certificates[0]!;
  assert.equal(root.isCA, true);
  assert.equal(root.selfIssued, true);
});

test('PEM with CRLF, text around and several certificates', () => {
  const blocks = ['hebca-ent', 'hebca-ca', 'hebca-root'].map((id) => fs.readFileSync(pki.get(id).certPem, 'utf8'));
  const messy = '\uFEFFBag Attributes\r\n    friendlyName: x\r\n' + blocks.map((b) => 'subject=whatever\r\n' + b.replace(/\n/g, '\r\n') + '\r\n  \r\n').join('junk text\r\n');
  const r = readCertificateFile(Buffer.from(messy));
  assert.equal(r.certificates.length, 3);
  assert.equal(r.format, 'pem');
});

test('PKCS#7 bundles, DER and PEM, and the bundles the test PKI makes', async () => {
  for (const f of [pki.bundles.p7b, pki.bundles.p7bPem, pki.bundles.multiPem]) {
    const r = await readCertificatePath(f);
    assert.equal(r.certificates.length, 3, f);
  }
  const mixed = await readCertificatePath(pki.bundles.mixedPem);
  const algs = new Set(mixed.certificates.map((c) => c.keyAlgorithm));
  assert.ok(algs.has('SM2') && algs.has('EC-P256') && algs.has('RSA-2048'));
  // An OpenSSL-made .p7b of an SM2 chain too.
  const out = path.join(tmp, 'sm2.p7b');
  openssl(['crl2pkcs7', '-nocrl', '-certfile', pki.get('hebca-sm2-ent').certPem, '-certfile', pki.get('hebca-sm2-ca').certPem, '-outform', 'DER', '-out', out]);
  const r = await readCertificatePath(out);
  assert.equal(r.format, 'pkcs7');
  assert.deepEqual(r.certificates.map((c) => c.keyAlgorithm), ['SM2', 'SM2']);
});

test('PFX legacy and modern encodings, every enterprise leaf, with the Chinese friendly name', async () => {
  let checked = 0;
  for (const e of Object.values(pki.entries)) {
    if (!e.pfx) continue;
    for (const file of [e.pfx.legacy, e.pfx.modern]) {
      if (!file) continue;
      const r = await readCertificatePath(file, { password: e.pfx.password });
      assert.equal(r.format, 'pkcs12');
      const leaf = r.certificates.find((c) => c.fingerprintSha256 === opensslFacts(e.certPem).fingerprint);
      assert.ok(leaf, `${file}: leaf present`);
      assert.equal(r.keys.length, 1);
      const expectedKey = { rsa2048: 'RSA-2048', rsa1024: 'RSA-1024', p256: 'EC-P256', sm2: 'SM2' }[e.keyAlg];
      assert.equal(r.keys[0]!.keyAlgorithm, expectedKey);
      if (e.pfx.friendlyName) {
        assert.equal(r.keys[0]!.friendlyName, e.pfx.friendlyName);
        assert.equal(r.friendlyNames[leaf.fingerprintSha256], e.pfx.friendlyName);
        assert.match(e.pfx.friendlyName, /[\u4e00-\u9fff]/);
      }
      checked++;
    }
  }
  assert.ok(checked >= 18, `checked ${checked} PFX files`);
});

test('PFX: OpenSSL legacy RC2-40, 3DES-only, and no-password files', async () => {
  const e = pki.get('hebca-sm2-ent');
  const p = (name: string) => path.join(tmp, name);
  openssl(['pkcs12', '-export', '-legacy', '-in', e.certPem, '-inkey', e.keyPem, '-name', '河北测试SM2', '-out', p('rc2.pfx'), '-passout', 'pass:密码123']);
  openssl(['pkcs12', '-export', '-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1', '-in', e.certPem, '-inkey', e.keyPem, '-out', p('3des.pfx'), '-passout', 'pass:123456']);
  openssl(['pkcs12', '-export', '-keypbe', 'NONE', '-certpbe', 'NONE', '-in', e.certPem, '-inkey', e.keyPem, '-out', p('clear.pfx'), '-passout', 'pass:']);
  const rc2 = await readCertificatePath(p('rc2.pfx'), { password: '密码123' });
  assert.equal(rc2.keys[0]!.friendlyName, '河北测试SM2');
  assert.equal(rc2.keys[0]!.keyAlgorithm, 'SM2');
  assert.equal((await readCertificatePath(p('3des.pfx'), { password: '123456' })).keys.length, 1);
  assert.equal((await readCertificatePath(p('clear.pfx'))).certificates.length, 1);
  await rejects(readCertificatePath(p('rc2.pfx'), { password: '123456' }), 'PFX_BAD_PASSWORD');
  await rejects(readCertificatePath(p('rc2.pfx')), 'PFX_PASSWORD_REQUIRED');
});

test('PFX oddities from the test PKI: unsupported cipher, no MAC, clear certificates', async () => {
  for (const o of pki.pfxOddities) {
    if (o.id === 'camellia') {
      await rejects(readCertificatePath(o.path, { password: o.password }), 'PFX_UNSUPPORTED_ALGORITHM');
    } else {
      const r = await readCertificatePath(o.path, { password: o.password });
      assert.ok(r.certificates.length >= 1, o.id);
      assert.equal(r.keys.length, 1, o.id);
    }
  }
  const nomac = pki.pfxOddities.find((o) => o.id === 'nomac');
  if (nomac) await rejects(readCertificatePath(nomac.path, { password: 'wrong' }), 'PFX_BAD_PASSWORD');
});

test('wrong PFX password on both encodings', async () => {
  const e = pki.get('hebca-ent');
  await rejects(readCertificatePath(e.pfx!.legacy!, { password: '654321' }), 'PFX_BAD_PASSWORD');
  await rejects(readCertificatePath(e.pfx!.modern!, { password: '654321' }), 'PFX_BAD_PASSWORD');
});

test('keys: PKCS#8 PEM for RSA, P-256 and SM2; SEC1 EC; encrypted PKCS#8', async () => {
  for (const [id, alg] of [['hebca-ent', 'RSA-2048'], ['cfca-ec-ent', 'EC-P256'], ['hebca-sm2-ent', 'SM2']] as const) {
    const r = await readCertificatePath(pki.get(id).keyPem);
    assert.equal(r.keys[0]!.keyAlgorithm, alg);
  }
  const sec1 = path.join(tmp, 'ec.sec1.pem');
  openssl(['ec', '-in', pki.get('cfca-ec-ent').keyPem, '-out', sec1]);
  assert.equal((await readCertificatePath(sec1)).keys[0]!.keyAlgorithm, 'EC-P256');
  const enc = path.join(tmp, 'enc.pem');
  openssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', pki.get('hebca-sm2-ent').keyPem, '-out', enc, '-passout', 'pass:abc']);
  assert.equal((await readCertificatePath(enc, { password: 'abc' })).keys[0]!.keyAlgorithm, 'SM2');
  await rejects(readCertificatePath(enc, { password: 'abd' }), 'KEY_BAD_PASSWORD');
});

test('bad input: empty, too large (refused by size), random bytes, text, truncated, absurd length, deep nesting', async () => {
  const empty = path.join(tmp, 'empty.cer');
  fs.writeFileSync(empty, '');
  await rejects(readCertificatePath(empty), 'FILE_EMPTY');

  const big = path.join(tmp, 'big.pfx');
  const fd = fs.openSync(big, 'w');
  fs.ftruncateSync(fd, 50 * 1024 * 1024); // sparse: the reader must refuse it by size
  fs.closeSync(fd);
  await rejects(readCertificatePath(big), 'FILE_TOO_LARGE');
  await rejects(() => readCertificateFile(new Uint8Array(MAX_FILE_BYTES + 1)), 'FILE_TOO_LARGE');

  await rejects(() => readCertificateFile(new Uint8Array(Buffer.from('ff'.repeat(300), 'hex'))), 'FORMAT_UNRECOGNIZED');
  await rejects(() => readCertificateFile(Buffer.from('这不是证书 just some text\n')), 'FORMAT_UNRECOGNIZED');
  await rejects(readCertificatePath(path.join(tmp, 'missing.cer')), 'FILE_NOT_FOUND');

  const der = fs.readFileSync(pki.get('hebca-ent').certDer);
  await rejects(() => readCertificateFile(der.subarray(0, der.length - 10)), 'CERT_MALFORMED');
  const absurd = Buffer.from(der);
  absurd[1] = 0x84; // four length bytes claiming ~4 GB
  absurd[2] = 0xff;
  await rejects(() => readCertificateFile(absurd), 'CERT_MALFORMED');
  // 100,000 nested SEQUENCEs: rejected by depth, without recursion.
  const depth = 100_000;
  const nested = Buffer.alloc(depth * 2);
  for (let i = 0; i < depth; i++) {
    nested[i * 2] = 0x30;
    nested[i * 2 + 1] = 0x80;
  }
  await rejects(() => readCertificateFile(nested), 'CERT_MALFORMED');
  const pfx = fs.readFileSync(pki.get('hebca-ent').pfx!.modern!);
  await assert.rejects(async () => readCertificateFile(pfx.subarray(0, 200), { fileName: 'x.pfx', password: '123456' }), (e: AssistantError) => e.code === 'PFX_MALFORMED');
  for (let i = 0; i < 20; i++) {
    const r = randomBytes(64 + i * 37);
    r[0] = 0x30;
    assert.throws(() => readCertificateFile(r), (e: unknown) => e instanceof AssistantError);
  }
});

test('parseCertificate rejects trailing data and non-certificates', () => {
  const der = fs.readFileSync(pki.get('hebca-ent').certDer);
  assert.throws(() => parseCertificate(Buffer.concat([der, Buffer.from([0, 0])])), (e: AssistantError) => e.code === 'CERT_MALFORMED');
  assert.throws(() => parseCertificate(Buffer.from('300302010a', 'hex')), (e: AssistantError) => e.code === 'CERT_MALFORMED');
});

test('real CA certificates (test/fixtures/realworld): serial, fingerprint, dates and key size agree with OpenSSL', async () => {
  const dir = path.join(path.dirname(new URL(import.meta.url).pathname), '../../fixtures/realworld');
  let n = 0;
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.pem')).sort()) {
    const file = path.join(dir, name);
    const out = openssl(['x509', '-in', file, '-noout', '-serial', '-fingerprint', '-sha256', '-enddate', '-startdate', '-text']);
    const c = (await readCertificatePath(file)).certificates[0]!;
    const facts = opensslFacts(file);
    assert.equal(c.serialNumber, facts.serial, name);
    assert.equal(c.fingerprintSha256, facts.fingerprint, name);
    assert.equal(c.notAfter.getTime(), new Date(/notAfter=(.*)/.exec(out)![1]!).getTime(), name);
    assert.equal(c.notBefore.getTime(), new Date(/notBefore=(.*)/.exec(out)![1]!).getTime(), name);
    const bits = /Public-Key: \((\d+) bit\)/.exec(out)?.[1];
    if (c.publicKey.kind === 'RSA') assert.equal(String(c.publicKey.bits), bits, name);
    assert.equal(c.isCA, /CA:TRUE/.test(out), name);
    n++;
  }
  assert.ok(n >= 20);
});

test('PFX in BER: indefinite lengths and a chunked (constructed) OCTET STRING, as Java and some Windows tools write', async () => {
  const e = pki.get('hebca-sm2-ent');
  const der = fs.readFileSync(e.pfx!.modern!);
  // Minimal TLV reader for the re-encoding.
  const tlv = (b: Buffer, at: number): { body: number; end: number } => {
    let p = at + 1;
    let len = b[p++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[p++]!;
    }
    return { body: p, end: p + len };
  };
  const defLen = (n: number): Buffer => (n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]));
  const pfx = tlv(der, 0);
  const version = tlv(der, pfx.body);
  const ci = tlv(der, version.end);
  const oid = tlv(der, ci.body);
  const explicit = tlv(der, oid.end);
  const octets = tlv(der, explicit.body);
  const content = der.subarray(octets.body, octets.end);
  const half = content.length >> 1;
  const chunk = (c: Buffer): Buffer => Buffer.concat([Buffer.from([0x04]), defLen(c.length), c]);
  const eoc = Buffer.from([0, 0]);
  const ber = Buffer.concat([
    Buffer.from([0x30, 0x80]),
    der.subarray(pfx.body, version.end),
    Buffer.from([0x30, 0x80]),
    der.subarray(ci.body, oid.end),
    Buffer.from([0xa0, 0x80, 0x24, 0x80]),
    chunk(content.subarray(0, half)),
    chunk(content.subarray(half)),
    eoc, eoc, eoc,
    der.subarray(ci.end, pfx.end), // MacData
    eoc,
  ]);
  const r = readCertificateFile(ber, { password: e.pfx!.password });
  assert.equal(r.format, 'pkcs12');
  assert.equal(r.keys[0]!.keyAlgorithm, 'SM2');
  assert.ok(r.certificates.length >= 1);
  assert.throws(() => readCertificateFile(ber, { password: 'x' }), (err: AssistantError) => err.code === 'PFX_BAD_PASSWORD');
});
