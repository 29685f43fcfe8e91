import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  defaultPolicy, loadPolicy, machinePolicyPath, readPolicyLayer, resolvePolicy, userSettingsPath, type LayerInput,
} from '../../../main/policy/index.ts';

const absent: LayerInput = { status: 'absent' };
const read = (document: unknown, p = '/etc/cert-assistant/policy.json'): LayerInput => ({ status: 'read', path: p, document });

test('defaults: the Hebei portal, its seen city sites, zh-CN, no extra modules or anchors', () => {
  const { policy, sources, problems } = resolvePolicy({ machine: absent, user: absent, platform: 'linux' });
  assert.deepEqual(policy, defaultPolicy());
  assert.equal(policy.portalHome, 'https://www.hbzwfw.gov.cn');
  assert.deepEqual(policy.portalOrigins.map((s) => [s.origin, s.status]), [
    ['https://www.hbzwfw.gov.cn', 'confirmed'], ['https://hd.hbzwfw.gov.cn', 'seen'], ['https://ts.hbzwfw.gov.cn', 'seen'],
  ]);
  assert.deepEqual(policy.allowedOrigins, policy.portalOrigins.map((s) => s.origin));
  assert.deepEqual([policy.pkcs11Modules, policy.trustAnchorDirs, policy.language, policy.clockSkewSeconds], [[], [], 'zh-CN', 300]);
  assert.deepEqual(sources.map((s) => [s.layer, s.status]), [['defaults', 'applied'], ['machine', 'absent'], ['user', 'absent']]);
  assert.deepEqual(problems, []);
});

test('machine policy overrides defaults; allowed origins follow a new portal list; origins normalised', () => {
  const { policy, sources } = resolvePolicy({
    platform: 'linux', user: absent,
    machine: read({
      version: 1,
      portalOrigins: ['HTTPS://WWW.HBZWFW.GOV.CN/', { origin: 'https://*.hbzwfw.gov.cn', name: '各市站点' }, 'http://127.0.0.1:8443'],
      pkcs11Modules: ['/usr/lib/softhsm/libsofthsm2.so'],
      trustAnchorDirs: ['/etc/cert-assistant/trust'],
      clockSkewSeconds: 60,
    }),
  });
  assert.deepEqual(policy.portalOrigins.map((s) => s.origin), ['https://www.hbzwfw.gov.cn', 'https://*.hbzwfw.gov.cn', 'http://127.0.0.1:8443']);
  assert.equal(policy.portalOrigins[1]?.name, '各市站点');
  assert.ok(policy.portalOrigins.every((s) => s.status === 'configured'));
  assert.deepEqual(policy.allowedOrigins, ['https://www.hbzwfw.gov.cn', 'https://*.hbzwfw.gov.cn', 'http://127.0.0.1:8443']);
  assert.deepEqual(policy.pkcs11Modules, ['/usr/lib/softhsm/libsofthsm2.so']);
  assert.equal(policy.clockSkewSeconds, 60);
  assert.equal(sources[1]?.status, 'applied');
  // An explicit allowedOrigins list narrows who may ask for a signature.
  const narrow = resolvePolicy({ platform: 'linux', user: absent, machine: read({ allowedOrigins: ['https://www.hbzwfw.gov.cn'] }) });
  assert.deepEqual(narrow.policy.allowedOrigins, ['https://www.hbzwfw.gov.cn']);
  assert.equal(narrow.policy.portalOrigins.length, 3);
});

