import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { getTestPki, type PkiEntry } from '../../fixtures/pki.ts';
import { run } from '../../../main/cli/commands/inspect.ts';
import type { CliIO } from '../../../main/cli/io.ts';
import { parseCertificate } from '../../../main/pki/certificate.ts';
import { inspectCertificate, formatDateZh, type CheckResult } from '../../../main/pki/inspect.ts';
import { loadTrustAnchors } from '../../../main/pki/trust.ts';

const pki = await getTestPki();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-pki-inspect-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const entries = Object.values(pki.entries);
const realRoots = entries.filter((e) => e.kind === 'root' && e.profile !== 'lookalike');
const trustDir = path.join(tmp, 'trust');
fs.mkdirSync(trustDir);
for (const r of realRoots) fs.copyFileSync(r.certPem, path.join(trustDir, `${r.id}.pem`));
const anchors = loadTrustAnchors([trustDir], { includeBundled: false });
const intermediates = entries.filter((e) => e.kind === 'intermediate').map((e) => parseCertificate(fs.readFileSync(e.certDer)));

function checksOf(e: PkiEntry): Map<string, CheckResult> {
  const cert = parseCertificate(fs.readFileSync(e.certDer));
  const r = inspectCertificate(cert, { now: new Date(), anchors, intermediates });
  return new Map(r.checks.map((c) => [c.id, c]));
}

const PROBLEM_CHECK: Record<string, { id: string; status: 'fail' | 'warn' }> = {
  expired: { id: 'validity', status: 'fail' },
  'not-yet-valid': { id: 'validity', status: 'fail' },
  'key-usage': { id: 'key-usage', status: 'fail' },
  'no-uscc': { id: 'uscc', status: 'fail' },
  'bad-check': { id: 'uscc', status: 'fail' },
  personal: { id: 'uscc', status: 'fail' },
  'org-code-only': { id: 'uscc', status: 'fail' },
  placeholder: { id: 'uscc', status: 'fail' },
  'weak-key': { id: 'weak-algorithm', status: 'warn' },
  'weak-signature': { id: 'weak-algorithm', status: 'warn' },
  'self-signed': { id: 'self-signed', status: 'fail' },
  untrusted: { id: 'chain', status: 'fail' },
};

test('every enterprise leaf passes every check once its root is trusted', () => {
  const good = entries.filter((e) => e.kind === 'leaf' && e.expect.problems.length === 0);
  assert.ok(good.length >= 9);
  for (const e of good) {
    const checks = checksOf(e);
    assert.deepEqual([...checks.keys()], ['validity', 'key-usage', 'chain', 'self-signed', 'weak-algorithm', 'uscc']);
    for (const c of checks.values()) assert.equal(c.status, 'pass', `${e.id} ${c.id}: ${c.message}`);
  }
});

test('each negative entry fails (or warns) exactly the check its problem calls for', () => {
  const negatives = entries.filter((e) => e.kind === 'leaf' && e.expect.problems.some((p) => PROBLEM_CHECK[p]));
  assert.ok(negatives.length >= 12);
  for (const e of negatives) {
    const checks = checksOf(e);
    const expected = new Map(e.expect.problems.filter((p) => PROBLEM_CHECK[p]).map((p) => [PROBLEM_CHECK[p]!.id, PROBLEM_CHECK[p]!.status]));
    for (const [id, c] of checks) {
      // A self-signed leaf cannot chain either.
      const want = expected.get(id) ?? (id === 'chain' && e.expect.problems.includes('self-signed') ? 'fail' : 'pass');
      assert.equal(c.status, want, `${e.id} ${id}: ${c.message}`);
      assert.match(c.message, /[\u4e00-\u9fff]/);
    }
  }
});

