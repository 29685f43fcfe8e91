/**
 * The check issue 12 names, done exactly as a reviewer does it: the `cert-assistant` command itself
 * in a child process — bin/cert-assistant.mjs as `npx cert-assistant` runs it (RSA chains and the
 * identity cases), and the bundled dist/cli/cert-assistant.mjs the installed app ships (P-256) — on crafted chains built with
 * OpenSSL (test/fixtures/generate-crafted-chains.ts), compared with
 *   openssl verify -x509_strict -purpose sslclient -CAfile root -untrusted inters leaf
 * through `inspect --json --trust` (a bundle, leaf and CA as separate files, the PFX) and through
 * `login --pfx` + `verify`; and identity-confusion certificates from a trusted CA through
 * `login` + `verify --expect-uscc`. test/integration/pki/path-differential.test.ts covers the
 * whole corpus in-process; this file holds the command line to the same answers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { craftedCaseSpecs, generateCraftedChains, opensslVerdict, type CraftedAlg, type CraftedCase } from '../../fixtures/generate-crafted-chains.ts';
import { PKI_PASSWORD } from '../../fixtures/generate-pki.ts';
import { getTestPki, type TestPki } from '../../fixtures/pki.ts';
import { reissue } from '../../support/reissue.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'bin', 'cert-assistant.mjs');
const ORIGIN = 'https://www.hbzwfw.gov.cn';

/** The cases the issue lists, with our refusal codes (inspect check code, verifier code); none is an OpenSSL exception. */
const CASES: Record<string, { inspect: string; verify: string } | null> = {
  baseline: null,
  'pathlen-root0-violated': { inspect: 'CHAIN_PATH_LENGTH', verify: 'PATH_LENGTH_EXCEEDED' },
  'pathlen-int0-violated': { inspect: 'CHAIN_PATH_LENGTH', verify: 'PATH_LENGTH_EXCEEDED' },
  'issuer-ku-without-certsign': { inspect: 'CHAIN_ISSUER_KEY_USAGE', verify: 'ISSUER_KEY_USAGE' },
  'unknown-critical-leaf': { inspect: 'CHAIN_CRITICAL_EXTENSION', verify: 'CRITICAL_EXTENSION' },
  'nc-dirname-violated': { inspect: 'CHAIN_NAME_CONSTRAINTS', verify: 'NAME_CONSTRAINTS' },
  'eku-server-only': { inspect: 'EXTENDED_KEY_USAGE', verify: 'EXTENDED_KEY_USAGE' },
  'duplicate-ext-leaf': { inspect: 'CERT_DUPLICATE_EXTENSION', verify: 'CERT_DUPLICATE_EXTENSION' },
};

let dir: string;
let env: NodeJS.ProcessEnv;
let bundleDir: string;
/** Which command runs: npx's entry, or the bundle (built in before()). */
let entry = BIN;

