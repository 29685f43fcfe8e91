// The bundled CLI (dist/cli/cert-assistant.mjs) as the installed app ships it, on Node for Windows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, testPki } from './support.ts';

test('runs on Windows itself', () => {
  assert.equal(process.platform, 'win32');
});

test('uscc decodes a valid code and refuses a bad check character', () => {
  const ok = runCli(['uscc', '--json', '91130100780846178G']);
  assert.equal(ok.status, 0, ok.stderr);
  const [decoded] = JSON.parse(ok.stdout) as Array<Record<string, unknown>>;
  assert.equal(decoded!['valid'], true);
  assert.match(JSON.stringify(decoded), /河北省/u);

  const bad = runCli(['uscc', '911301007808461787']);
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /校验码/u);
});

test('inspect reads a PFX (password on stdin) and finds the enterprise USCC', () => {
  const pki = testPki();
  const leaf = pki.get('bjca-ent');
  const r = runCli(['inspect', '--json', '--password-stdin', leaf.pfx!.modern!], { input: `${leaf.pfx!.password}\r\n` });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { files: Array<{ certificates: Array<Record<string, unknown>> }> };
  const cert = report.files[0]!.certificates[0]!;
  assert.match(JSON.stringify(cert), new RegExp(leaf.expect.uscc!));
});
