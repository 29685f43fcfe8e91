/**
 * `cert-assistant verify --sof`: a CA-assistant login (random + UserCert + UserSignedData) whose
 * signature OpenSSL made, the way SOF_SignData makes it, accepted or rejected with its code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { main } from '../../../main/cli/main.ts';
import { getTestPki } from '../../fixtures/pki.ts';
import { runCli } from '../../support/cli.ts';
import { scratchDir, writeTrustDir } from '../../support/scratch.ts';

const pki = await getTestPki();
const dir = scratchDir('ca-sofcli-');
const trustDir = writeTrustDir(pki, dir);
const RANDOM = 'U09GLWxvZ2luLXJhbmRvbS0xMjM0NTY3OA==';

/** Leaf + intermediates as one PEM file (UserCert as a portal stores it), and OpenSSL's signature of `signed`. */
function login(id: string, signed = RANDOM): { cert: string; sig: string } {
  const e = pki.get(id);
  const cert = path.join(dir, `${id}.chain.pem`);
  fs.writeFileSync(cert, [e.certPem, ...e.chain.filter((c) => pki.get(c).kind === 'intermediate').map((c) => pki.get(c).certPem)].map((p) => fs.readFileSync(p, 'utf8')).join(''));
  const data = path.join(dir, `${id}.random`);
  fs.writeFileSync(data, signed);
  const raw = e.keyAlg === 'sm2'
    ? execFileSync('openssl', ['pkeyutl', '-sign', '-inkey', e.keyPem, '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', data])
    : execFileSync('openssl', ['dgst', '-sha256', '-sign', e.keyPem, data]);
  return { cert, sig: raw.toString('base64') };
}

const args = (l: { cert: string; sig: string }, extra: string[] = []): string[] =>
  ['verify', '--sof', '--random', RANDOM, '--certificate', l.cert, '--signature', l.sig, '--trust', trustDir, '--no-bundled', ...extra];

for (const id of ['hebca-ent', 'hebca-sm2-ent']) {
  test(`verify --sof accepts ${id} signed by OpenSSL (exit 0, USCC printed)`, async () => {
    const r = await runCli(main, args(login(id)), { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const j = JSON.parse(r.stdout) as { ok: boolean; uscc: string; format: string };
    assert.equal(j.ok, true);
    assert.equal(j.uscc, pki.get(id).expect.uscc);
    assert.equal(j.format, 'sof');
  });
}

test('verify --sof: the signature may come from a file', async () => {
  const l = login('hebca-ent');
  const f = path.join(dir, 'sig.txt');
  fs.writeFileSync(f, l.sig + '\n');
  assert.equal((await runCli(main, args({ cert: l.cert, sig: f }), { cwd: dir })).code, 0);
});

test('verify --sof rejects another random (BAD_SIGNATURE) and another account (USCC_MISMATCH) with exit 1', async () => {
  const bad = await runCli(main, args(login('hebca-ent', 'another random')), { cwd: dir });
  assert.equal(bad.code, 1);
  assert.equal((JSON.parse(bad.stdout) as { code: string }).code, 'BAD_SIGNATURE');
  const other = await runCli(main, args(login('hebca-ent'), ['--expect-uscc', pki.get('bjca-ent').expect.uscc!]), { cwd: dir });
  assert.equal(other.code, 1);
  assert.equal((JSON.parse(other.stdout) as { code: string }).code, 'USCC_MISMATCH');
});

test('verify --sof usage errors exit 2 and name the missing flag', async () => {
  const l = login('hebca-ent');
  const r = await runCli(main, ['verify', '--sof', '--certificate', l.cert, '--signature', l.sig, '--trust', trustDir], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--random/);
  const missing = await runCli(main, ['verify', '--sof', '--random', RANDOM, '--certificate', path.join(dir, 'nope.pem'), '--signature', l.sig, '--trust', trustDir], { cwd: dir });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /FILE_UNREADABLE/);
});