test('a bad machine policy is rejected whole with POLICY_INVALID and the JSON path; defaults stay', () => {
  const cases: [unknown, string][] = [
    [{ allowedOrigins: ['https://ok.example.gov.cn', 'ftp://x'] }, '/allowedOrigins/1'],
    [{ allowedOrigins: ['http://evil.example.com'] }, '/allowedOrigins/0'], // http only for loopback
    [{ portalOrigins: ['https://*.cn'] }, '/portalOrigins/0'], // wildcard far too wide
    [{ portalOrigins: [{ origin: 'javascript:alert(1)' }] }, '/portalOrigins/0/origin'],
    [{ pkcs11Modules: ['libsofthsm2.so'] }, '/pkcs11Modules/0'],
    [{ trustAnchorDirs: ['relative/dir'] }, '/trustAnchorDirs/0'],
    [{ clockSkewSeconds: 99999 }, '/clockSkewSeconds'],
    [{ clockSkewSeconds: '60' }, '/clockSkewSeconds'],
    [{ language: 'fr' }, '/language'],
    [{ bogus: true }, '/bogus'],
    [{ guideBundlePublicKey: 'not a key' }, '/guideBundlePublicKey'],
    [{ portalHome: 'https://www.example.com/' }, '/portalHome'],
    [[1, 2], '/'],
    ['text', '/'],
    [null, '/'],
  ];
  for (const [doc, at] of cases) {
    const r = resolvePolicy({ platform: 'linux', user: absent, machine: read(doc) });
    assert.deepEqual(r.policy, defaultPolicy(), JSON.stringify(doc));
    assert.equal(r.sources[1]?.status, 'invalid');
    assert.equal(r.problems.length, 1);
    const p = r.problems[0];
    assert.equal(p?.code, 'POLICY_INVALID');
    assert.equal(p?.details?.['path'], at, JSON.stringify(doc));
    assert.equal(p?.details?.['file'], '/etc/cert-assistant/policy.json');
    assert.match(p?.message ?? '', /策略文件无效/);
  }
});

test('Windows policy paths: drive-absolute and UNC module paths are accepted, relative ones are not', () => {
  const ok = resolvePolicy({ platform: 'win32', user: absent, machine: read({ pkcs11Modules: ['C:\\Windows\\System32\\HebcaP11X.dll', '\\\\server\\share\\x.dll'] }) });
  assert.equal(ok.problems.length, 0);
  const bad = resolvePolicy({ platform: 'win32', user: absent, machine: read({ pkcs11Modules: ['HebcaP11X.dll'] }) });
  assert.equal(bad.problems[0]?.code, 'POLICY_INVALID');
  const posixOnWin = resolvePolicy({ platform: 'win32', user: absent, machine: read({ pkcs11Modules: ['/usr/lib/x.so'] }) });
  assert.equal(posixOnWin.problems[0]?.code, 'POLICY_INVALID');
});

test('a guide bundle public key must be a PEM public key', () => {
  const { publicKey } = generateKeyPairSync('ed25519');
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const r = resolvePolicy({ platform: 'linux', user: absent, machine: read({ guideBundlePublicKey: pem }) });
  assert.equal(r.problems.length, 0);
  assert.equal(r.policy.guideBundlePublicKey, pem);
});

test('least privilege: user settings cannot add modules, anchors or origins; they may pick language and an allowed home', () => {
  const r = resolvePolicy({
    platform: 'linux',
    machine: read({ portalOrigins: ['https://www.hbzwfw.gov.cn', 'https://*.hbzwfw.gov.cn'] }),
    user: read({
      language: 'en', portalHome: 'https://hd.hbzwfw.gov.cn/hd/index',
      pkcs11Modules: ['/home/user/evil.so'], trustAnchorDirs: ['/home/user/ca'], allowedOrigins: ['https://evil.example.com'],
      portalOrigins: ['https://evil.example.com'], clockSkewSeconds: 3600, guideBundlePublicKey: null,
    }, '/home/u/.config/cert-assistant/settings.json'),
  });
  assert.equal(r.policy.language, 'en');
  assert.equal(r.policy.portalHome, 'https://hd.hbzwfw.gov.cn/hd/index');
  assert.deepEqual(r.policy.pkcs11Modules, []);
  assert.deepEqual(r.policy.trustAnchorDirs, []);
  assert.deepEqual(r.policy.allowedOrigins, ['https://www.hbzwfw.gov.cn', 'https://*.hbzwfw.gov.cn']);
  assert.equal(r.policy.clockSkewSeconds, 300);
  const user = r.sources.find((s) => s.layer === 'user');
  assert.deepEqual(user?.keys, ['language', 'portalHome']);
  assert.deepEqual(user?.ignoredKeys?.sort(), ['allowedOrigins', 'clockSkewSeconds', 'guideBundlePublicKey', 'pkcs11Modules', 'portalOrigins', 'trustAnchorDirs']);
  assert.equal(r.problems[0]?.code, 'POLICY_USER_KEY_IGNORED');

  // A home page outside the allowed sites is ignored; the rest of the user's settings stay.
  const r2 = resolvePolicy({ platform: 'linux', machine: absent, user: read({ language: 'en', portalHome: 'https://phish.example.com/' }) });
  assert.equal(r2.policy.portalHome, 'https://www.hbzwfw.gov.cn');
  assert.equal(r2.policy.language, 'en');
  assert.equal(r2.problems[0]?.code, 'POLICY_USER_KEY_IGNORED');
  // An invalid user file changes nothing; the machine policy still applies.
  const r3 = resolvePolicy({ platform: 'linux', machine: read({ language: 'en' }), user: read({ language: 'xx' }) });
  assert.equal(r3.policy.language, 'en');
  assert.equal(r3.sources[2]?.status, 'invalid');
});

