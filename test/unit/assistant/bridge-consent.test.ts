import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bridgeConsentFields } from '../../../main/assistant/bridge-consent.ts';
import { describeContent, type ConsentView } from '../../../main/login/signing-path.ts';

const view = (operation: ConsentView['operation'], data: string): ConsentView => ({
  id: 'b1', origin: 'https://www.hbzwfw.gov.cn', siteName: '河北政务服务网', protocol: 'bjca', operation,
  certificate: { subject: 'CN=测试企业', enterpriseName: '测试企业', uscc: null, fingerprintSha256: 'ab'.repeat(32) },
  content: describeContent(new TextEncoder().encode(data), operation === 'decrypt' ? 'decrypt' : 'sign'),
  expiresAt: '2026-12-02T03:00:00Z',
});

test('bridge consents show 登录 without a preview, 签署内容 and 解密 with preview and SHA-256', () => {
  assert.deepEqual(bridgeConsentFields(view('login', 'aGVsbG8gd29ybGQh')), { purpose: 'login', siteName: '河北政务服务网', content: null });
  const sign = bridgeConsentFields(view('sign', '合同第1页\n金额：100元'));
  assert.equal(sign.purpose, 'sign');
  assert.equal(sign.content?.preview, '合同第1页\n金额：100元');
  assert.match(sign.content?.sha256 ?? '', /^[0-9a-f]{64}$/);
  const dec = bridgeConsentFields(view('decrypt', 'xx'));
  assert.equal(dec.purpose, 'decrypt');
  assert.equal(dec.content?.preview, '解密');
});
