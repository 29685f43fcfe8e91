/**
 * `cert-assistant login --skf PATH` with the fake SKF key behind the worker, as users run it:
 * the token verifies with `cert-assistant verify` and its SM2 signature with OpenSSL; a wrong
 * PIN is PIN_INCORRECT with the tries left, a locked key PIN_LOCKED, and nothing is retried.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../main/cli/main.ts';
import { runCli, type CliRun } from '../../support/cli.ts';
import { loginTbs } from '../../../main/login/tbs.ts';
import { getTestPki, type TestPki } from '../../fixtures/pki.ts';
import { buildFakeSkf, fakeSkfEnv, skipFakeSkf, verifyCalls, type FakeSkfFiles } from '../../support/fake-skf.ts';

const ORIGIN = 'https://www.hbzwfw.gov.cn';
const PIN = '12345678';

type Ran = CliRun;

const newChallenge = (): string => Buffer.from(Array.from({ length: 32 }, () => Math.floor(Math.random() * 256))).toString('base64');
const lastJson = (r: Ran) => JSON.parse(r.stderr.trim().split('\n').pop()!) as { ok: boolean; error: { code: string; message: string; details?: Record<string, unknown> } };

describe('login --skf (the fake SM2 USB key through the worker)', { skip: skipFakeSkf }, () => {
  let pki: TestPki;
  let dir: string;
  let trustDir: string;
  let lib: string;
  let files: FakeSkfFiles;
  let env: NodeJS.ProcessEnv;

  const cli = (args: string[], stdin = ''): Promise<Ran> => runCli(main, args, { stdin, env, cwd: dir });
  const login = (pin: string, extra: string[] = [], ch = newChallenge()) => cli(['login', '--origin', ORIGIN, '--challenge', ch, '--skf', lib, '--pin-stdin', ...extra], `${pin}\n`);

  before(async () => {
    pki = await getTestPki();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-skf-login-'));
    lib = buildFakeSkf(dir);
    const made = fakeSkfEnv(pki.get('hebca-sm2-ent'), dir, { FAKE_SKF_MAX: '3' });
    files = made.files;
    env = { ...process.env, ...made.env };
    // SKF containers carry no CA chain: the portal side knows its CA, here as a trusted certificate.
    trustDir = path.join(dir, 'trust');
    fs.mkdirSync(trustDir);
    for (const id of pki.get('hebca-sm2-ent').chain) fs.copyFileSync(pki.get(id).certPem, path.join(trustDir, `${id}.pem`));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('signs an SM2-SM3 token that `verify` accepts and OpenSSL verifies over the tbs', async () => {
    const ch = newChallenge();
    const r = await login(PIN, [], ch);
    assert.equal(r.code, 0, r.stderr);
    const token = JSON.parse(r.stdout) as { format: string; algorithm: string; signature: string; certificate: string };
    assert.equal(token.format, 'cert-login:1');
    assert.equal(token.algorithm, 'SM2-SM3');
    const v = await cli(['verify', '--origin', ORIGIN, '--challenge', ch, '--trust', trustDir, '--no-bundled', '--expect-uscc', pki.get('hebca-sm2-ent').expect.uscc!, r.stdout.trim()]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal((JSON.parse(v.stdout) as { ok: boolean }).ok, true);

    // An independent peer: OpenSSL's SM2 verifier with the default distinguishing ID.
    const tbs = path.join(dir, 'tbs.bin');
    const sig = path.join(dir, 'sig.der');
    const pub = path.join(dir, 'pub.pem');
    fs.writeFileSync(tbs, loginTbs(ORIGIN, ch, 'SM2-SM3'));
    fs.writeFileSync(sig, Buffer.from(token.signature, 'base64'));
    execFileSync('openssl', ['x509', '-in', pki.get('hebca-sm2-ent').certPem, '-pubkey', '-noout', '-out', pub]);
    const ok = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', tbs, '-sigfile', sig], { encoding: 'utf8' });
    assert.match(ok, /Signature Verified Successfully/);
    // The same signature over other bytes does not verify (the check can fail).
    fs.writeFileSync(tbs, loginTbs('https://hd.hbzwfw.gov.cn', ch, 'SM2-SM3'));
    assert.throws(() => execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', tbs, '-sigfile', sig], { stdio: 'pipe' }));
  });

  test('--id DEVICE/APP/CONTAINER picks the container; an unknown one is NO_CERTIFICATE listing the choices', async () => {
    const ch = newChallenge();
    const r = await login(PIN, ['--id', 'FakeSKF-0/HEBCA_APP/SM2-Container-1', '--format', 'cms'], ch);
    assert.equal(r.code, 0, r.stderr);
    const v = await cli(['verify', '--origin', ORIGIN, '--challenge', ch, '--trust', trustDir, '--no-bundled', r.stdout.trim()]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    const none = await login(PIN, ['--id', 'FakeSKF-0/HEBCA_APP/Other']);
    assert.equal(none.code, 1);
    const e = lastJson(none);
    assert.equal(e.error.code, 'NO_CERTIFICATE');
    assert.deepEqual((e.error.details?.['choices'] as { id: string }[]).map((c) => c.id), ['FakeSKF-0/HEBCA_APP/SM2-Container-1']);
  });

  test('tokens without --module/--skf lists the SKF library the machine policy names (skfModules)', async () => {
    const policyFile = path.join(dir, 'policy.json');
    fs.writeFileSync(policyFile, JSON.stringify({ version: 1, skfModules: [lib] }));
    fs.chmodSync(policyFile, 0o644);
    const r = await cli(['tokens', '--json', '--policy', policyFile]);
    const report = JSON.parse(r.stdout) as { skf?: { path: string; devices: { name: string }[] }[] };
    assert.deepEqual(report.skf?.map((m) => [m.path, m.devices.map((d) => d.name)]), [[lib, ['FakeSKF-0']]], r.stderr);
    const without = await cli(['tokens', '--json', '--policy', path.join(dir, 'absent-policy.json')]);
    assert.equal((JSON.parse(without.stdout) as { skf?: unknown }).skf, undefined, 'no SKF library configured → no skf section');
  });

  test('usage: exactly one of --pfx/--module/--skf; --slot is for --module only', async () => {
    const ch = newChallenge();
    assert.equal((await cli(['login', '--origin', ORIGIN, '--challenge', ch, '--skf', lib, '--module', '/usr/lib/softhsm/libsofthsm2.so', '--pin-stdin'], PIN)).code, 2);
    assert.equal((await cli(['login', '--origin', ORIGIN, '--challenge', ch, '--skf', lib, '--pfx', 'x.pfx', '--pin-stdin'], PIN)).code, 2);
    assert.equal((await cli(['login', '--origin', ORIGIN, '--challenge', ch, '--skf', lib, '--slot', '1', '--pin-stdin'], PIN)).code, 2);
    assert.equal((await cli(['login', '--origin', ORIGIN, '--challenge', ch, '--skf', lib], PIN)).code, 2, 'PIN only from stdin');
    const help = await cli(['login', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--skf PATH/);
    assert.match(help.stdout, /SKF/);
    const unsafe = await cli(['login', '--origin', ORIGIN, '--challenge', ch, '--skf', 'relative/libskf.so', '--pin-stdin'], PIN);
    assert.equal(unsafe.code, 1);
    assert.match(unsafe.stderr, /MODULE_PATH_UNSAFE|MODULE_NOT_FOUND/);
  });

  test('wrong PINs: PIN_INCORRECT with the tries left, one SKF_VerifyPIN each; then PIN_LOCKED without trying', async () => {
    const before = verifyCalls(files);
    const first = await login('00000000');
    assert.equal(first.code, 1);
    assert.equal(first.stdout, '');
    assert.doesNotMatch(first.stderr, /00000000/, 'the PIN never appears in output');
    const e1 = lastJson(first);
    assert.equal(e1.error.code, 'PIN_INCORRECT');
    assert.equal(e1.error.details?.['retriesLeft'], 2);
    assert.equal(verifyCalls(files), before + 1, 'one try, never retried');

    const second = await login('00000001');
    const e2 = lastJson(second);
    assert.equal(e2.error.code, 'PIN_INCORRECT');
    assert.equal(e2.error.details?.['retriesLeft'], 1);
    assert.equal(e2.error.details?.['finalTry'], true);
    assert.match(e2.error.message, /锁定/);

    const third = await login('00000002');
    assert.equal(third.code, 1);
    assert.equal(lastJson(third).error.code, 'PIN_LOCKED');
    const calls = verifyCalls(files);
    assert.equal(calls, before + 3);

    // Locked: even the right PIN is refused before SKF_VerifyPIN is called.
    const locked = await login(PIN);
    assert.equal(locked.code, 1);
    assert.equal(lastJson(locked).error.code, 'PIN_LOCKED');
    assert.match(lastJson(locked).error.message, /[\u4e00-\u9fff]/u);
    assert.equal(verifyCalls(files), calls, 'no try spent on a locked key');
  });
});