test('per-OS paths', () => {
  assert.equal(machinePolicyPath('win32', { ProgramData: 'D:\\PD' }), 'D:\\PD\\CertAssistant\\policy.json');
  assert.equal(machinePolicyPath('win32', {}), 'C:\\ProgramData\\CertAssistant\\policy.json');
  assert.equal(machinePolicyPath('linux', {}), '/etc/cert-assistant/policy.json');
  assert.equal(machinePolicyPath('darwin', {}), '/Library/Application Support/CertAssistant/policy.json');
  assert.equal(userSettingsPath('linux', { XDG_CONFIG_HOME: '/x' }, '/home/u'), '/x/cert-assistant/settings.json');
  assert.equal(userSettingsPath('linux', {}, '/home/u'), '/home/u/.config/cert-assistant/settings.json');
  assert.equal(userSettingsPath('win32', { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'C:\\Users\\u'), 'C:\\Users\\u\\AppData\\Roaming\\CertAssistant\\settings.json');
  assert.equal(userSettingsPath('darwin', {}, '/Users/u'), '/Users/u/Library/Application Support/CertAssistant/settings.json');
});

test('reading files: BOM, broken JSON, huge, world-writable machine policy, missing', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-policy-'));
  try {
    const f = path.join(tmp, 'policy.json');
    fs.writeFileSync(f, '\uFEFF{"language":"en"}');
    fs.chmodSync(f, 0o644);
    assert.equal(loadPolicy({ machinePath: f, userPath: null }).policy.language, 'en');

    fs.writeFileSync(f, '{"language": "en",}');
    const broken = loadPolicy({ machinePath: f, userPath: null });
    assert.equal(broken.problems[0]?.code, 'POLICY_INVALID');
    assert.equal(broken.policy.language, 'zh-CN');

    fs.writeFileSync(f, `{"comment":"${'x'.repeat(1024 * 1024)}"}`);
    assert.equal(loadPolicy({ machinePath: f, userPath: null }).problems[0]?.code, 'POLICY_INVALID');

    fs.writeFileSync(f, '{"language":"en"}');
    fs.chmodSync(f, 0o666);
    const unsafe = readPolicyLayer(f, { machine: true, platform: 'linux' });
    assert.equal(unsafe.status, 'unsafe');
    const r = loadPolicy({ machinePath: f, userPath: null, platform: 'linux' });
    assert.equal(r.problems[0]?.code, 'POLICY_UNSAFE');
    assert.equal(r.policy.language, 'zh-CN');
    // The same file as the user's own settings is fine (it is theirs anyway).
    assert.equal(readPolicyLayer(f, { machine: false, platform: 'linux' }).status, 'read');

    assert.equal(readPolicyLayer(path.join(tmp, 'none.json'), { machine: true, platform: 'linux' }).status, 'absent');
    assert.equal(readPolicyLayer(tmp, { machine: true, platform: 'linux' }).status, 'unreadable');
    // Defaults + user settings from HOME-derived path.
    const home = path.join(tmp, 'home');
    fs.mkdirSync(path.join(home, '.config', 'cert-assistant'), { recursive: true });
    fs.writeFileSync(path.join(home, '.config', 'cert-assistant', 'settings.json'), '{"language":"en"}');
    const viaHome = loadPolicy({ platform: 'linux', env: {}, home, machinePath: null });
    assert.equal(viaHome.policy.language, 'en');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
