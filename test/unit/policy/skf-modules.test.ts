import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_ONLY_KEYS, defaultPolicy, resolvePolicy, type LayerInput } from '../../../main/policy/index.ts';
import { configuredDriverPaths } from '../../../main/keystores/driver-paths.ts';

const absent: LayerInput = { status: 'absent' };
const read = (document: unknown, p = '/etc/cert-assistant/policy.json'): LayerInput => ({ status: 'read', path: p, document });

test('skfModules: none by default; machine policy sets absolute paths that feed configuredSkfModulePaths', () => {
  assert.deepEqual(defaultPolicy().skfModules, []);
  const r = resolvePolicy({ platform: 'linux', user: absent, machine: read({ skfModules: ['/opt/vendor/libskf.so'] }) });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.policy.skfModules, ['/opt/vendor/libskf.so']);
  assert.deepEqual(r.sources.find((s) => s.layer === 'machine')?.keys, ['skfModules']);
  const found = configuredDriverPaths('skfModules', { platform: 'linux', policyModules: r.policy.skfModules, profilesFile: '/nonexistent/profiles.json', libraryDirs: [], exists: (p) => p === '/opt/vendor/libskf.so' });
  assert.deepEqual(found, ['/opt/vendor/libskf.so']);

  const win = resolvePolicy({ platform: 'win32', user: absent, machine: read({ skfModules: ['C:\\Windows\\System32\\vendor_skf.dll'] }) });
  assert.deepEqual(win.policy.skfModules, ['C:\\Windows\\System32\\vendor_skf.dll']);
});

test('skfModules: a relative path or a non-string rejects the whole machine file with its JSON path', () => {
  const rel = resolvePolicy({ platform: 'linux', user: absent, machine: read({ skfModules: ['libskf.so'], language: 'en' }) });
  assert.equal(rel.problems[0]?.code, 'POLICY_INVALID');
  assert.equal(rel.problems[0]?.details?.['path'], '/skfModules/0');
  assert.deepEqual(rel.policy.skfModules, []);
  assert.equal(rel.policy.language, 'zh-CN', 'nothing of a rejected file applies');
  const typed = resolvePolicy({ platform: 'linux', user: absent, machine: read({ skfModules: '/opt/x.so' }) });
  assert.equal(typed.problems[0]?.details?.['path'], '/skfModules');
});

test('skfModules is administrator-only: user settings cannot add an SKF library', () => {
  assert.ok((ADMIN_ONLY_KEYS as readonly string[]).includes('skfModules'));
  const r = resolvePolicy({
    platform: 'linux',
    machine: read({ skfModules: ['/opt/vendor/libskf.so'] }),
    user: read({ language: 'en', skfModules: ['/home/user/evil-skf.so'] }, '/home/u/.config/cert-assistant/settings.json'),
  });
  assert.deepEqual(r.policy.skfModules, ['/opt/vendor/libskf.so']);
  assert.equal(r.policy.language, 'en');
  const user = r.sources.find((s) => s.layer === 'user');
  assert.deepEqual(user?.ignoredKeys, ['skfModules']);
  assert.equal(r.problems[0]?.code, 'POLICY_USER_KEY_IGNORED');
  assert.match(r.problems[0]?.message ?? '', /skfModules/);
});
