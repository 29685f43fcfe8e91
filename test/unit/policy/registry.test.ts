import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  loadPolicy, POLICY_SCHEMA, REGISTRY_MAP, registryDocument, resolvePolicy,
  type LayerInput, type RegistryLayerInput, type RegistryReader, type RegistryValue,
} from '../../../main/policy/index.ts';
import { REG_BINARY, REG_DWORD, REG_EXPAND_SZ, REG_MULTI_SZ, REG_SZ } from '../../../main/policy/registry-map.ts';

// Values encoded as RegEnumValueW hands them over: UTF-16LE with terminators, DWORD little-endian.
const sz = (name: string, s: string, type = REG_SZ): RegistryValue => ({ name, type, data: new Uint8Array(Buffer.from(`${s}\0`, 'utf16le')) });
const multi = (name: string, items: string[]): RegistryValue => ({ name, type: REG_MULTI_SZ, data: new Uint8Array(Buffer.from(`${items.join('\0')}\0\0`, 'utf16le')) });
const dword = (name: string, n: number): RegistryValue => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return { name, type: REG_DWORD, data: new Uint8Array(b) };
};
const reg = (...values: RegistryValue[]): RegistryLayerInput => ({ status: 'read', values });
const absent: LayerInput = { status: 'absent' };
const file = (document: unknown, p = 'C:\\ProgramData\\CertAssistant\\policy.json'): LayerInput => ({ status: 'read', path: p, document });

test('the registry map names every policy key of the schema with its value type (what the ADMX templates are made from)', () => {
  const schemaKeys = Object.keys(POLICY_SCHEMA.properties).filter((k) => k !== '$schema').sort();
  assert.deepEqual(Object.keys(REGISTRY_MAP).sort(), schemaKeys);
  const t = (k: string) => [REGISTRY_MAP[k]!.type, REGISTRY_MAP[k]!.kind];
  assert.deepEqual(t('clockSkewSeconds'), ['REG_DWORD', 'number']);
  assert.deepEqual(t('windowsStoreLocalMachine'), ['REG_DWORD', 'boolean']);
  assert.deepEqual(t('pkcs11Modules'), ['REG_MULTI_SZ', 'list']);
  assert.deepEqual(t('allowedOrigins'), ['REG_MULTI_SZ', 'list']);
  assert.deepEqual(t('portalOrigins'), ['REG_MULTI_SZ', 'list-or-json']);
  assert.deepEqual(t('portalHome'), ['REG_SZ', 'string']);
  assert.deepEqual(t('language'), ['REG_SZ', 'string']);
  assert.equal(REGISTRY_MAP['guideBundlePublicKey']!.nullable, true);
  for (const m of Object.values(REGISTRY_MAP)) assert.ok(Object.isFrozen(m));
});

test('registry values decode by type: strings, DWORD numbers and 0/1 switches, multi-strings, JSON items; names are case-insensitive', () => {
  const { document, problems } = registryDocument([
    sz('Language', 'en'),
    dword('clockSkewSeconds', 60),
    dword('windowsStoreLocalMachine', 1),
    multi('pkcs11Modules', ['C:\\Windows\\System32\\a.dll', '', 'D:\\证书\\b.dll']),
    multi('portalOrigins', ['https://www.hbzwfw.gov.cn', '{"origin":"https://*.hbzwfw.gov.cn","name":"各市站点"}']),
    sz('guideBundlePublicKey', ''),
    sz('comment', 'deployed by GPO', REG_EXPAND_SZ),
    sz('', 'the (Default) value'),
  ], 'HKLM');
  assert.deepEqual(problems, []);
  assert.deepEqual(document, {
    language: 'en', clockSkewSeconds: 60, windowsStoreLocalMachine: true,
    pkcs11Modules: ['C:\\Windows\\System32\\a.dll', 'D:\\证书\\b.dll'],
    portalOrigins: ['https://www.hbzwfw.gov.cn', { origin: 'https://*.hbzwfw.gov.cn', name: '各市站点' }],
    guideBundlePublicKey: null, comment: 'deployed by GPO',
  });
});

