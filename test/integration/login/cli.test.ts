/**
 * `cert-assistant login` and `verify` as users run them (in-process through the CLI
 * dispatcher): PFX files, SoftHSM2 as the USB key through the worker, wrong PINs, usage errors.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { main } from '../../../main/cli/main.ts';
import { runCli, type CliRun } from '../../support/cli.ts';
import { getTestPki } from '../../fixtures/pki.ts';
import { scratchDir, writeTrustDir } from '../../support/scratch.ts';
import { createSoftHsmToken, softHsmAvailable, SOFTHSM_MODULE, type SoftHsmToken } from '../../support/softhsm.ts';

const ORIGIN = 'https://www.hbzwfw.gov.cn';
const pki = await getTestPki();
const dir = scratchDir('ca-login-');
const trustDir = writeTrustDir(pki, dir);

type Ran = CliRun;

const cli = (args: string[], stdin = '', env: NodeJS.ProcessEnv = process.env): Promise<Ran> => runCli(main, args, { stdin, env, cwd: dir });

const newChallenge = (): string => Buffer.from(Array.from({ length: 32 }, () => Math.floor(Math.random() * 256))).toString('base64');

function verifyArgs(challenge: string, token: string, extra: string[] = []): string[] {
  return ['verify', '--origin', ORIGIN, '--challenge', challenge, '--trust', trustDir, '--no-bundled', ...extra, token];
}

describe('login --pfx, then verify', () => {
  for (const [id, kind] of [['hebca-ent', 'legacy'], ['hebca-sm2-ent', 'modern'], ['cfca-ec-ent', 'modern']] as const) {
    test(`${id} (${kind} PFX) → token → verify accepts (exit 0)`, async () => {
      const ch = newChallenge();
      const login = await cli(['login', '--origin', `${ORIGIN}/`, '--challenge', ch, '--pfx', pki.get(id).pfx![kind]!, '--pin-stdin'], '123456\n');
      assert.equal(login.code, 0, login.stderr);
      const token = JSON.parse(login.stdout) as { format: string; intermediates: string[] };
      assert.equal(token.format, 'cert-login:1');
      const v = await cli(verifyArgs(ch, login.stdout.trim(), ['--expect-uscc', pki.get(id).expect.uscc!]));
      assert.equal(v.code, 0, v.stdout + v.stderr);
      const r = JSON.parse(v.stdout) as { ok: boolean; uscc: string; subject: string };
      assert.equal(r.ok, true);
      assert.equal(r.uscc, pki.get(id).expect.uscc);
      assert.match(r.subject, /CN=/);
    });
  }

  test('--format cms prints base64 DER that verify accepts; token read from a file and from stdin', async () => {
    const ch = newChallenge();
    const login = await cli(['login', '--origin', ORIGIN, '--challenge', ch, '--pfx', pki.get('cfca-ent').pfx!.modern!, '--pin-stdin', '--format', 'cms'], '123456');
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout.trim(), /^[A-Za-z0-9+/]+=*$/);
    assert.equal(Buffer.from(login.stdout.trim(), 'base64')[0], 0x30);
    const file = path.join(dir, 'token.p7s.b64');
    fs.writeFileSync(file, login.stdout);
    const v = await cli(verifyArgs(ch, 'token.p7s.b64'));
    assert.equal(v.code, 0, v.stdout);
    const again = await cli(verifyArgs(ch, '-'), login.stdout);
    assert.equal(again.code, 0, again.stdout);
  });

  test('a wrong PIN exits 1 with PIN_INCORRECT and is not retried', async () => {
    const r = await cli(['login', '--origin', ORIGIN, '--challenge', newChallenge(), '--pfx', pki.get('hebca-ent').pfx!.modern!, '--pin-stdin'], '654321\n');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const json = JSON.parse(r.stderr.trim().split('\n').pop()!) as { ok: boolean; error: { code: string; message: string } };
    assert.equal(json.error.code, 'PIN_INCORRECT');
    assert.doesNotMatch(r.stderr, /654321/, 'the PIN never appears in output');
  });

  test('a bad origin or challenge exits 1 with its code, before any PIN is read', async () => {
    const pfx = pki.get('hebca-ent').pfx!.modern!;
    const bad = await cli(['login', '--origin', 'file:///etc', '--challenge', newChallenge(), '--pfx', pfx, '--pin-stdin']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /ORIGIN_INVALID/);
    const short = await cli(['login', '--origin', ORIGIN, '--challenge', 'AAAA', '--pfx', pfx, '--pin-stdin']);
    assert.equal(short.code, 1);
    assert.match(short.stderr, /CHALLENGE_INVALID/);
  });

  test('usage errors exit 2', async () => {
    const pfx = pki.get('hebca-ent').pfx!.modern!;
    const ch = newChallenge();
    assert.equal((await cli(['login', '--origin', ORIGIN, '--challenge', ch, '--pfx', pfx], '123456')).code, 2, 'PIN only from stdin');
    assert.equal((await cli(['login', '--origin', ORIGIN, '--challenge', ch, '--pfx', pfx, '--module', SOFTHSM_MODULE, '--pin-stdin'], '123456')).code, 2);
    assert.equal((await cli(['login', '--origin', ORIGIN, '--challenge', ch, '--pfx', pfx, '--pin-stdin', '--format', 'xml'], '123456')).code, 2);
    assert.equal((await cli(['login', '--origin', ORIGIN, '--challenge', ch, '--pfx', pfx, '--pin-stdin', '--pin', '1'], '123456')).code, 2);
    assert.equal((await cli(['verify', '--origin', ORIGIN, '--challenge', ch, 'x'])).code, 2, '--trust is required');
    assert.equal((await cli(verifyArgs(ch, 'x', ['--now', 'yesterday']))).code, 2);
    assert.equal((await cli(verifyArgs('short', 'x'))).code, 2);
  });
});

describe('verify rejects with the reason (exit 1)', () => {
  /** The entry's PFX, or one made here with OpenSSL for entries that have none (neg-*). */
  function pfxOf(id: string): string {
    const e = pki.get(id);
    if (e.pfx?.modern) return e.pfx.modern;
    const out = path.join(dir, `${id}.pfx`);
    execFileSync('openssl', ['pkcs12', '-export', '-inkey', e.keyPem, '-in', e.certPem, '-certfile', pki.get(e.chain[0]!).certPem, '-passout', 'pass:123456', '-out', out]);
    return out;
  }
  async function tokenFor(id: string, origin = ORIGIN): Promise<{ ch: string; token: string }> {
    const ch = newChallenge();
    const r = await cli(['login', '--origin', origin, '--challenge', ch, '--pfx', pfxOf(id), '--pin-stdin'], '123456');
    assert.equal(r.code, 0, r.stderr);
    return { ch, token: r.stdout.trim() };
  }
  const reason = (r: Ran): string => (JSON.parse(r.stdout) as { code: string }).code;

  test('another origin → ORIGIN_MISMATCH', async () => {
    const t = await tokenFor('hebca-ent', 'https://hd.hbzwfw.gov.cn');
    const r = await cli(verifyArgs(t.ch, t.token));
    assert.equal(r.code, 1);
    assert.equal(reason(r), 'ORIGIN_MISMATCH');
  });
  test('another challenge → rejected; another account → USCC_MISMATCH', async () => {
    const t = await tokenFor('hebca-ent');
    assert.equal(reason(await cli(verifyArgs(newChallenge(), t.token))), 'CHALLENGE_UNKNOWN');
    const r = await cli(verifyArgs(t.ch, t.token, ['--expect-uscc', pki.get('jit-ent').expect.uscc!]));
    assert.equal(r.code, 1);
    assert.equal(reason(r), 'USCC_MISMATCH');
  });
  test('--crl revokes; --now after expiry → CERT_EXPIRED', async () => {
    const t = await tokenFor('neg-revoked');
    assert.equal(reason(await cli(verifyArgs(t.ch, t.token, ['--crl', pki.crls['hebca-ca']!]))), 'REVOKED');
    const t2 = await tokenFor('hebca-ent');
    const r = await cli(verifyArgs(t2.ch, t2.token, ['--now', '2040-01-01T00:00:00Z']));
    assert.equal(reason(r), 'CERT_EXPIRED');
    const obj = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.ok('uscc' in obj && 'subject' in obj && 'message' in obj);
  });
  test('a 1 MB token from stdin → TOKEN_TOO_LARGE', async () => {
    const r = await cli(verifyArgs(newChallenge(), '-'), '{"x":"' + 'A'.repeat(1024 * 1024) + '"}');
    assert.equal(r.code, 1);
    assert.equal(reason(r), 'TOKEN_TOO_LARGE');
  });
});