interface Run { code: number | null; stdout: string; stderr: string }
function cli(args: string[], input = ''): Run {
  const r = spawnSync(process.execPath, [entry, ...args], { cwd: dir, env, input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Our answer through `inspect --json`: accepted = the end-entity certificate's verdict is 可以 (and exit 0); else the refusing code. */
function inspectVerdict(r: Run): { accept: boolean; code: string | null } {
  const doc = JSON.parse(r.stdout) as { files: { error?: { code: string }; certificates: { checks: { status: string; code?: string }[]; verdict?: { verdict: string } }[] }[] };
  const file = doc.files[0]!;
  if (file.error) return { accept: false, code: file.error.code };
  const leaf = file.certificates.find((c) => c.verdict)!;
  assert.ok(leaf, 'inspect --json gives the end-entity certificate a verdict');
  const failed = leaf.checks.find((k) => k.status === 'fail');
  return { accept: leaf.verdict!.verdict === 'usable' && r.code === 0, code: failed?.code ?? null };
}

const challenge = (): string => randomBytes(32).toString('base64');

/** `login --pfx … --pin-stdin` then `verify … TOKENFILE`: accepted only when both say so; else the code of whichever refused. */
function loginVerify(pfx: string, trust: string, extra: string[] = []): { accept: boolean; code: string | null; uscc?: string | null; stage: 'login' | 'verify' } {
  const c = challenge();
  const login = cli(['login', '--origin', ORIGIN, '--challenge', c, '--pfx', pfx, '--pin-stdin'], `${PKI_PASSWORD}\n`);
  if (login.code !== 0) {
    const code = /错误 \[([A-Z0-9_]+)\]/.exec(login.stderr)?.[1] ?? null;
    assert.ok(code, `login refused with a stable code: ${login.stderr}`);
    return { accept: false, code, stage: 'login' };
  }
  const tokenFile = path.join(dir, `token-${randomBytes(4).toString('hex')}.json`);
  fs.writeFileSync(tokenFile, login.stdout.trim());
  const v = cli(['verify', '--origin', ORIGIN, '--challenge', c, '--trust', trust, '--no-bundled', ...extra, tokenFile]);
  const out = JSON.parse(v.stdout) as { ok: boolean; code?: string; uscc?: string | null };
  assert.equal(v.code, out.ok ? 0 : 1, 'exit code follows the verdict');
  return { accept: out.ok, code: out.code ?? null, uscc: out.uscc ?? null, stage: 'verify' };
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-crafted-cli-'));
  fs.writeFileSync(path.join(dir, 'no-policy.json'), '{}');
  // No machine policy, and the signature log in the test's own folder.
  env = { ...process.env, CERT_ASSISTANT_POLICY: path.join(dir, 'no-policy.json'), CERT_ASSISTANT_HOME: path.join(dir, 'home') };
  fs.mkdirSync(path.join(ROOT, '.cache'), { recursive: true });
  bundleDir = fs.mkdtempSync(path.join(ROOT, '.cache', 'crafted-cli-'));
  const r = spawnSync(process.execPath, ['scripts/build.mjs', '--only=cli', '--quiet', `--out=${bundleDir}`], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(bundleDir, { recursive: true, force: true });
});

for (const [alg, via] of [['rsa', 'npx'], ['p256', 'bundle']] as [CraftedAlg, 'npx' | 'bundle'][]) {
  describe(`cert-assistant (${via}) on crafted ${alg} chains, against openssl verify -x509_strict -purpose sslclient`, () => {
    let cases: CraftedCase[] = [];
    before(() => {
      entry = via === 'npx' ? BIN : path.join(bundleDir, 'cli', 'cert-assistant.mjs');
      cases = generateCraftedChains(dir, alg, craftedCaseSpecs().filter((s) => s.id in CASES));
      assert.equal(cases.length, Object.keys(CASES).length);
    });
    after(() => { entry = BIN; });

    test('inspect --json --trust ROOT bundle.pem / leaf.pfx: accepted exactly when OpenSSL accepts, refused with the stated code', () => {
      const problems: string[] = [];
      for (const c of cases) {
        const oracle = opensslVerdict(c);
        const stated = CASES[c.id]!;
        if (oracle.ok !== (stated === null)) problems.push(`${c.id}: OpenSSL ${oracle.ok ? 'accepts' : oracle.error}, we state ${stated ? 'refuse' : 'accept'}`);
        const runs: [string, Run][] = [['bundle', cli(['inspect', '--json', '--trust', c.root, c.bundle])]];
        if (c.pfx) runs.push(['pfx', cli(['inspect', '--json', '--password-stdin', '--trust', c.root, c.pfx], `${PKI_PASSWORD}\n`)]);
        for (const [how, r] of runs) {
          const ours = inspectVerdict(r);
          if (ours.accept !== oracle.ok) problems.push(`${c.id} (${how}): inspect ${ours.accept ? 'accepts' : `refuses ${ours.code}`}, OpenSSL ${oracle.ok ? 'accepts' : oracle.error}`);
          else if (!ours.accept && ours.code !== stated?.inspect) problems.push(`${c.id} (${how}): inspect refuses with ${ours.code}, stated ${stated?.inspect}`);
        }
      }
      assert.deepEqual(problems, []);
    });

    test('inspect --json --trust DIR leaf.pem untrusted.pem: CA certificates in other files build the chain, and do not fail the run', () => {
      const trustDir = path.join(dir, alg, 'trust-dir');
      fs.mkdirSync(trustDir, { recursive: true });
      for (const id of ['baseline', 'pathlen-int0-violated']) {
        const c = cases.find((x) => x.id === id)!;
        fs.copyFileSync(c.root, path.join(trustDir, 'root.pem'));
        const r = cli(['inspect', '--json', '--trust', trustDir, c.leaf, c.untrusted]);
        const ours = inspectVerdict(r);
        assert.equal(ours.accept, opensslVerdict(c).ok, `${id}: ${r.stdout.slice(0, 400)}`);
        if (!ours.accept) assert.equal(ours.code, CASES[id]!.inspect);
      }
    });

    test('login --pfx + verify --trust: accepted exactly when OpenSSL accepts, refused with the stated code', () => {
      const problems: string[] = [];
      for (const c of cases) {
        const oracle = opensslVerdict(c);
        const stated = CASES[c.id]!;
        if (!c.pfx) {
          // OpenSSL itself would not put this certificate in a PFX: nothing to log in with.
          if (oracle.ok) problems.push(`${c.id}: no PFX, yet OpenSSL accepts`);
          continue;
        }
        const ours = loginVerify(c.pfx, c.root);
        if (ours.accept !== oracle.ok) problems.push(`${c.id}: login+verify ${ours.accept ? 'accepts' : `refuses ${ours.code} at ${ours.stage}`}, OpenSSL ${oracle.ok ? 'accepts' : oracle.error}`);
        else if (!ours.accept && ours.code !== stated?.verify) problems.push(`${c.id}: refused with ${ours.code} at ${ours.stage}, stated ${stated?.verify}`);
      }
      assert.deepEqual(problems, []);
    });
  });
}

describe('identity confusion from a trusted CA: login + verify --expect-uscc', () => {
  let pki: TestPki;
  let uscc: string;
  let other: string;
  const pfx: Record<string, string> = {};
  const ext = 'basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature';

  /** hebca-ent's key under `subject`, issued by the trusted HEBCA CA, in a PFX with its CA. */
  function confusing(name: string, serial: string, subject: string): string {
    const der = reissue(pki, { keyOf: 'hebca-ent', caId: 'hebca-ca', name, dir, serial, ext, subject });
    const pem = path.join(dir, `${name}.pem`);
    fs.writeFileSync(pem, `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`);
    const out = path.join(dir, `${name}.pfx`);
    execFileSync('openssl', ['pkcs12', '-export', '-in', pem, '-inkey', pki.get('hebca-ent').keyPem, '-certfile', pki.get('hebca-ca').certPem,
      '-passout', `pass:${PKI_PASSWORD}`, '-keypbe', 'AES-256-CBC', '-certpbe', 'AES-256-CBC', '-macalg', 'sha256', '-out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    return out;
  }

  before(async () => {
    pki = await getTestPki();
    uscc = pki.get('hebca-ent').expect.uscc!;
    other = pki.get('jit-ent').expect.uscc!;
    pfx['personal-email'] = confusing('personal-email', '0x7401', `/C=CN/ST=河北省/L=石家庄市/CN=张三/serialNumber=11010519491231002X/emailAddress=${uscc}@163.com`);
    pfx['email-only'] = confusing('email-only', '0x7402', `/C=CN/ST=河北省/L=石家庄市/CN=张三/emailAddress=${uscc}@163.com`);
    pfx['ou-beside-serial'] = confusing('ou-beside-serial', '0x7403', `/C=CN/ST=河北省/O=河北冀信测试科技有限公司/OU=${other}/CN=河北冀信测试科技有限公司/serialNumber=${uscc}`);
    pfx['two-identity-fields'] = confusing('two-identity-fields', '0x7404', `/C=CN/ST=河北省/O=河北冀信测试科技有限公司/CN=河北冀信测试科技有限公司/serialNumber=${uscc}/organizationIdentifier=${other}`);
    pfx['serial-only'] = confusing('serial-only', '0x7405', `/C=CN/ST=河北省/O=河北冀信测试科技有限公司/CN=河北冀信测试科技有限公司/serialNumber=${uscc}`);
  });

  const trust = () => pki.get('hebca-root').certPem;

  test('a personal certificate (resident ID in serialNumber) with an enterprise USCC in emailAddress: PERSONAL_CERTIFICATE', () => {
    const r = loginVerify(pfx['personal-email']!, trust(), ['--expect-uscc', uscc]);
    assert.deepEqual([r.accept, r.code, r.uscc], [false, 'PERSONAL_CERTIFICATE', null]);
  });

  test('a USCC only in emailAddress is no login identity: USCC_MISSING', () => {
    const r = loginVerify(pfx['email-only']!, trust(), ['--expect-uscc', uscc]);
    assert.deepEqual([r.accept, r.code], [false, 'USCC_MISSING']);
  });

  test('OU=<other USCC> beside the serialNumber USCC: IDENTITY_AMBIGUOUS for either account', () => {
    for (const expected of [uscc, other]) {
      const r = loginVerify(pfx['ou-beside-serial']!, trust(), ['--expect-uscc', expected]);
      assert.deepEqual([r.accept, r.code], [false, 'IDENTITY_AMBIGUOUS'], expected);
    }
  });

  test('two different USCCs in identity fields (serialNumber, organizationIdentifier): IDENTITY_AMBIGUOUS', () => {
    const r = loginVerify(pfx['two-identity-fields']!, trust(), ['--expect-uscc', uscc]);
    assert.deepEqual([r.accept, r.code], [false, 'IDENTITY_AMBIGUOUS']);
  });

  test('the control: serialNumber alone logs in as that enterprise, and is USCC_MISMATCH for another account', () => {
    const ok = loginVerify(pfx['serial-only']!, trust(), ['--expect-uscc', uscc]);
    assert.deepEqual([ok.accept, ok.uscc], [true, uscc]);
    const mismatch = loginVerify(pfx['serial-only']!, trust(), ['--expect-uscc', other]);
    assert.deepEqual([mismatch.accept, mismatch.code], [false, 'USCC_MISMATCH']);
  });

  test('inspect --json agrees: personal, ambiguous, and usable', () => {
    const code = (name: string) => {
      const r = cli(['inspect', '--json', '--password-stdin', '--trust', trust(), pfx[name]!], `${PKI_PASSWORD}\n`);
      const leaf = (JSON.parse(r.stdout) as { files: { certificates: { checks: { id: string; code?: string }[]; verdict?: { verdict: string } }[] }[] }).files[0]!.certificates.find((c) => c.verdict)!;
      return [leaf.verdict!.verdict, leaf.checks.find((k) => k.id === 'uscc')?.code ?? null];
    };
    assert.deepEqual(code('personal-email'), ['unusable', 'USCC_PERSONAL_CERT']);
    assert.deepEqual(code('ou-beside-serial'), ['unusable', 'IDENTITY_AMBIGUOUS']);
    assert.deepEqual(code('two-identity-fields'), ['unusable', 'IDENTITY_AMBIGUOUS']);
    assert.deepEqual(code('serial-only'), ['usable', null]);
  });
});