test('an undecodable value is dropped with POLICY_INVALID naming the full registry path; the others stay', () => {
  const { document, problems } = registryDocument([
    sz('clockSkewSeconds', '60'), // a string where a DWORD belongs
    dword('windowsStoreLocalMachine', 2),
    sz('allowedOrigins', 'https://www.hbzwfw.gov.cn'), // REG_SZ where REG_MULTI_SZ belongs
    multi('portalOrigins', ['{not json']),
    { name: 'language', type: REG_BINARY, data: new Uint8Array([0x65, 0x6e]) },
    sz('bogusKey', 'x'),
    sz('portalHome', 'https://www.hbzwfw.gov.cn/'),
  ], 'HKCU');
  assert.deepEqual(document, { portalHome: 'https://www.hbzwfw.gov.cn/' });
  assert.deepEqual(problems.map((p) => [p.code, p.details?.['key']]), [
    ['POLICY_INVALID', 'clockSkewSeconds'], ['POLICY_INVALID', 'windowsStoreLocalMachine'], ['POLICY_INVALID', 'allowedOrigins'],
    ['POLICY_INVALID', 'portalOrigins'], ['POLICY_INVALID', 'language'], ['POLICY_INVALID', 'bogusKey'],
  ]);
  assert.match(problems[0]!.message, /HKCU\\SOFTWARE\\Policies\\CertAssistant\\clockSkewSeconds/);
  assert.match(problems[0]!.message, /类型应为 REG_DWORD/);
  assert.equal(problems[0]!.details?.['source'], 'registry:HKCU');
});

test('order, strongest first: HKLM, the machine file, HKCU, user settings, defaults — each value with its source', () => {
  const r = resolvePolicy({
    platform: 'win32',
    machine: file({ language: 'zh-CN', clockSkewSeconds: 120, trustAnchorDirs: ['C:\\ProgramData\\CertAssistant\\trust'] }),
    user: { status: 'read', path: 'C:\\Users\\u\\AppData\\Roaming\\CertAssistant\\settings.json', document: { language: 'en', portalHome: 'https://ts.hbzwfw.gov.cn/' } },
    registry: {
      machine: reg(dword('clockSkewSeconds', 30)),
      user: reg(sz('language', 'en'), dword('clockSkewSeconds', 900), multi('pkcs11Modules', ['C:\\Windows\\System32\\HebcaP11X.dll'])),
    },
  });
  assert.deepEqual(r.problems, []);
  assert.equal(r.policy.clockSkewSeconds, 30);
  assert.equal(r.valueSources.clockSkewSeconds, 'registry:HKLM');
  assert.equal(r.policy.language, 'zh-CN');
  assert.equal(r.valueSources.language, 'file:C:\\ProgramData\\CertAssistant\\policy.json');
  assert.deepEqual(r.policy.pkcs11Modules, ['C:\\Windows\\System32\\HebcaP11X.dll']);
  assert.equal(r.valueSources.pkcs11Modules, 'registry:HKCU');
  assert.equal(r.policy.portalHome, 'https://ts.hbzwfw.gov.cn/');
  assert.equal(r.valueSources.portalHome, 'user');
  assert.equal(r.valueSources.allowedOrigins, 'default');
  assert.deepEqual(r.sources.map((s) => [s.layer, s.status]), [
    ['defaults', 'applied'], ['machine', 'applied'], ['user', 'applied'], ['machine-registry', 'applied'], ['user-registry', 'applied'],
  ]);
  // The user's language lost to the administrator's and is not reported as applied.
  assert.deepEqual(r.sources.find((s) => s.layer === 'user')?.keys, ['portalHome']);
});

