import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expiryNotice } from '../../../main/pki/expiry.ts';

const HEBCA = { name: '河北CA（河北省电子认证有限公司）', nameEn: 'HEBCA (Hebei Electronic Certification Authority)', website: 'https://www.hebca.com' };
// Expires at the end of 2026-12-31 Beijing time.
const notAfter = new Date('2026-12-31T15:59:59Z');
const at = (iso: string) => new Date(iso);

test('no reminder more than 30 days ahead; a month reminder from day 30; a week reminder from day 7', () => {
  assert.equal(expiryNotice(notAfter, at('2026-11-30T02:00:00Z'), HEBCA), null, '31 days left');
  const m = expiryNotice(notAfter, at('2026-12-01T02:00:00Z'), HEBCA)!;
  assert.equal(m.level, 'month');
  assert.equal(m.daysLeft, 30);
  assert.equal(expiryNotice(notAfter, at('2026-12-24T01:00:00Z'), HEBCA)!.level, 'week', '7 days left');
  assert.equal(expiryNotice(notAfter, at('2026-12-24T01:00:00Z'), HEBCA)!.daysLeft, 7);
  assert.equal(expiryNotice(notAfter, at('2026-12-23T01:00:00Z'), HEBCA)!.level, 'month', '8 days left');
});

test('days are counted in Beijing calendar days, not 24-hour periods from now', () => {
  // 2026-12-30 23:30 Beijing (15:30Z): the last day is tomorrow.
  assert.equal(expiryNotice(notAfter, at('2026-12-30T15:30:00Z'), HEBCA)!.daysLeft, 1);
  // 2026-12-31 00:30 Beijing (16:30Z the day before): today is the last day.
  const today = expiryNotice(notAfter, at('2026-12-30T16:30:00Z'), HEBCA)!;
  assert.equal(today.daysLeft, 0);
  assert.match(today.message, /今天/);
});

test('the message names the date, the days left, the CA and its renewal path', () => {
  const n = expiryNotice(notAfter, at('2026-12-24T01:00:00Z'), HEBCA)!;
  assert.equal(n.message, '证书将于2026年12月31日到期（7天后），请尽快联系河北CA办理更新（https://www.hebca.com，可在线更新或到服务网点办理）；更新后需在门户重新绑定新证书');
  assert.match(n.messageEn, /expires in 7 days \(31 Dec 2026\); renew it with HEBCA/);
  assert.deepEqual(n.renewal, { ca: '河北CA', caEn: 'HEBCA', website: 'https://www.hebca.com' });
});

test('expired: one line with the date and who renews it; unknown CA is said plainly', () => {
  const n = expiryNotice(notAfter, at('2027-01-02T00:00:00Z'), HEBCA)!;
  assert.equal(n.level, 'expired');
  assert.ok(n.daysLeft < 0);
  assert.equal(n.message, '证书已于2026年12月31日过期，请联系河北CA办理更新（https://www.hebca.com，可在线更新或到服务网点办理）');
  assert.match(expiryNotice(notAfter, at('2027-01-02T00:00:00Z'), null)!.message, /请联系签发证书的CA办理更新/);
});
