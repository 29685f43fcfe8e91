// The settings screen's list: what an administrator set is locked and names its source; the rest
// shows default or user settings and stays changeable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { policySettingsView } from '../../../main/assistant/policy-settings.ts';
import { resolvePolicy } from '../../../main/policy/policy.ts';

test('policy-set keys are locked with their source; user and default keys are not', () => {
  const result = resolvePolicy({
    machine: { status: 'read', path: 'C:\\ProgramData\\CertAssistant\\policy.json', document: { language: 'en', updateUrl: 'https://updates.example.gov.cn/' } },
    user: { status: 'read', path: 'settings.json', document: { portalHome: 'https://hd.hbzwfw.gov.cn/' } },
    platform: 'win32',
  });
  const view = new Map(policySettingsView(result).map((s) => [s.key, s]));
  assert.deepEqual(view.get('updateUrl'), { key: 'updateUrl', value: 'https://updates.example.gov.cn/', source: 'file:C:\\ProgramData\\CertAssistant\\policy.json', locked: true });
  assert.equal(result.policy.language, 'en');
  assert.deepEqual(view.get('language'), { key: 'language', value: 'en', source: 'file:C:\\ProgramData\\CertAssistant\\policy.json', locked: true });
  assert.deepEqual(view.get('portalHome'), { key: 'portalHome', value: 'https://hd.hbzwfw.gov.cn/', source: 'user', locked: false });
  assert.deepEqual(view.get('clockSkewSeconds'), { key: 'clockSkewSeconds', value: '300', source: 'default', locked: false });
  assert.equal(view.get('updateChannel')?.locked, false);
  assert.equal(view.get('portalOrigins')?.value.split('\n')[0], 'https://www.hbzwfw.gov.cn');
});
