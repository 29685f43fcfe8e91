/**
 * Revocation reaches `inspect` and the app's verdict (issue 12, item 3): `cert-assistant inspect
 * --json --trust DIR [--crl FILE]... [--ocsp] [--require-revocation]` reports every link's status and
 * folds it into the verdict (revoked -> 不能登录 with the reason; unanswered while required -> 无法确认),
 * and the certificate screen does the same from the policy's revocationMode. Real peers: CRLs made by
 * `openssl ca -gencrl` with the test PKI's HEBCA keys, and `openssl ocsp` as the responder named in
 * the certificates' authorityInfoAccess (started here on a free port, killed after).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getTestPki, type TestPki } from '../../fixtures/pki.ts';
import { PemKeyStore, certDer } from '../../support/key-store.ts';
import { runCli } from '../../support/cli.ts';
import { startOcspResponder } from '../../support/ocsp-responder.ts';
import { main } from '../../../main/cli/main.ts';
import { createCertificateService } from '../../../main/assistant/certificates.ts';
import { revocationSettingsFromPolicy } from '../../../main/login/certificate-revocation.ts';
import { clearOcspCache } from '../../../main/login/ocsp.ts';
import { parseCertificate } from '../../../main/pki/certificate.ts';
import { loadTrustAnchors } from '../../../main/pki/trust.ts';
import { defaultPolicy } from '../../../main/policy/policy.ts';

let pki: TestPki;
let dir: string;
let trustDir: string;
const children: ChildProcess[] = [];
let caCrl: string; // HEBCA CA's CRL listing neg-revoked (openssl ca -gencrl)
let rootCrl: string; // HEBCA root's CRL (nothing revoked)
let ocspUrl: string;
let closedUrl: string;
const files: Record<string, string> = {};

function openssl(args: string[], cwd = dir): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function indexDate(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
}

function hexSerial(s: string): string {
  return s.toUpperCase().padStart(s.length + (s.length % 2), '0');
}

/** A CRL of `caId` by `openssl ca -gencrl` from an index revoking `revoked` (DER file path). */
function gencrl(caId: string, revoked: { serial: string; notAfter: Date }[]): string {
  const db = path.join(dir, `crl-${caId}`);
  mkdirSync(db, { recursive: true });
  const when = indexDate(new Date(Date.now() - 3600_000));
  writeFileSync(path.join(db, 'index.txt'), revoked.map((r) => `R\t${indexDate(r.notAfter)}\t${when},keyCompromise\t${hexSerial(r.serial)}\tunknown\t/CN=x\n`).join(''));
  writeFileSync(path.join(db, 'crlnumber'), '1000\n');
  const p = db.split(path.sep).join('/');
  writeFileSync(path.join(db, 'ca.cnf'), `[ca]\ndefault_ca = d\n[d]\ndatabase = ${p}/index.txt\ncrlnumber = ${p}/crlnumber\ndefault_md = sha256\ncrl_extensions = x\n[x]\nauthorityKeyIdentifier = keyid:always\n`);
  const ca = pki.get(caId);
  openssl(['ca', '-batch', '-config', path.join(db, 'ca.cnf'), '-gencrl', '-cert', ca.certPem, '-keyfile', ca.keyPem, '-crldays', '7', '-out', path.join(db, 'crl.pem')]);
  const out = path.join(dir, `${caId}.crl`);
  openssl(['crl', '-in', path.join(db, 'crl.pem'), '-outform', 'DER', '-out', out]);
  return out;
}

/** hebca-ent's key re-issued by HEBCA's CA with an OCSP URL in authorityInfoAccess; a PEM of leaf + CA. */
function aiaLeaf(name: string, serial: string, url: string): string {
  const ca = pki.get('hebca-ca');
  const entry = pki.get('hebca-ent');
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  writeFileSync(ext, `[v3]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\nauthorityKeyIdentifier = keyid\nauthorityInfoAccess = OCSP;URI:${url}\n`);
  openssl(['x509', '-x509toreq', '-in', entry.certPem, '-signkey', entry.keyPem, '-out', csr]);
  const leaf = path.join(dir, `${name}.leaf.pem`);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.certPem, '-CAkey', ca.keyPem, '-set_serial', serial, '-extfile', ext, '-extensions', 'v3', '-days', '30', '-out', leaf]);
  const bundle = path.join(dir, `${name}.pem`);
  writeFileSync(bundle, readFileSync(leaf, 'utf8') + readFileSync(ca.certPem, 'utf8'));
  return bundle;
}

