/**
 * `cert-assistant bridge-cert issue|remove`, as the per-machine installers call it: the files the
 * bridge serves, a CA whose key is nowhere on disk, and the SHA-1 thumbprint certutil needs.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../main/cli/main.ts';
import { runCli } from '../../support/cli.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-bridge-cert-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('issue writes the leaf, its owner-only key, the CA certificate and the CA SHA-1 thumbprint; no CA key; remove deletes them', async () => {
  const out = path.join(dir, 'bridge');
  const r = await runCli(main, ['bridge-cert', 'issue', '--out', out], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { ok: boolean; caSha1: string; certificateSha256: string };
  assert.deepEqual(fs.readdirSync(out).sort(), ['localhost-ca.crt', 'localhost-ca.thumbprint', 'localhost.crt', 'localhost.key']);
  assert.equal(fs.statSync(path.join(out, 'localhost.key')).mode & 0o077, 0);
  // The thumbprint is what certutil -delstore Root takes: OpenSSL's SHA-1 fingerprint of the CA.
  const fp = execFileSync('openssl', ['x509', '-in', path.join(out, 'localhost-ca.crt'), '-noout', '-fingerprint', '-sha1'], { encoding: 'utf8' });
  assert.equal(fs.readFileSync(path.join(out, 'localhost-ca.thumbprint'), 'utf8').trim(), fp.split('=')[1]!.replace(/:/g, '').trim());
  assert.equal(j.caSha1, fp.split('=')[1]!.replace(/:/g, '').trim());
  // Exactly one private key on disk, and it belongs to the leaf.
  const keys = fs.readdirSync(out).filter((f) => fs.readFileSync(path.join(out, f), 'utf8').includes('PRIVATE KEY'));
  assert.deepEqual(keys, ['localhost.key']);
  execFileSync('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', path.join(out, 'localhost-ca.crt'), path.join(out, 'localhost.crt')]);

  const rm = await runCli(main, ['bridge-cert', 'remove', '--dir', out], { cwd: dir });
  assert.equal(rm.code, 0, rm.stderr);
  assert.deepEqual(fs.readdirSync(out), []);
});

test('bridge-cert usage errors exit 2 with a zh-CN message', async () => {
  const r = await runCli(main, ['bridge-cert', 'issue'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /须为 issue --out DIR/);
});
