// Expiry reminders as the app shows them: the start-up notice (once a day, recorded in the state
// file), the guide's banner (until dismissed at its threshold), the tray's menu (every expiring
// certificate, soonest first, in the UI language) and its drawn icon — what main/app only binds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CertificateView } from '../../../common/ipc-contract.ts';
import { createExpiryReminderService, expiryTrayMenu, reminderCertificates, trayIconBitmap } from '../../../main/assistant/expiry-reminder-service.ts';
import { loadReminderState, reminderStateFile } from '../../../main/assistant/expiry-reminders.ts';

const beijing = (ymd: string, hm = '09:00') => new Date(`${ymd}T${hm}:00+08:00`);

function view(fp: string, name: string, notAfter: string, ca: CertificateView['caProfile']): CertificateView {
  return {
    id: `usb-1/${fp.slice(0, 4)}`, source: 'usb', sourceLabel: 'Key', label: name, subject: `CN=${name}`, enterpriseName: name, issuer: 'CN=HeBeiRSACA',
    caProfile: ca, serialNumber: '01', notBefore: '2025-01-01T00:00:00Z', notAfter, keyAlgorithm: 'RSA 2048', fingerprintSha256: fp,
    uscc: null, legalPersonKind: null, orgCode: null, checks: [], trusted: true, canLogin: true, pin: null,
  };
}

const HEBCA = { id: 'hebca', name: '河北CA（河北省电子认证有限公司）' };
// notAfter 2026-12-31 23:59:59 Beijing time; the second one a week later; the third far away.
const soon = view('AA'.repeat(32), '石家庄华正商贸有限公司', '2026-12-31T15:59:59Z', HEBCA);
const later = view('BB'.repeat(32), '保定远航物流有限公司', '2027-01-07T15:59:59Z', null);
const far = view('CC'.repeat(32), '唐山北方建材有限公司', '2028-06-30T15:59:59Z', HEBCA);

