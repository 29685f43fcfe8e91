/**
 * `doctor` lists the configured SKF libraries and whether each loads in the key-store worker
 * (check id `skf-modules`): the rules with stand-ins, then the CLI with the fake SKF key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { diagnose, run, type DoctorDeps, type DoctorReport, type ModuleFact } from '../../../main/cli/commands/doctor.ts';
import { AssistantError } from '../../../main/errors.ts';
import { resolvePolicy } from '../../../main/policy/index.ts';
import { doctorDeps } from '../../support/doctor.ts';
import { getTestPki } from '../../fixtures/pki.ts';
import { parseCertificate } from '../../../main/pki/certificate.ts';
import { buildFakeSkf, fakeSkfEnv, skipFakeSkf } from '../../support/fake-skf.ts';

function deps(over: Partial<DoctorDeps> = {}): DoctorDeps {
  return doctorDeps({
    profileModules: async () => ({ profiles: 1, modules: [] }),
    profileSkfModules: async () => [{ profile: 'bjca', name: 'libgm3000.so' }],
    libraryDirs: ['/lib-a'],
    exists: (p) => p === '/lib-a/libgm3000.so' || p === '/opt/skf/libvendor.so',
    describeModule: async () => ({ library: 'x', slots: 0, tokens: 0 }),
    describeSkf: async () => ({ devices: 1 }),
    ...over,
  });
}
const check = (r: DoctorReport, id: string) => r.checks.find((c) => c.id === id);
const policyWith = (skfModules: string[]) => resolvePolicy({ platform: 'linux', user: { status: 'absent' }, machine: { status: 'read', document: { skfModules } } });

test('skf-modules: listed after pkcs11-modules; a profile library that loads passes with its device count', async () => {
  const r = await diagnose(deps({ policy: policyWith(['/opt/skf/libvendor.so']) }));
  const ids = r.checks.map((c) => c.id);
  assert.equal(ids.indexOf('skf-modules'), ids.indexOf('pkcs11-modules') + 1);
  assert.equal(check(r, 'skf-modules')?.status, 'pass');
  assert.deepEqual((r.facts['skfModules'] as ModuleFact[]).map((m) => [m.name, m.source, m.path, m.loads, m.devices]), [
    ['/opt/skf/libvendor.so', 'policy', '/opt/skf/libvendor.so', true, 1],
    ['libgm3000.so', 'profile:bjca', '/lib-a/libgm3000.so', true, 1],
  ]);
  assert.match(check(r, 'skf-modules')?.messageEn ?? '', /SKF libraries load/);
});

test('skf-modules: a policy library missing or not loading fails; a profile one that does not load warns; none configured passes', async () => {
  const missing = await diagnose(deps({ policy: policyWith(['/opt/skf/absent.so']) }));
  assert.equal(check(missing, 'skf-modules')?.status, 'fail');
  assert.equal(missing.ok, false);
  assert.match(check(missing, 'skf-modules')?.message ?? '', /absent\.so（不存在）/);

  const refuse = async (): Promise<never> => { throw new AssistantError('MODULE_NOT_SKF', '不是 SKF 驱动', { en: 'not an SKF library' }); };
  const policyBroken = await diagnose(deps({ policy: policyWith(['/opt/skf/libvendor.so']), describeSkf: refuse }));
  assert.equal(check(policyBroken, 'skf-modules')?.status, 'fail');
  assert.match(check(policyBroken, 'skf-modules')?.message ?? '', /MODULE_NOT_SKF/);

  const profileBroken = await diagnose(deps({ describeSkf: refuse }));
  assert.equal(check(profileBroken, 'skf-modules')?.status, 'warn');
  assert.equal((profileBroken.facts['skfModules'] as ModuleFact[])[0]?.error?.code, 'MODULE_NOT_SKF');

  const none = await diagnose(deps({ profileSkfModules: async () => [] }));
  assert.equal(check(none, 'skf-modules')?.status, 'pass');
  assert.match(check(none, 'skf-modules')?.message ?? '', /skfModules/);
});

test('CLI doctor --json with a policy naming the fake SKF library loads it in the worker', { skip: skipFakeSkf }, async () => {
  const pki = await getTestPki();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-skf-doctor-'));
  try {
    const lib = buildFakeSkf(tmp);
    const made = fakeSkfEnv(pki.get('hebca-sm2-ent'), tmp);
    const env = { ...process.env, ...made.env, HOME: tmp, XDG_CONFIG_HOME: path.join(tmp, 'cfg') };
    const policyFile = path.join(tmp, 'policy.json');
    const run1 = async (policy: unknown, now = new Date()): Promise<DoctorReport> => {
      fs.writeFileSync(policyFile, JSON.stringify(policy));
      fs.chmodSync(policyFile, 0o644);
      let out = '';
      const stdout = new PassThrough();
      stdout.on('data', (d) => (out += d));
      const code = await run(['--json', '--policy', policyFile], { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env, cwd: tmp, now: () => now });
      const report = JSON.parse(out) as DoctorReport;
      assert.equal(code, report.ok ? 0 : 1);
      return report;
    };
    const good = await run1({ version: 1, skfModules: [lib] });
    assert.equal(check(good, 'skf-modules')?.status, 'pass', JSON.stringify(good.facts['skfModules']));
    const fact = (good.facts['skfModules'] as ModuleFact[]).find((m) => m.path === lib);
    assert.equal(fact?.loads, true);
    assert.equal(fact?.devices, 1);

    // Ten days before the key's certificate expires, doctor names it among the expiring certificates.
    const leaf = parseCertificate(fs.readFileSync(pki.get('hebca-sm2-ent').certDer));
    const soon = await run1({ version: 1, skfModules: [lib] }, new Date(leaf.notAfter.getTime() - 10 * 86_400_000));
    const expiring = check(soon, 'certificates-expiring');
    assert.equal(expiring?.status, 'warn', JSON.stringify(expiring));
    assert.match(expiring?.message ?? '', /USB Key（/);

    // A PKCS#11 library is not an SKF library: the policy asked for it, so the check fails.
    const softhsm = '/usr/lib/softhsm/libsofthsm2.so';
    if (fs.existsSync(softhsm)) {
      const bad = await run1({ version: 1, skfModules: [softhsm] });
      assert.equal(check(bad, 'skf-modules')?.status, 'fail');
      assert.equal((bad.facts['skfModules'] as ModuleFact[])[0]?.loads, false);
      assert.equal(bad.ok, false);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