test('messages explain: nonRepudiation-only, personal certificate, org code only, missing root', () => {
  assert.match(checksOf(pki.get('neg-personal')).get('uscc')!.message, /个人证书/);
  assert.match(checksOf(pki.get('neg-org-code-only')).get('uscc')!.message, /组织机构代码/);
  // Clerks read plain words; the key-usage names are the technical detail (技术信息, the CLI).
  const noSig = checksOf(pki.get('neg-key-usage')).get('key-usage')!;
  assert.match(noSig.message, /加密证书/);
  assert.doesNotMatch(noSig.message, /digitalSignature/);
  assert.match(noSig.detail ?? '', /digitalSignature/);
  // A nonRepudiation-only certificate made here with OpenSSL.
  const e = pki.get('hebca-ca');
  const ext = path.join(tmp, 'nr.ext');
  fs.writeFileSync(ext, 'keyUsage=critical,nonRepudiation\nbasicConstraints=CA:FALSE\n');
  const csr = path.join(tmp, 'nr.csr');
  const out = path.join(tmp, 'nr.pem');
  execFileSync('openssl', ['req', '-new', '-key', pki.get('hebca-ent').keyPem, '-subj', '/CN=不可否认', '-utf8', '-out', csr]);
  execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', e.certPem, '-CAkey', e.keyPem, '-set_serial', '7', '-days', '30', '-extfile', ext, '-out', out], { stdio: 'ignore' });
  const cert = parseCertificate(Buffer.from(fs.readFileSync(out, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64'));
  const r = inspectCertificate(cert, { now: new Date(), anchors, intermediates });
  const ku = r.checks.find((c) => c.id === 'key-usage')!;
  assert.equal(ku.status, 'fail');
  assert.match(ku.message, /不可否认/);
  // No anchors: the chain check says which root to add.
  const none = inspectCertificate(parseCertificate(fs.readFileSync(pki.get('hebca-ent').certDer)), { now: new Date(), anchors: [], intermediates: [] });
  const chain = none.checks.find((c) => c.id === 'chain')!;
  assert.equal(chain.status, 'warn');
  // Where an administrator puts a root is admin wording: in the detail, never the clerk's line.
  assert.ok(chain.message.includes('CA') && !/certs\/trust/.test(chain.message), chain.message);
  assert.match(chain.detail ?? '', /certs\/trust/);
});

function fakeIO(stdin = ''): { io: CliIO; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d: Buffer) => (o += d.toString('utf8')));
  stderr.on('data', (d: Buffer) => (e += d.toString('utf8')));
  const io: CliIO = { stdout, stderr, stdin: Readable.from([Buffer.from(stdin)]), env: {}, cwd: tmp, now: () => new Date() };
  return { io, out: () => o, err: () => e };
}

const CERT_KEYS = ['subject', 'issuer', 'serialNumber', 'notBefore', 'notAfter', 'keyAlgorithm', 'signatureAlgorithm', 'fingerprintSha256', 'caProfile', 'enterpriseName', 'identity', 'checks'].sort();
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

test('inspect --json: exact shape, PFX via --password-stdin, bad files reported in their own entry', async () => {
  const junk = path.join(tmp, 'junk.bin');
  fs.writeFileSync(junk, Buffer.from('00112233445566778899', 'hex'));
  const sm2 = pki.get('hebca-sm2-ent');
  const { io, out } = fakeIO('123456\n');
  const code = await run(['--json', '--password-stdin', '--trust', trustDir, sm2.pfx!.modern!, pki.get('hebca-ent').pfx!.legacy!, junk, pki.get('cfca-ec-ent').certPem], io);
  assert.equal(code, 1, 'a bad file makes the exit code 1');
  const doc = JSON.parse(out()) as { files: { file: string; error?: { code: string; message: string }; certificates: Record<string, unknown>[] }[] };
  assert.deepEqual(Object.keys(doc), ['files']);
  assert.equal(doc.files.length, 4);
  assert.equal(doc.files[2]!.error!.code, 'FORMAT_UNRECOGNIZED');
  assert.deepEqual(Object.keys(doc.files[2]!.error!).sort(), ['code', 'message']);
  assert.deepEqual(doc.files[2]!.certificates, []);
  assert.ok(!out().includes('123456'), 'password never echoed');
  for (const f of [doc.files[0]!, doc.files[1]!, doc.files[3]!]) {
    assert.equal(f.error, undefined);
    assert.deepEqual(Object.keys(f).sort(), ['certificates', 'file']);
    for (const c of f.certificates) {
      // `verdict` (the app's one-line answer) is there for end-entity certificates only.
      assert.deepEqual(Object.keys(c).filter((x) => x !== 'verdict').sort(), CERT_KEYS);
      const isCa = (c['checks'] as { code?: string }[]).some((k) => k.code === 'KEY_USAGE_CA_ONLY');
      if (!isCa) assert.ok(['usable', 'unconfirmed', 'unusable'].includes((c['verdict'] as { verdict: string }).verdict));
      assert.match(c['notBefore'] as string, ISO);
      assert.match(c['notAfter'] as string, ISO);
      assert.match(c['fingerprintSha256'] as string, /^[0-9a-f]{64}$/);
      const id = c['identity'] as Record<string, unknown>;
      assert.deepEqual(Object.keys(id).sort(), ['candidates', 'orgCode', 'uscc']);
      for (const k of c['checks'] as Record<string, unknown>[]) {
        // `code` names the reason of a non-pass result (a stable id for scripts).
        // `detail` (technical: key usage, places, DNs) is there when the check has one.
        const keys = Object.keys(k).filter((x) => x !== 'detail').sort();
        assert.deepEqual(keys, k['status'] === 'pass' ? ['id', 'message', 'status'] : ['code', 'id', 'message', 'status']);
        if ('detail' in k) assert.equal(typeof k['detail'], 'string');
        assert.ok(['pass', 'warn', 'fail'].includes(k['status'] as string));
      }
      const ids = (c['checks'] as { id: string }[]).map((k) => k.id);
      assert.ok(ids.some((x) => x.includes('chain')));
    }
  }
  const sm2Leaf = doc.files[0]!.certificates.find((c) => c['keyAlgorithm'] === 'SM2' && (c['identity'] as { uscc: unknown }).uscc)!;
  assert.equal(sm2Leaf['signatureAlgorithm'], 'SM2-with-SM3');
  assert.deepEqual((sm2Leaf['identity'] as { uscc: { value: string; valid: boolean } }).uscc.value, sm2.expect.uscc);
  assert.deepEqual(sm2Leaf['caProfile'], { id: 'hebca', name: (sm2Leaf['caProfile'] as { name: string }).name });
  assert.ok((sm2Leaf['checks'] as { status: string }[]).every((k) => k.status === 'pass'));
  assert.equal(doc.files[3]!.certificates[0]!['keyAlgorithm'], 'EC-P256');
});

test('inspect exit codes: 0 all pass, 1 a failed check or wrong password, 2 usage', async () => {
  let t = fakeIO();
  assert.equal(await run(['--json', '--trust', trustDir, '--trust', pki.get('hebca-ca').certPem, pki.get('hebca-ent').certPem], t.io), 0, t.out());
  // A PFX holding the leaf and its CA: the leaf decides.
  t = fakeIO('123456\n');
  assert.equal(await run(['--json', '--password-stdin', '--trust', trustDir, pki.get('hebca-sm2-ent').pfx!.legacy!], t.io), 0, t.out());
  t = fakeIO();
  assert.equal(await run(['--json', '--trust', trustDir, pki.get('neg-expired').certPem], t.io), 1);
  t = fakeIO('wrong\n');
  assert.equal(await run(['--json', '--password-stdin', pki.get('hebca-ent').pfx!.modern!], t.io), 1);
  assert.equal(JSON.parse(t.out()).files[0].error.code, 'PFX_BAD_PASSWORD');
  t = fakeIO();
  assert.equal(await run(['--json'], t.io), 2);
  t = fakeIO();
  assert.equal(await run(['--bogus', 'x'], t.io), 2);
  assert.match(t.err(), /用法/);
});

test('inspect without --json: a zh-CN report with Chinese dates and names', async () => {
  const e = pki.get('hebca-ent');
  const t = fakeIO();
  assert.equal(await run(['--trust', trustDir, '--trust', pki.get('hebca-ca').certPem, e.certPem], t.io), 0);
  const cert = parseCertificate(fs.readFileSync(e.certDer));
  assert.ok(t.out().includes(formatDateZh(cert.notAfter)));
  assert.match(formatDateZh(cert.notAfter), /^\d{4}年\d{1,2}月\d{1,2}日$/);
  assert.match(t.out(), /使用者：.*省份：河北省/);
  assert.ok(t.out().includes(e.expect.uscc!));
  assert.match(t.out(), /结论：可以用于法人登录/);
});

test('inspect trusts the machine policy\'s trustAnchorDirs', async () => {
  const policyFile = path.join(tmp, 'policy.json');
  const withCa = path.join(tmp, 'policy-trust');
  fs.mkdirSync(withCa, { recursive: true });
  fs.copyFileSync(pki.get('hebca-root').certPem, path.join(withCa, 'root.pem'));
  fs.copyFileSync(pki.get('hebca-ca').certPem, path.join(withCa, 'ca.pem'));
  fs.writeFileSync(policyFile, JSON.stringify({ trustAnchorDirs: [withCa] }));
  let t = fakeIO();
  assert.equal(await run(['--json', '--policy', policyFile, pki.get('hebca-ent').certPem], t.io), 0, t.out());
  fs.writeFileSync(policyFile, JSON.stringify({ trustAnchorDirs: [] }));
  t = fakeIO();
  await run(['--json', '--policy', policyFile, pki.get('hebca-ent').certPem], t.io);
  const chain = JSON.parse(t.out()).files[0].certificates[0].checks.find((c: { id: string }) => c.id === 'chain');
  assert.notEqual(chain.status, 'pass');
});

test('no trusted root configured: the verdict is 无法确认 with what to do, never 可以用于法人登录; a look-alike 河北CA never reads as usable', async () => {
  const e = pki.get('hebca-ent');
  let t = fakeIO();
  assert.equal(await run([e.certPem], t.io), 0);
  assert.match(t.out(), /结论：无法确认能否用于法人登录：本机没有签发 CA 的根证书，无法核对签发者。请安装 CA 提供的证书驱动/);
  assert.doesNotMatch(t.out(), /结论：可以用于法人登录/);
  // The verdict is the clerk's line: no policy, no folders (those are the chain check's detail).
  assert.doesNotMatch(/结论：.*/.exec(t.out())![0], /策略|目录|trust/);
  assert.match(t.out(), /证书机构：河北CA（河北省电子认证有限公司）（名称未经受信根验证）/);

  const fake = pki.get('lookalike-ent');
  t = fakeIO();
  await run([fake.certPem], t.io);
  assert.doesNotMatch(t.out(), /可以用于法人登录/);
  assert.doesNotMatch(t.out(), /证书机构：河北CA（河北省电子认证有限公司）\n/);
  // With the real 河北CA root trusted, the look-alike is refused outright.
  t = fakeIO();
  await run(['--trust', trustDir, fake.certPem], t.io);
  assert.match(t.out(), /结论：不能用于法人登录/);
});
