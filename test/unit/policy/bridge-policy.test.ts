// Policy for the bridge (the CA assistants' loopback protocols): bridgeEnabled, bridgeProtocols,
// and the machine-only bridgeAcceptPagePin — from the machine file and HKLM, never from user
// settings or user Group Policy (HKCU).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_ONLY_KEYS, defaultPolicy, REGISTRY_MAP, resolvePolicy, type LayerInput, type RegistryValue } from '../../../main/policy/index.ts';
import { MACHINE_ONLY_KEYS } from '../../../main/policy/schema.ts';
import { REG_DWORD, REG_MULTI_SZ } from '../../../main/policy/registry-map.ts';
import { generateAdmx } from '../../../main/policy/admx.ts';

const absent: LayerInput = { status: 'absent' };
const read = (document: unknown, p = 'C:\\ProgramData\\CertAssistant\\policy.json'): LayerInput => ({ status: 'read', path: p, document });
const dword = (name: string, n: number): RegistryValue => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return { name, type: REG_DWORD, data: new Uint8Array(b) };
};
const multi = (name: string, items: string[]): RegistryValue => ({ name, type: REG_MULTI_SZ, data: new Uint8Array(Buffer.from(`${items.join('\0')}\0\0`, 'utf16le')) });

test('defaults: the bridge serves both protocols and drops page PINs', () => {
  const p = defaultPolicy();
  assert.equal(p.bridgeEnabled, true);
  assert.deepEqual(p.bridgeProtocols, ['bjca', 'hebca']);
  assert.equal(p.bridgeAcceptPagePin, false);
  for (const k of ['bridgeEnabled', 'bridgeProtocols', 'bridgeAcceptPagePin']) assert.ok((ADMIN_ONLY_KEYS as readonly string[]).includes(k), k);
  assert.deepEqual([...MACHINE_ONLY_KEYS], ['bridgeAcceptPagePin']);
});

test('the machine policy file sets all three; an unknown protocol rejects the file with its JSON path', () => {
  const r = resolvePolicy({ platform: 'win32', user: absent, machine: read({ bridgeEnabled: false, bridgeProtocols: ['hebca'], bridgeAcceptPagePin: true }) });
  assert.deepEqual(r.problems, []);
  assert.equal(r.policy.bridgeEnabled, false);
  assert.deepEqual(r.policy.bridgeProtocols, ['hebca']);
  assert.equal(r.policy.bridgeAcceptPagePin, true);
  assert.equal(r.valueSources.bridgeAcceptPagePin, 'file:C:\\ProgramData\\CertAssistant\\policy.json');
  const bad = resolvePolicy({ platform: 'win32', user: absent, machine: read({ bridgeProtocols: ['cfca'] }) });
  assert.equal(bad.problems[0]?.code, 'POLICY_INVALID');
  assert.equal(bad.problems[0]?.details?.['path'], '/bridgeProtocols/0');
  assert.deepEqual(bad.policy.bridgeProtocols, ['bjca', 'hebca']);
  const twice = resolvePolicy({ platform: 'win32', user: absent, machine: read({ bridgeProtocols: ['bjca', 'bjca'] }) });
  assert.equal(twice.problems[0]?.code, 'POLICY_INVALID');
});

test('user settings cannot turn page PINs on, nor re-enable a bridge the administrator turned off', () => {
  const r = resolvePolicy({
    platform: 'linux',
    machine: read({ bridgeEnabled: false }, '/etc/cert-assistant/policy.json'),
    user: read({ bridgeAcceptPagePin: true, bridgeEnabled: true, language: 'en' }, '/home/u/.config/cert-assistant/settings.json'),
  });
  assert.equal(r.policy.bridgeAcceptPagePin, false);
  assert.equal(r.policy.bridgeEnabled, false);
  assert.equal(r.policy.language, 'en');
  const ignored = r.problems.find((p) => p.code === 'POLICY_USER_KEY_IGNORED');
  assert.deepEqual(ignored?.details?.['keys'], ['bridgeAcceptPagePin', 'bridgeEnabled']);
});

test('HKLM may allow page PINs; HKCU may not (machine policy only), and says so', () => {
  const hklm = resolvePolicy({ platform: 'win32', user: absent, machine: absent, registry: { machine: { status: 'read', values: [dword('bridgeAcceptPagePin', 1), multi('bridgeProtocols', ['bjca'])] } } });
  assert.deepEqual(hklm.problems, []);
  assert.equal(hklm.policy.bridgeAcceptPagePin, true);
  assert.equal(hklm.valueSources.bridgeAcceptPagePin, 'registry:HKLM');
  assert.deepEqual(hklm.policy.bridgeProtocols, ['bjca']);

  const hkcu = resolvePolicy({ platform: 'win32', user: absent, machine: absent, registry: { user: { status: 'read', values: [dword('bridgeAcceptPagePin', 1), dword('bridgeEnabled', 0)] } } });
  assert.equal(hkcu.policy.bridgeAcceptPagePin, false);
  assert.equal(hkcu.policy.bridgeEnabled, false, 'other admin keys still come from HKCU Group Policy');
  const p = hkcu.problems.find((x) => x.details?.['key'] === 'bridgeAcceptPagePin');
  assert.equal(p?.code, 'POLICY_INVALID');
  assert.match(p!.message, /只能在计算机策略/);
  assert.deepEqual(hkcu.sources.find((s) => s.layer === 'user-registry')?.invalidKeys, ['bridgeAcceptPagePin']);
});

test('registry map and ADMX carry the bridge keys, computer-only, with their types', () => {
  assert.deepEqual([REGISTRY_MAP['bridgeEnabled']!.type, REGISTRY_MAP['bridgeEnabled']!.kind], ['REG_DWORD', 'boolean']);
  assert.deepEqual([REGISTRY_MAP['bridgeProtocols']!.type, REGISTRY_MAP['bridgeProtocols']!.kind], ['REG_MULTI_SZ', 'list']);
  assert.deepEqual([REGISTRY_MAP['bridgeAcceptPagePin']!.type, REGISTRY_MAP['bridgeAcceptPagePin']!.kind], ['REG_DWORD', 'boolean']);
  const t = generateAdmx();
  for (const key of ['bridgeEnabled', 'bridgeProtocols', 'bridgeAcceptPagePin']) {
    assert.match(t.admx, new RegExp(`<policy name="${key}" class="Machine"`), key);
    assert.match(t.adml['zh-CN'], new RegExp(`HKLM\\\\SOFTWARE\\\\Policies\\\\CertAssistant\\\\${key}`), key);
  }
});
