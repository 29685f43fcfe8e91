// Tray reminders: 30/7/1 days before notAfter, once a day per certificate, quiet after a dismissal
// until the next threshold, worded in zh-CN (Chinese-style date) with English, state in the user's folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  dismissReminder, dueReminders, emptyReminderState, loadReminderState, markShown, reminderStateFile, reminderThreshold, saveReminderState,
  type ReminderCertificate,
} from '../../../main/assistant/expiry-reminders.ts';
import { loadPolicy } from '../../../main/policy/index.ts';

const FP = 'AB'.repeat(32);
// notAfter 2026-12-31 23:59:59 Beijing time.
const cert: ReminderCertificate = { fingerprint: FP, enterpriseName: '石家庄华正商贸有限公司', notAfter: new Date('2026-12-31T15:59:59Z'), ca: { name: '河北CA（河北省电子认证有限公司）', website: 'https://www.hebca.com' } };
const beijing = (ymd: string, hm = '09:00') => new Date(`${ymd}T${hm}:00+08:00`);
const on = { enabled: true };

test('thresholds: 30, 7, 1 days, then expired', () => {
  assert.equal(reminderThreshold(31, false), null);
  assert.equal(reminderThreshold(30, false), 30);
  assert.equal(reminderThreshold(8, false), 30);
  assert.equal(reminderThreshold(7, false), 7);
  assert.equal(reminderThreshold(2, false), 7);
  assert.equal(reminderThreshold(1, false), 1);
  assert.equal(reminderThreshold(0, false), 1);
  assert.equal(reminderThreshold(-3, true), 0);
});

test('due: nothing more than 30 days out; at 30 days the enterprise, the date in Chinese and the CA', () => {
  assert.deepEqual(dueReminders([cert], emptyReminderState(), beijing('2026-11-30'), on), []);
  const [r] = dueReminders([cert], emptyReminderState(), beijing('2026-12-01'), on);
  assert.ok(r);
  assert.equal(r.threshold, 30);
  assert.equal(r.daysLeft, 30);
  assert.equal(r.title, '证书即将到期：石家庄华正商贸有限公司');
  assert.match(r.body, /^石家庄华正商贸有限公司的证书将于2026年12月31日到期（30天后），请尽快联系河北CA办理更新（https:\/\/www\.hebca\.com/);
  assert.match(r.bodyEn, /^石家庄华正商贸有限公司: The certificate expires in 30 days \(31 Dec 2026\); renew it with/);
  assert.equal(r.titleEn, 'Certificate expiring: 石家庄华正商贸有限公司');
  // The policy key turns them off.
  assert.deepEqual(dueReminders([cert], emptyReminderState(), beijing('2026-12-01'), { enabled: false }), []);
});

test('once a day at most per certificate; a dismissal holds until the next threshold', () => {
  let state = emptyReminderState();
  const day1 = beijing('2026-12-02');
  const first = dueReminders([cert, { ...cert }], state, day1, on);
  assert.equal(first.length, 1, 'the same certificate listed twice (file and key) reminds once');
  state = markShown(state, first, day1);
  assert.deepEqual(dueReminders([cert], state, beijing('2026-12-02', '23:30'), on), [], 'not again the same Beijing day');
  assert.equal(dueReminders([cert], state, beijing('2026-12-03'), on).length, 1, 'again the next day while not dismissed');
  state = dismissReminder(state, first[0]!);
  for (const d of ['2026-12-03', '2026-12-10', '2026-12-23']) assert.deepEqual(dueReminders([cert], state, beijing(d), on), [], d);
  const week = dueReminders([cert], state, beijing('2026-12-24'), on);
  assert.equal(week.length, 1);
  assert.equal(week[0]!.threshold, 7);
  assert.match(week[0]!.body, /7天后/);
  state = dismissReminder(markShown(state, week, beijing('2026-12-24')), week[0]!);
  assert.deepEqual(dueReminders([cert], state, beijing('2026-12-29'), on), []);
  const last = dueReminders([cert], state, beijing('2026-12-30'), on);
  assert.equal(last[0]?.threshold, 1);
  state = dismissReminder(state, last[0]!);
  assert.deepEqual(dueReminders([cert], state, beijing('2026-12-31', '20:00'), on), []);
  const expired = dueReminders([cert], state, beijing('2027-01-01'), on);
  assert.equal(expired[0]?.threshold, 0);
  assert.equal(expired[0]?.title, '证书已过期：石家庄华正商贸有限公司');
  assert.match(expired[0]!.body, /证书已于2026年12月31日过期/);
  state = dismissReminder(state, expired[0]!);
  assert.deepEqual(dueReminders([cert], state, beijing('2027-02-01'), on), [], 'an expired certificate dismissed stays quiet');
  // Another certificate is not silenced by this one's dismissal.
  const other = { ...cert, fingerprint: 'CD'.repeat(32), enterpriseName: null };
  const o = dueReminders([other], state, beijing('2026-12-02'), on);
  assert.equal(o.length, 1);
  assert.match(o[0]!.body, /^证书将于2026年12月31日到期/);
});

test('state: a JSON file in the user data folder, written atomically; a broken file is an empty state', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-reminders-'));
  try {
    const file = reminderStateFile(dir);
    assert.equal(path.dirname(file), dir);
    assert.deepEqual(loadReminderState(file), emptyReminderState());
    const [r] = dueReminders([cert], emptyReminderState(), beijing('2026-12-02'), on);
    const state = dismissReminder(markShown(emptyReminderState(), [r!], beijing('2026-12-02')), r!);
    saveReminderState(file, state);
    assert.deepEqual(loadReminderState(file), state);
    assert.deepEqual(fs.readdirSync(dir), ['expiry-reminders.json'], 'no temporary file left behind');
    fs.writeFileSync(file, '{"version":1,"certificates":{"../x":{"lastShownDay":"x"}');
    assert.deepEqual(loadReminderState(file), emptyReminderState());
    fs.writeFileSync(file, JSON.stringify({ version: 1, certificates: { '../x': { lastShownDay: 1 }, [FP]: { lastShownDay: 'x', dismissedThreshold: 7 } } }));
    assert.deepEqual(loadReminderState(file), { version: 1, certificates: { [FP]: { dismissedThreshold: 7 } } });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('policy: expiryReminders defaults on and a policy file turns it off', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-reminders-policy-'));
  try {
    const file = path.join(dir, 'policy.json');
    fs.writeFileSync(file, JSON.stringify({ version: 1, expiryReminders: false }));
    assert.equal(loadPolicy({ machinePath: path.join(dir, 'none.json'), userPath: null, registry: null }).policy.expiryReminders, true);
    assert.equal(loadPolicy({ machinePath: file, userPath: null, registry: null }).policy.expiryReminders, false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