describe('login --module (SoftHSM2 as the USB key, through the worker)', { skip: softHsmAvailable() ? false : 'softhsm2-util / pkcs11-tool not installed' }, () => {
  let token: SoftHsmToken;
  before(() => {
    token = createSoftHsmToken('login-test', [
      { id: '01', label: 'hebca', certDer: pki.get('hebca-ent').certDer, keyPem: pki.get('hebca-ent').keyPem },
      { id: '02', label: 'cfca-ec', certDer: pki.get('cfca-ec-ent').certDer, keyPem: pki.get('cfca-ec-ent').keyPem },
      // CA certificates on the key, as vendors load them: they travel as intermediates.
      { id: 'a1', label: 'HEBCA RSA CA', certDer: pki.get('hebca-ca').certDer },
      { id: 'a2', label: 'CFCA EC CA', certDer: pki.get('cfca-ec-ca').certDer },
    ]);
  });
  after(() => token?.cleanup());

  for (const [id, ent] of [['01', 'hebca-ent'], ['02', 'cfca-ec-ent']] as const) {
    test(`key ${id} (${ent}) signs a token that verifies`, async () => {
      const ch = newChallenge();
      const r = await cli(['login', '--origin', ORIGIN, '--challenge', ch, '--module', SOFTHSM_MODULE, '--id', id, '--pin-stdin'], '123456\n', token.env);
      assert.equal(r.code, 0, r.stderr);
      const v = await cli(verifyArgs(ch, r.stdout.trim(), ['--expect-uscc', pki.get(ent).expect.uscc!]));
      assert.equal(v.code, 0, v.stdout);
    });
  }

  test('--slot picks the token; a slot without it finds no certificate', async () => {
    const shown = execFileSync('softhsm2-util', ['--show-slots'], { env: token.env, encoding: 'utf8' });
    const slot = /Slot (\d+)\s[\s\S]*?Label:\s+login-test/.exec(shown)?.[1];
    assert.ok(slot, shown);
    const ch = newChallenge();
    const r = await cli(['login', '--origin', ORIGIN, '--challenge', ch, '--module', SOFTHSM_MODULE, '--slot', slot, '--id', '02', '--pin-stdin', '--format', 'cms'], '123456', token.env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await cli(verifyArgs(ch, r.stdout.trim()))).code, 0);
    const none = await cli(['login', '--origin', ORIGIN, '--challenge', ch, '--module', SOFTHSM_MODULE, '--slot', String(Number(slot) + 1), '--id', '02', '--pin-stdin'], '123456', token.env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /NO_CERTIFICATE/);
  });

  test('two keys and no --id → CERTIFICATE_AMBIGUOUS listing them', async () => {
    const r = await cli(['login', '--origin', ORIGIN, '--challenge', newChallenge(), '--module', SOFTHSM_MODULE, '--pin-stdin'], '123456', token.env);
    assert.equal(r.code, 1);
    const e = JSON.parse(r.stderr.trim().split('\n').pop()!) as { error: { code: string; details: { choices: unknown[] } } };
    assert.equal(e.error.code, 'CERTIFICATE_AMBIGUOUS');
    assert.equal(e.error.details.choices.length, 2);
  });

  test('a wrong PIN → exit 1, PIN_INCORRECT with the PIN state; the next right PIN still works', async () => {
    const r = await cli(['login', '--origin', ORIGIN, '--challenge', newChallenge(), '--module', SOFTHSM_MODULE, '--id', '01', '--pin-stdin'], '000000', token.env);
    assert.equal(r.code, 1);
    const e = JSON.parse(r.stderr.trim().split('\n').pop()!) as { error: { code: string; details?: Record<string, unknown> } };
    assert.equal(e.error.code, 'PIN_INCORRECT');
    assert.ok(e.error.details && 'retriesLeft' in e.error.details, JSON.stringify(e.error));
    const ok = await cli(['login', '--origin', ORIGIN, '--challenge', newChallenge(), '--module', SOFTHSM_MODULE, '--id', '01', '--pin-stdin'], '123456', token.env);
    assert.equal(ok.code, 0, ok.stderr);
  });
});
