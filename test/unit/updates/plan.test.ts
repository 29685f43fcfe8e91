// Update decisions IT admins rely on: off unless policy names a server; off when policy says so;
// never for MSI installs (IT redeploys those); never without a publisher to verify signatures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectInstallKind, planUpdates, publisherNamesFromUpdateConfig, type UpdatePlanInput } from '../../../main/updates/plan.ts';
import { parsePolicyDocument, resolvePolicy } from '../../../main/policy/policy.ts';

const base: UpdatePlanInput = {
  policy: { updateUrl: 'https://updates.example.gov.cn/cert-assistant', updateChannel: 'latest', updatesEnabled: true },
  sources: { updateUrl: 'registry:HKLM', updateChannel: 'default' },
  platform: 'win32',
  installKind: 'nsis',
  publisherNames: ['Hebei Example Information Technology Co., Ltd.'],
};

test('an NSIS install with a policy update server and a signing publisher updates from that server and channel', () => {
  const plan = planUpdates(base);
  assert.equal(plan.enabled, true);
  if (!plan.enabled) return;
  assert.deepEqual(plan.feed, { provider: 'generic', url: 'https://updates.example.gov.cn/cert-assistant/', channel: 'latest' });
  assert.deepEqual(plan.publisherNames, ['Hebei Example Information Technology Co., Ltd.']);
  assert.deepEqual(plan.source, { url: 'registry:HKLM', channel: 'default' });
  const beta = planUpdates({ ...base, policy: { ...base.policy, updateChannel: 'beta' } });
  assert.equal(beta.enabled && beta.feed.channel, 'beta');
});

test('each reason to stay off, in the order an admin would check them', () => {
  const off = (over: Partial<UpdatePlanInput>) => {
    const p = planUpdates({ ...base, ...over });
    return p.enabled ? 'enabled' : p.reason;
  };
  assert.equal(off({ installKind: 'unpackaged' }), 'UPDATES_NOT_PACKAGED');
  assert.equal(off({ platform: 'linux' }), 'UPDATES_PLATFORM');
  assert.equal(off({ installKind: 'msi' }), 'UPDATES_MSI_MANAGED');
  assert.equal(off({ installKind: 'portable' }), 'UPDATES_PORTABLE');
  assert.equal(off({ policy: { ...base.policy, updatesEnabled: false } }), 'UPDATES_DISABLED_BY_POLICY');
  assert.equal(off({ policy: { ...base.policy, updateUrl: null } }), 'UPDATES_NOT_CONFIGURED');
  // An unsigned build: electron-updater would skip the signature check, so we do not update at all.
  assert.equal(off({ publisherNames: [] }), 'UPDATES_NO_PUBLISHER');
  assert.equal(off({ publisherNames: ['  '] }), 'UPDATES_NO_PUBLISHER');
  // MSI wins over an enabled policy: IT updates MSI installs.
  const msi = planUpdates({ ...base, installKind: 'msi' });
  assert.equal(msi.enabled, false);
  if (!msi.enabled) assert.match(msi.message, /MSI/);
});

test('install kind from the files beside the executable: our MSI marker, the NSIS uninstaller, else portable', () => {
  const files = (m: Record<string, string>) => ({ readBeside: (n: string) => m[n] ?? null, existsBeside: (n: string) => n in m });
  assert.equal(detectInstallKind({ packaged: false, productName: 'CertAssistant', ...files({}) }), 'unpackaged');
  assert.equal(detectInstallKind({ packaged: true, productName: 'CertAssistant', ...files({ 'install.ini': '[CertAssistant]\r\ninstaller=msi\r\n' }) }), 'msi');
  assert.equal(detectInstallKind({ packaged: true, productName: 'CertAssistant', ...files({ 'Uninstall CertAssistant.exe': 'MZ' }) }), 'nsis');
  assert.equal(detectInstallKind({ packaged: true, productName: 'CertAssistant', ...files({ 'install.ini': 'installer=nsis' }) }), 'portable');
  assert.equal(detectInstallKind({ packaged: true, productName: 'CertAssistant', ...files({}) }), 'portable');
});

test('publisherName from app-update.yml as electron-builder writes it (list or string); junk gives none', () => {
  assert.deepEqual(publisherNamesFromUpdateConfig('provider: generic\nurl: https://u.example/\npublisherName:\n  - A Co., Ltd.\n  - B 公司\nupdaterCacheDirName: x\n'), ['A Co., Ltd.', 'B 公司']);
  assert.deepEqual(publisherNamesFromUpdateConfig('publisherName: Single\n'), ['Single']);
  assert.deepEqual(publisherNamesFromUpdateConfig('provider: generic\n'), []);
  assert.deepEqual(publisherNamesFromUpdateConfig(null), []);
  assert.deepEqual(publisherNamesFromUpdateConfig(': : :\n\t- ['), []);
});

test('policy: the update keys are the administrator\'s, https only, and a user cannot switch updates on or off', () => {
  assert.deepEqual(parsePolicyDocument({ updateUrl: 'https://updates.example.gov.cn/ca', updateChannel: 'beta', updatesEnabled: false }, { platform: 'win32' }), {
    updateUrl: 'https://updates.example.gov.cn/ca',
    updateChannel: 'beta',
    updatesEnabled: false,
  });
  assert.throws(() => parsePolicyDocument({ updateUrl: 'http://updates.example.gov.cn/' }, { platform: 'win32' }), (e: { code?: string; details?: { path?: string } }) => e.code === 'POLICY_INVALID' && e.details?.path === '/updateUrl');
  assert.throws(() => parsePolicyDocument({ updateChannel: 'nightly' }, { platform: 'win32' }), /POLICY_INVALID|策略文件无效/);
  const r = resolvePolicy({
    machine: { status: 'absent' },
    user: { status: 'read', path: 'settings.json', document: { updatesEnabled: false, updateUrl: 'https://evil.example/' } },
    platform: 'win32',
  });
  assert.equal(r.policy.updatesEnabled, true);
  assert.equal(r.policy.updateUrl, null);
  assert.ok(r.problems.some((p) => p.code === 'POLICY_USER_KEY_IGNORED'));
});