function withDir(run: (file: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-reminder-service-'));
  return run(reminderStateFile(dir)).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
}

test('reminderCertificates: the renewal path comes from the issuer\'s CA profile; an unknown issuer names none', () => {
  const [a, b] = reminderCertificates([soon, later]);
  assert.equal(a!.ca?.website, 'https://www.hebca.com');
  assert.equal(a!.ca?.name, '河北CA（河北省电子认证有限公司）');
  assert.equal(b!.ca, null);
  assert.equal(a!.notAfter.toISOString(), '2026-12-31T15:59:59.000Z');
});

test('notices: once a day, recorded in the state file; the banner keeps showing until dismissed; off by policy shows nothing', () => withDir(async (stateFile) => {
  let now = beijing('2026-12-24');
  const list = [soon, later, far];
  const svc = createExpiryReminderService({ certificates: async () => list, now: () => now, enabled: true, stateFile });
  const first = await svc.notices();
  assert.deepEqual(first.map((r) => [r.enterpriseName, r.threshold, r.daysLeft]), [['石家庄华正商贸有限公司', 7, 7], ['保定远航物流有限公司', 30, 14]]);
  assert.equal(first[0]!.renewalUrl, 'https://www.hebca.com');
  assert.match(first[0]!.body, /请尽快联系河北CA办理更新（https:\/\/www\.hebca\.com/);
  assert.equal(first[1]!.renewalUrl, null);
  assert.deepEqual(await svc.notices(), [], 'not twice the same day, even after a restart (the state is on disk)');
  assert.equal(Object.keys(loadReminderState(stateFile).certificates).length, 2);
  // The banner is not a notice: shown today or not, it stays until dismissed.
  assert.equal((await svc.active()).length, 2);
  const left = await svc.dismiss({ fingerprint: soon.fingerprintSha256, threshold: 7 });
  assert.deepEqual(left.map((r) => r.enterpriseName), ['保定远航物流有限公司']);
  assert.deepEqual((await svc.active()).map((r) => r.enterpriseName), ['保定远航物流有限公司']);
  // A threshold that does not hold now (stale or forged) dismisses nothing.
  assert.equal((await svc.dismiss({ fingerprint: later.fingerprintSha256, threshold: 1 })).length, 1);
  // The next day: the dismissed one stays quiet, the other is due again.
  now = beijing('2026-12-25');
  assert.deepEqual((await svc.notices()).map((r) => r.enterpriseName), ['保定远航物流有限公司']);
  // At its next threshold (1 day left) the dismissed one is back, in the notice and the banner.
  now = beijing('2026-12-30');
  assert.deepEqual((await svc.notices()).map((r) => [r.enterpriseName, r.threshold]), [['石家庄华正商贸有限公司', 1], ['保定远航物流有限公司', 30]]);
  // The tray lists every expiring certificate, dismissed or not.
  await svc.dismiss({ fingerprint: soon.fingerprintSha256, threshold: 1 });
  assert.equal((await svc.expiring()).length, 2);

  const off = createExpiryReminderService({ certificates: async () => list, now: () => now, enabled: false, stateFile });
  assert.deepEqual(await off.notices(), []);
  assert.deepEqual(await off.active(), []);
  assert.deepEqual(await off.expiring(), []);
}));

test('an unwritable state file never fails a notice (it may only show once more)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-reminder-ro-'));
  try {
    // A directory where the file should be: every write fails.
    const stateFile = path.join(dir, 'state');
    fs.mkdirSync(stateFile);
    const svc = createExpiryReminderService({ certificates: async () => [soon], now: () => beijing('2026-12-24'), enabled: true, stateFile });
    assert.equal((await svc.notices()).length, 1);
    assert.equal((await svc.dismiss({ fingerprint: soon.fingerprintSha256, threshold: 7 })).length, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('tray menu: soonest first with days left, then 打开证书助手 and 退出; English; nothing expiring', () => withDir(async (stateFile) => {
  const expired = view('DD'.repeat(32), '廊坊新源科技有限公司', '2026-12-20T15:59:59Z', null);
  const svc = createExpiryReminderService({ certificates: async () => [later, soon, far, expired], now: () => beijing('2026-12-31'), enabled: true, stateFile });
  const expiring = await svc.expiring();
  const zh = expiryTrayMenu(expiring, 'zh');
  assert.deepEqual(zh.entries, [
    { kind: 'certificate', fingerprint: 'DD'.repeat(32), label: '廊坊新源科技有限公司 · 已过期' },
    { kind: 'certificate', fingerprint: 'AA'.repeat(32), label: '石家庄华正商贸有限公司 · 今天到期' },
    { kind: 'certificate', fingerprint: 'BB'.repeat(32), label: '保定远航物流有限公司 · 还剩7天' },
    { kind: 'separator' },
    { kind: 'open', label: '打开证书助手' },
    { kind: 'quit', label: '退出' },
  ]);
  assert.equal(zh.tooltip, '证书助手 — 3 张证书即将到期或已过期');
  const en = expiryTrayMenu(expiring, 'en');
  assert.deepEqual(en.entries.map((e) => ('label' in e ? e.label : '—')), [
    '廊坊新源科技有限公司 · expired', '石家庄华正商贸有限公司 · expires today', '保定远航物流有限公司 · 7 days left', '—', 'Open Cert Assistant', 'Quit',
  ]);
  assert.deepEqual(expiryTrayMenu([], 'zh'), { tooltip: '证书助手', entries: [{ kind: 'open', label: '打开证书助手' }, { kind: 'quit', label: '退出' }] });
}));

test('tray icon: BGRA pixels of the asked size, transparent corners, an amber dot only when a certificate needs renewing', () => {
  const calm = trayIconBitmap(16, false);
  const alert = trayIconBitmap(16, true);
  assert.equal(calm.length, 16 * 16 * 4);
  const at = (b: Buffer, x: number, y: number) => [...b.subarray((y * 16 + x) * 4, (y * 16 + x) * 4 + 4)];
  assert.deepEqual(at(calm, 0, 0), [0, 0, 0, 0], 'corner transparent');
  assert.deepEqual(at(calm, 8, 8), [0xbf, 0x5f, 0x1f, 0xff], 'blue centre');
  assert.deepEqual(at(alert, 12, 3), [0x00, 0xa5, 0xf5, 0xff], 'amber dot top right');
  assert.notDeepEqual(at(calm, 12, 3), at(alert, 12, 3));
});
