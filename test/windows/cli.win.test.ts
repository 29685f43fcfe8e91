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

test('inspect reads a PFX (password on stdin): the enterprise USCC, and a chain verdict against the anchors given', () => {
  const pki = testPki();
  const leaf = pki.get('bjca-ent');
  const input = `${leaf.pfx!.password}\r\n`;
  const r = runCli(['inspect', '--json', '--password-stdin', '--trust', pki.get('bjca-root').certPem, leaf.pfx!.modern!], { input });
  assert.equal(r.status, 0, r.stderr + r.stdout.slice(0, 3000));
  type Report = { files: Array<{ certificates: Array<{ identity: { uscc: { value: string } | null }; checks: Array<{ id: string; status: string }> }> }> };
  const cert = (JSON.parse(r.stdout) as Report).files[0]!.certificates[0]!;
  assert.equal(cert.identity.uscc?.value, leaf.expect.uscc);
  assert.equal(cert.checks.find((c) => c.id === 'chain')?.status, 'pass');
  // Windows' own Trusted Root store counts as anchors, so a chain to a root not in it fails (exit 1).
  const untrusted = runCli(['inspect', '--json', '--password-stdin', leaf.pfx!.modern!], { input });
  assert.equal(untrusted.status, 1, untrusted.stderr);
  assert.equal((JSON.parse(untrusted.stdout) as Report).files[0]!.certificates[0]!.checks.find((c) => c.id === 'chain')?.status, 'fail');
});
