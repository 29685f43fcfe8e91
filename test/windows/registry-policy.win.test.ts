// Group Policy from the real registry: values written with reg.exe under HKLM/HKCU
// \SOFTWARE\Policies\CertAssistant, read through advapi32, shown by `policy show --json` with
// the source of each value.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readRegistryValues } from '../../main/policy/registry-reader.ts';
import { registryDocument } from '../../main/policy/registry.ts';
import { runCli } from './support.ts';

const KEY = 'SOFTWARE\\Policies\\CertAssistant';

function reg(args: string[]): void {
  const r = spawnSync('reg.exe', args, { stdio: 'ignore', timeout: 60_000 });
  assert.equal(r.status, 0, `reg ${args.join(' ')}`);
}
const regAdd = (hive: 'HKLM' | 'HKCU', name: string, type: string, data: string) => reg(['add', `${hive}\\${KEY}`, '/v', name, '/t', type, '/d', data, '/f']);
const regClear = (hive: 'HKLM' | 'HKCU') => spawnSync('reg.exe', ['delete', `${hive}\\${KEY}`, '/f'], { stdio: 'ignore', timeout: 60_000 });

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-regpol-'));
const programData = path.join(home, 'ProgramData');
const env = { ...process.env, APPDATA: path.join(home, 'Roaming'), ProgramData: programData, PROGRAMDATA: programData, USERPROFILE: home };

interface Shown { ok: boolean; values: Record<string, { value: unknown; source: string }>; problems: Array<{ code: string; message: string; details?: Record<string, unknown> }>; sources: Array<{ layer: string; status: string }> }

function show(args: string[] = []): { status: number | null; out: Shown; stderr: string } {
  const r = runCli(['policy', 'show', '--json', ...args], { env });
  return { status: r.status, out: JSON.parse(r.stdout) as Shown, stderr: r.stderr };
}

before(() => {
  regClear('HKLM');
  regClear('HKCU');
});
after(() => {
  regClear('HKLM');
  regClear('HKCU');
  fs.rmSync(home, { recursive: true, force: true });
});

test('advapi32 reader: REG_SZ, REG_DWORD and REG_MULTI_SZ values come back as written; a missing key is null', () => {
  assert.equal(readRegistryValues('HKLM', KEY), null);
  regAdd('HKLM', 'language', 'REG_SZ', 'en');
  regAdd('HKLM', 'clockSkewSeconds', 'REG_DWORD', '60');
  regAdd('HKLM', 'pkcs11Modules', 'REG_MULTI_SZ', 'C:\\Windows\\System32\\a.dll\\0C:\\Program Files\\证书\\b.dll');
  const values = readRegistryValues('HKLM', KEY)!;
  assert.deepEqual(values.map((v) => v.name).sort(), ['clockSkewSeconds', 'language', 'pkcs11Modules']);
  const { document, problems } = registryDocument(values, 'HKLM');
  assert.deepEqual(problems, []);
  assert.deepEqual(document, { language: 'en', clockSkewSeconds: 60, pkcs11Modules: ['C:\\Windows\\System32\\a.dll', 'C:\\Program Files\\证书\\b.dll'] });
});

test('policy show --json: each value with its source; HKLM beats the machine file, which beats HKCU', () => {
  regAdd('HKCU', 'language', 'REG_SZ', 'zh-CN');
  regAdd('HKCU', 'portalHome', 'REG_SZ', 'https://hd.hbzwfw.gov.cn/');
  regAdd('HKCU', 'windowsStoreLocalMachine', 'REG_DWORD', '1');
  const file = path.join(home, 'policy.json');
  fs.writeFileSync(file, JSON.stringify({ clockSkewSeconds: 120, windowsStoreLocalMachine: false }));
  const { status, out } = show(['--policy', file]);
  assert.equal(status, 0, JSON.stringify(out.problems));
  assert.equal(out.ok, true);
  assert.deepEqual(out.values['language'], { value: 'en', source: 'registry:HKLM' });
  assert.deepEqual(out.values['clockSkewSeconds'], { value: 60, source: 'registry:HKLM' });
  assert.deepEqual(out.values['windowsStoreLocalMachine'], { value: false, source: `file:${file}` });
  assert.deepEqual(out.values['portalHome'], { value: 'https://hd.hbzwfw.gov.cn/', source: 'registry:HKCU' });
  assert.equal(out.values['allowedOrigins']?.source, 'default');
  assert.deepEqual(out.sources.map((s) => [s.layer, s.status]).filter(([l]) => l!.includes('registry')), [['machine-registry', 'applied'], ['user-registry', 'applied']]);
});

test('a bad registry value: POLICY_INVALID naming it, exit 1, the next layer (or the default) applies', () => {
  regAdd('HKLM', 'clockSkewSeconds', 'REG_DWORD', '99999');
  regAdd('HKLM', 'allowedOrigins', 'REG_SZ', 'https://www.hbzwfw.gov.cn');
  const { status, out, stderr } = show();
  assert.equal(status, 1);
  assert.equal(out.ok, false);
  assert.match(stderr, /POLICY_INVALID/);
  const keys = out.problems.filter((p) => p.code === 'POLICY_INVALID').map((p) => p.details?.['key']).sort();
  assert.deepEqual(keys, ['allowedOrigins', 'clockSkewSeconds']);
  assert.ok(out.problems.some((p) => /HKLM\\SOFTWARE\\Policies\\CertAssistant\\clockSkewSeconds/.test(p.message)));
  assert.deepEqual(out.values['clockSkewSeconds'], { value: 300, source: 'default' });
  // The good values of the same hive still apply.
  assert.deepEqual(out.values['language'], { value: 'en', source: 'registry:HKLM' });
});