async function startResponder(index: string): Promise<string> {
  const ca = pki.get('hebca-ca');
  const r = await startOcspResponder({ index, caCert: ca.certPem, signerCert: ca.certPem, signerKey: ca.keyPem, extra: ['-nmin', '10'] });
  children.push(r.child);
  return r.url;
}

/** A loopback port nothing listens on (bound, then closed): connections are refused at once. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

before(async () => {
  pki = await getTestPki();
  dir = mkdtempSync(path.join(tmpdir(), 'inspect-revocation-'));
  trustDir = path.join(dir, 'trust');
  mkdirSync(trustDir);
  copyFileSync(pki.get('hebca-root').certPem, path.join(trustDir, 'hebca-root.pem'));
  writeFileSync(path.join(dir, 'no-policy.json'), '{}');
  const revokedLeaf = parseCertificate(certDer(pki, 'neg-revoked'));
  caCrl = gencrl('hebca-ca', [{ serial: revokedLeaf.serialNumber, notAfter: revokedLeaf.notAfter }]);
  rootCrl = gencrl('hebca-root', []);
  for (const id of ['hebca-ent', 'neg-revoked']) {
    files[id] = path.join(dir, `${id}.pem`);
    writeFileSync(files[id], readFileSync(pki.get(id).certPem, 'utf8') + readFileSync(pki.get('hebca-ca').certPem, 'utf8'));
  }
  // The responder's index is written before it starts: one good and one revoked serial; the
  // certificates naming it in their AIA are issued once its port is known.
  const expiry = new Date(Date.now() + 40 * 86_400_000);
  const index = path.join(dir, 'ocsp-index.txt');
  writeFileSync(index, `V\t${indexDate(expiry)}\t\t7200\tunknown\t/CN=x\nR\t${indexDate(expiry)}\t${indexDate(new Date(Date.now() - 3600_000))},keyCompromise\t7201\tunknown\t/CN=x\n`);
  writeFileSync(`${index}.attr`, 'unique_subject = no\n');
  ocspUrl = await startResponder(index);
  closedUrl = `http://127.0.0.1:${await closedPort()}/`;
  files['aia-good'] = aiaLeaf('aia-good', '0x7200', ocspUrl);
  files['aia-revoked'] = aiaLeaf('aia-revoked', '0x7201', ocspUrl);
  files['aia-down'] = aiaLeaf('aia-down', '0x7202', closedUrl);
});

after(() => {
  for (const c of children) c.kill();
  rmSync(dir, { recursive: true, force: true });
});

interface Inspected {
  code: number;
  leaf: { checks: { id: string; status: string; code?: string; message: string; detail?: string }[]; revocation?: { mode: string; status: string; links: { depth: number; status: string; source?: string; reason?: string }[] }; verdict?: { verdict: string; message: string } };
}

async function inspect(file: string, flags: string[], policy = path.join(dir, 'no-policy.json')): Promise<Inspected> {
  clearOcspCache();
  const r = await runCli(main, ['inspect', '--json', '--policy', policy, '--trust', trustDir, ...flags, file], { env: { ...process.env, CERT_ASSISTANT_POLICY: policy }, cwd: dir });
  const out = JSON.parse(r.stdout) as { files: { certificates: Inspected['leaf'][] }[] };
  return { code: r.code, leaf: out.files[0]!.certificates[0]! };
}

const revocationCheck = (i: Inspected) => i.leaf.checks.find((c) => c.id === 'revocation');

describe('inspect --json with CRLs (openssl ca -gencrl)', () => {
  test('revocation off (no flags, no policy): no revocation check, verdict as before', async () => {
    const r = await inspect(files['neg-revoked']!, []);
    assert.equal(revocationCheck(r), undefined);
    assert.equal(r.leaf.revocation, undefined);
    assert.equal(r.leaf.verdict?.verdict, 'usable');
  });

  test('the CA\'s CRL lists the leaf: link 0 revoked, check REVOKED with the reason, verdict 不能登录, exit 1', async () => {
    const r = await inspect(files['neg-revoked']!, ['--crl', caCrl, '--crl', rootCrl]);
    assert.equal(r.code, 1);
    assert.equal(r.leaf.revocation?.status, 'revoked');
    assert.deepEqual(r.leaf.revocation?.links.map((l) => [l.depth, l.status, l.source]), [[0, 'revoked', 'crl']]);
    const check = revocationCheck(r);
    assert.equal(check?.status, 'fail');
    assert.equal(check?.code, 'REVOKED');
    assert.match(check!.message, /吊销.*密钥泄露/);
    assert.equal(r.leaf.verdict?.verdict, 'unusable');
    assert.match(r.leaf.verdict!.message, /^不能用于法人登录：.*吊销/);
  });

  test('both links covered and good with --require-revocation: pass, 可以, exit 0', async () => {
    const r = await inspect(files['hebca-ent']!, ['--crl', caCrl, '--crl', rootCrl, '--require-revocation']);
    assert.equal(r.code, 0);
    assert.deepEqual(r.leaf.revocation?.links.map((l) => [l.depth, l.status]), [[0, 'good'], [1, 'good']]);
    assert.equal(revocationCheck(r)?.status, 'pass');
    assert.equal(r.leaf.verdict?.verdict, 'usable');
  });

  test('only the root\'s CRL: the leaf\'s link is not-checked — a note when preferred, 无法确认 when required', async () => {
    const prefer = await inspect(files['hebca-ent']!, ['--crl', rootCrl]);
    assert.deepEqual(prefer.leaf.revocation?.links.map((l) => [l.depth, l.status]), [[0, 'not-checked'], [1, 'good']]);
    assert.equal(revocationCheck(prefer)?.code, 'REVOCATION_NOT_CHECKED');
    assert.equal(prefer.leaf.verdict?.verdict, 'usable');
    const require = await inspect(files['hebca-ent']!, ['--crl', rootCrl, '--require-revocation']);
    assert.equal(revocationCheck(require)?.code, 'REVOCATION_UNKNOWN');
    assert.equal(require.leaf.verdict?.verdict, 'unconfirmed');
    // The clerk's line is an action; why and the admin's fix are the check's detail (技术信息, and inspect prints it).
    assert.equal(require.leaf.verdict!.message, '暂时无法确认证书状态，请检查网络后重试；仍不行请联系单位管理员');
    assert.equal(revocationCheck(require)?.message, '暂时无法查询这张证书是否已被吊销');
    assert.match(revocationCheck(require)?.detail ?? '', /^未配置吊销列表或 OCSP，未检查；.*序列号 .*。管理员：.*revocationCrls/);
    assert.equal(require.code, 0, 'unconfirmed is not a failed check');
  });

  test('a CRL file that is not a CRL: a clear error, exit 1', async () => {
    const bad = path.join(dir, 'bad.crl');
    writeFileSync(bad, 'not a crl');
    const r = await runCli(main, ['inspect', '--json', '--policy', path.join(dir, 'no-policy.json'), '--trust', trustDir, '--crl', bad, files['hebca-ent']!], { env: { ...process.env }, cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /错误 \[CRL_[A-Z_]+\]/);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
  });

  test('the policy alone turns it on: revocationMode require + revocationCrls (a folder)', async () => {
    const crlDir = path.join(dir, 'policy-crls');
    mkdirSync(crlDir, { recursive: true });
    copyFileSync(caCrl, path.join(crlDir, 'ca.crl'));
    const policy = path.join(dir, 'revocation-policy.json');
    writeFileSync(policy, JSON.stringify({ revocationMode: 'require', revocationCrls: [crlDir], revocationNetwork: false }));
    const revoked = await inspect(files['neg-revoked']!, [], policy);
    assert.equal(revocationCheck(revoked)?.code, 'REVOKED');
    assert.equal(revoked.leaf.verdict?.verdict, 'unusable');
    const good = await inspect(files['hebca-ent']!, [], policy);
    // The CA's link has no source (no root CRL in the folder, no network): required, so 无法确认.
    assert.deepEqual(good.leaf.revocation?.links.map((l) => [l.depth, l.status]), [[0, 'good'], [1, 'not-checked']]);
    assert.equal(good.leaf.verdict?.verdict, 'unconfirmed');
  });
});

describe('inspect --json --ocsp against openssl ocsp (the certificate\'s own responder)', () => {
  test('good: link 0 good from OCSP, link 1 from the root CRL; required and 可以', async () => {
    const r = await inspect(files['aia-good']!, ['--ocsp', '--crl', rootCrl, '--require-revocation']);
    assert.deepEqual(r.leaf.revocation?.links.map((l) => [l.depth, l.status, l.source]), [[0, 'good', 'ocsp'], [1, 'good', 'crl']]);
    assert.equal(r.leaf.verdict?.verdict, 'usable');
    assert.equal(r.code, 0);
  });

  test('revoked at the responder: REVOKED from OCSP, 不能登录', async () => {
    const r = await inspect(files['aia-revoked']!, ['--ocsp', '--crl', rootCrl]);
    assert.deepEqual(r.leaf.revocation?.links.map((l) => [l.depth, l.status, l.source]), [[0, 'revoked', 'ocsp']]);
    assert.equal(revocationCheck(r)?.code, 'REVOKED');
    assert.equal(r.leaf.verdict?.verdict, 'unusable');
    assert.equal(r.code, 1);
  });

  test('the responder cannot be reached: unknown, 无法确认 even when only preferred (fail closed, as the verifier)', async () => {
    const r = await inspect(files['aia-down']!, ['--ocsp', '--crl', rootCrl]);
    assert.equal(r.leaf.revocation?.links[0]?.status, 'unknown');
    assert.equal(r.leaf.revocation?.links[0]?.reason, 'OCSP_UNAVAILABLE');
    assert.equal(revocationCheck(r)?.code, 'REVOCATION_UNKNOWN');
    assert.equal(r.leaf.verdict?.verdict, 'unconfirmed');
    assert.doesNotMatch(r.leaf.verdict!.message, /OCSP|CRL|吊销列表|策略/, 'no admin words in the clerk line');
    assert.match(revocationCheck(r)?.detail ?? '', /^OCSP 服务无法访问；/);
  });
});

describe('the certificate screen uses the same check with the policy\'s settings', () => {
  async function view(id: 'hebca-ent' | 'neg-revoked', policy: Partial<ReturnType<typeof defaultPolicy>>) {
    clearOcspCache();
    const entry = pki.get(id);
    const store = new PemKeyStore(entry, { intermediates: [certDer(pki, 'hebca-ca')] });
    const svc = createCertificateService({
      now: () => new Date(), appVersion: 't', openPkcs12: () => Promise.reject(new Error('unused')),
      usbStores: () => [{ storeId: 'usb-1', source: 'usb', label: 'test key', store }],
      anchors: () => loadTrustAnchors([trustDir], { includeBundled: false }),
      revocation: () => revocationSettingsFromPolicy({ ...defaultPolicy(), ...policy }),
    });
    const list = await svc.list();
    assert.equal(list.certificates.length, 1, JSON.stringify(list.problems));
    return list.certificates[0]!;
  }

  test('revocationMode off (the default): revoked certificate still reads as before (no check made)', async () => {
    const v = await view('neg-revoked', {});
    assert.equal(v.checks.some((c) => c.id === 'revocation'), false);
    assert.equal(v.verdict, 'usable');
  });

  test('prefer with the CA\'s CRL: the revoked certificate is 不能登录 with the reason; the good one 可以', async () => {
    const policy = { revocationMode: 'prefer' as const, revocationCrls: [caCrl, rootCrl], revocationNetwork: false };
    const revoked = await view('neg-revoked', policy);
    assert.equal(revoked.verdict, 'unusable');
    assert.equal(revoked.canLogin, false);
    assert.equal(revoked.checks.find((c) => c.id === 'revocation')?.code, 'REVOKED');
    assert.match(revoked.verdictMessage ?? '', /吊销/);
    const good = await view('hebca-ent', policy);
    assert.equal(good.verdict, 'usable');
    assert.equal(good.canLogin, true);
  });

  test('require with only the root\'s CRL: 无法确认, not 可以', async () => {
    const v = await view('hebca-ent', { revocationMode: 'require', revocationCrls: [rootCrl], revocationNetwork: false });
    assert.equal(v.verdict, 'unconfirmed');
    assert.equal(v.canLogin, false);
    assert.equal(v.verdictMessage, '暂时无法确认证书状态，请检查网络后重试；仍不行请联系单位管理员');
    assert.match(v.verdictMessageEn ?? '', /^The certificate's status cannot be confirmed right now\. Check the network and try again/);
    const check = v.checks.find((c) => c.id === 'revocation');
    assert.equal(check?.code, 'REVOCATION_UNKNOWN');
    assert.match(check?.detail ?? '', /管理员：/);
    assert.match(check?.detailEn ?? '', /Administrator: /);
  });
});
