/**
 * Tray reminders for certificates about to expire: which are due now, worded for the clerk, and the
 * small state that keeps them to once a day per certificate and quiet after a dismissal until the
 * next threshold (30 → 7 → 1 days, then expired). The state lives in the user's data folder, never
 * on the key. main/app only shows what `dueReminders` returns.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expiryNotice } from '../pki/expiry.ts';
import type { ExpiryReminderView } from '../../common/ipc-contract.ts';

/** Days before notAfter at which a reminder starts again after a dismissal; 0 = expired. */
export const REMINDER_THRESHOLDS = [30, 7, 1] as const;

export interface ReminderCertificate {
  /** SHA-256 fingerprint: the state is keyed by certificate, not by slot or file path. */
  fingerprint: string;
  enterpriseName: string | null;
  notAfter: Date;
  ca?: { name: string; nameEn?: string; website?: string } | null;
}

export interface ReminderState {
  version: 1;
  certificates: Record<string, { lastShownDay?: number; dismissedThreshold?: number }>;
}

/** One reminder, as the guide's banner, the notice and the tray show it (the contract's shape). */
export type ExpiryReminder = ExpiryReminderView;

const DAY = 86_400_000;
/** The clerk's calendar day (UTC+8), as the expiry module counts days. */
const chinaDay = (d: Date): number => Math.floor((d.getTime() + 8 * 3600_000) / DAY);

/** The smallest threshold the days left have reached; null while more than 30 days remain. */
export function reminderThreshold(daysLeft: number, expired: boolean): number | null {
  if (expired) return 0;
  let hit: number | null = null;
  for (const t of REMINDER_THRESHOLDS) if (daysLeft <= t) hit = t;
  return hit;
}

export function emptyReminderState(): ReminderState {
  return { version: 1, certificates: {} };
}

/** Reminders to show now: enabled by policy, due by date, not shown today, not dismissed at this threshold. */
export function dueReminders(certs: readonly ReminderCertificate[], state: ReminderState, now: Date, opts: { enabled: boolean }): ExpiryReminder[] {
  return reminders(certs, state, now, { ...opts, onceADay: true });
}

/**
 * Reminders a screen shows while they hold (the guide's banner): as `dueReminders`, but shown
 * today or not — only a dismissal at this threshold silences them.
 */
export function activeReminders(certs: readonly ReminderCertificate[], state: ReminderState, now: Date, opts: { enabled: boolean }): ExpiryReminder[] {
  return reminders(certs, state, now, { ...opts, onceADay: false });
}

function reminders(certs: readonly ReminderCertificate[], state: ReminderState, now: Date, opts: { enabled: boolean; onceADay: boolean }): ExpiryReminder[] {
  if (!opts.enabled) return [];
  const today = chinaDay(now);
  const out: ExpiryReminder[] = [];
  const seen = new Set<string>();
  for (const c of certs) {
    if (seen.has(c.fingerprint)) continue;
    seen.add(c.fingerprint);
    const notice = expiryNotice(c.notAfter, now, c.ca ?? null);
    if (!notice) continue;
    const threshold = reminderThreshold(notice.daysLeft, notice.level === 'expired');
    if (threshold === null) continue;
    const s = state.certificates[c.fingerprint];
    if (opts.onceADay && s?.lastShownDay === today) continue;
    // A dismissal holds until the certificate reaches a smaller threshold.
    if (s?.dismissedThreshold !== undefined && threshold >= s.dismissedThreshold) continue;
    const who = c.enterpriseName?.trim() || '证书';
    const whoEn = c.enterpriseName?.trim() || 'A certificate';
    const expired = notice.level === 'expired';
    out.push({
      fingerprint: c.fingerprint,
      enterpriseName: c.enterpriseName?.trim() || null,
      threshold,
      daysLeft: notice.daysLeft,
      title: expired ? `证书已过期：${who}` : `证书即将到期：${who}`,
      titleEn: expired ? `Certificate expired: ${whoEn}` : `Certificate expiring: ${whoEn}`,
      body: `${who}的${notice.message}`.replace(/^证书的证书/, '证书'),
      bodyEn: c.enterpriseName?.trim() ? `${c.enterpriseName.trim()}: ${notice.messageEn}` : notice.messageEn,
      renewalUrl: notice.renewal.website,
    });
  }
  return out;
}

/** The state after `shown` were displayed now: none of them again today. */
export function markShown(state: ReminderState, shown: readonly ExpiryReminder[], now: Date): ReminderState {
  const certificates = { ...state.certificates };
  for (const r of shown) certificates[r.fingerprint] = { ...certificates[r.fingerprint], lastShownDay: chinaDay(now) };
  return { version: 1, certificates };
}

/** The state after the clerk dismissed a reminder: quiet until the next threshold. */
export function dismissReminder(state: ReminderState, reminder: Pick<ExpiryReminder, 'fingerprint' | 'threshold'>): ReminderState {
  return { version: 1, certificates: { ...state.certificates, [reminder.fingerprint]: { ...state.certificates[reminder.fingerprint], dismissedThreshold: reminder.threshold } } };
}

/** The state file in the user's data folder (userDataDir); never the key, never the program folder. */
export function reminderStateFile(userDataDir: string): string {
  return path.join(userDataDir, 'expiry-reminders.json');
}

/** A missing or unreadable file is an empty state: at worst a reminder shows once more. */
export function loadReminderState(file: string): ReminderState {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<ReminderState>;
    if (v.version !== 1 || typeof v.certificates !== 'object' || v.certificates === null) return emptyReminderState();
    const certificates: ReminderState['certificates'] = {};
    for (const [fp, e] of Object.entries(v.certificates)) {
      if (!/^[0-9A-Fa-f:]{16,}$/.test(fp) || typeof e !== 'object' || e === null) continue;
      const entry: ReminderState['certificates'][string] = {};
      if (Number.isInteger(e.lastShownDay)) entry.lastShownDay = e.lastShownDay!;
      if (Number.isInteger(e.dismissedThreshold)) entry.dismissedThreshold = e.dismissedThreshold!;
      certificates[fp] = entry;
    }
    return { version: 1, certificates };
  } catch {
    return emptyReminderState();
  }
}

/** Written whole to a temporary file, then renamed: a crash leaves the old state or the new one. */
export function saveReminderState(file: string, state: ReminderState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 1), { mode: 0o600 });
  fs.renameSync(tmp, file);
}