test('a bad registry value costs only its own key: the next layer applies and the problem names it', () => {
  const r = resolvePolicy({
    platform: 'win32', user: absent,
    machine: file({ clockSkewSeconds: 120 }),
    registry: { machine: reg(dword('clockSkewSeconds', 99999), multi('allowedOrigins', ['http://evil.example.com']), sz('language', 'en')) },
  });
  assert.equal(r.policy.clockSkewSeconds, 120);
  assert.equal(r.valueSources.clockSkewSeconds, 'file:C:\\ProgramData\\CertAssistant\\policy.json');
  assert.equal(r.valueSources.allowedOrigins, 'default');
  assert.equal(r.policy.language, 'en');
  assert.deepEqual(r.problems.map((p) => [p.code, p.details?.['key'], p.details?.['path']]), [
    ['POLICY_INVALID', 'clockSkewSeconds', '/clockSkewSeconds'], ['POLICY_INVALID', 'allowedOrigins', '/allowedOrigins/0'],
  ]);
  assert.match(r.problems[0]!.message, /注册表策略值无效.*clockSkewSeconds/);
  assert.deepEqual(r.sources.find((s) => s.layer === 'machine-registry')?.invalidKeys, ['clockSkewSeconds', 'allowedOrigins']);
  // Paths must be absolute for Windows.
  const rel = resolvePolicy({ platform: 'win32', user: absent, machine: absent, registry: { machine: reg(multi('skfModules', ['vendor_skf.dll'])) } });
  assert.deepEqual(rel.policy.skfModules, []);
  assert.equal(rel.problems[0]?.details?.['path'], '/skfModules/0');
});

test('portal sites from Group Policy: allowed origins follow them; a home outside them is refused; no home at all → the first site', () => {
  const r = resolvePolicy({
    platform: 'win32', user: absent, machine: absent,
    registry: { machine: reg(multi('portalOrigins', ['https://zwfw.example.gov.cn'])), user: reg(sz('portalHome', 'https://www.hbzwfw.gov.cn/')) },
  });
  assert.deepEqual(r.policy.allowedOrigins, ['https://zwfw.example.gov.cn']);
  assert.equal(r.valueSources.allowedOrigins, 'registry:HKLM');
  assert.equal(r.policy.portalHome, 'https://zwfw.example.gov.cn/');
  assert.deepEqual(r.problems.map((p) => [p.code, p.details?.['key']]), [['POLICY_INVALID', 'portalHome'], ['POLICY_INVALID', 'portalHome']]);
});

test('loadPolicy reads both hives through the injected reader; a reader that fails is POLICY_UNREADABLE and nothing else breaks', () => {
  const calls: string[] = [];
  const reader: RegistryReader = (hive, subkey) => {
    calls.push(`${hive}\\${subkey}`);
    return hive === 'HKLM' ? [sz('language', 'en')] : null;
  };
  const r = loadPolicy({ platform: 'win32', env: {}, home: 'C:\\Users\\u', machinePath: null, userPath: null, registry: reader });
  assert.deepEqual(calls, ['HKLM\\SOFTWARE\\Policies\\CertAssistant', 'HKCU\\SOFTWARE\\Policies\\CertAssistant']);
  assert.equal(r.policy.language, 'en');
  assert.equal(r.sources.find((s) => s.layer === 'user-registry')?.status, 'absent');

  const broken = loadPolicy({ platform: 'win32', env: {}, home: 'C:\\Users\\u', machinePath: null, userPath: null, registry: () => { throw new Error('access denied'); } });
  assert.deepEqual(broken.problems.map((p) => p.code), ['POLICY_UNREADABLE', 'POLICY_UNREADABLE']);
  assert.equal(broken.policy.language, 'zh-CN');
  // Not Windows: no registry is read unless a reader is given.
  assert.ok(!loadPolicy({ platform: 'linux', env: {}, home: '/home/u', machinePath: null, userPath: null }).sources.some((s) => s.layer.includes('registry')));
});
