/**
 * doctor under Node for Windows, through the bundled CLI: a 32-bit (i686) driver DLL configured by
 * policy for this 64-bit process is reported as the reason the USB key "does nothing"; the x86_64
 * build of the same driver loads.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fakeDll, runCli } from './support.ts';

const tag = `ca-doctor-${process.pid}`;
const vendor = path.join(process.env['ProgramFiles'] ?? 'C:\\Program Files', tag);
const policyDir = path.join(process.env['ProgramData'] ?? 'C:\\ProgramData', tag);

before(() => {
  fs.mkdirSync(vendor, { recursive: true });
  fs.mkdirSync(policyDir, { recursive: true });
  fs.copyFileSync(fakeDll('pkcs11-pin-pad', 'x86'), path.join(vendor, 'p11-32.dll'));
  fs.copyFileSync(fakeDll('pkcs11-pin-pad', 'x64'), path.join(vendor, 'p11-64.dll'));
});
after(() => {
  fs.rmSync(vendor, { recursive: true, force: true });
  fs.rmSync(policyDir, { recursive: true, force: true });
});

function doctor(module: string) {
  const file = path.join(policyDir, `${path.basename(module)}.json`);
  fs.writeFileSync(file, JSON.stringify({ pkcs11Modules: [module] }));
  const r = runCli(['doctor', '--json', '--policy', file]);
  type Report = { ok: boolean; checks: Array<{ id: string; status: string; message: string }>; facts: { pkcs11Modules: Array<{ path: string; machine?: string; loads?: boolean; error?: { code: string } }> } };
  return { status: r.status, stderr: r.stderr, report: JSON.parse(r.stdout) as Report };
}

test('a 32-bit driver in a 64-bit process: DRIVER_ARCH_MISMATCH with the fix, exit 1', () => {
  const { status, report, stderr } = doctor(path.join(vendor, 'p11-32.dll'));
  assert.equal(status, 1, stderr);
  const arch = report.checks.find((c) => c.id === 'driver-arch');
  assert.equal(arch?.status, 'fail', JSON.stringify(report.checks));
  assert.match(arch.message, /32 位 \(x86\)[\s\S]*插上没反应/u);
  const fact = report.facts.pkcs11Modules.find((m) => m.path.endsWith('p11-32.dll'))!;
  assert.deepEqual([fact.machine, fact.loads, fact.error?.code], ['x86', false, 'DRIVER_ARCH_MISMATCH']);
});

test('the 64-bit build of the same driver matches and loads in the worker', () => {
  const { report } = doctor(path.join(vendor, 'p11-64.dll'));
  assert.equal(report.checks.find((c) => c.id === 'driver-arch')?.status, 'pass', JSON.stringify(report.checks));
  const fact = report.facts.pkcs11Modules.find((m) => m.path.endsWith('p11-64.dll'))!;
  assert.deepEqual([fact.machine, fact.loads], ['x64', true]);
});
