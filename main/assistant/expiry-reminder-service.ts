/**
 * Expiry reminders where the app shows them: a notice at start (and on a new day), the tray's menu
 * and the guide's banner. main/app binds these to Electron's Notification and Tray and does nothing
 * else; which certificates, when, and in what words is decided here (tests call it directly).
 */
import type { CertificateView, ExpiryReminderView, Lang } from '../../common/ipc-contract.ts';
import { findCaProfile, loadCaProfiles, type CaProfile } from '../pki/ca-profiles.ts';
import {
  activeReminders, dismissReminder, dueReminders, emptyReminderState, loadReminderState, markShown, saveReminderState,
  type ExpiryReminder, type ReminderCertificate, type ReminderState,
} from './expiry-reminders.ts';

/** The listed certificates as the reminders see them, with the renewal path from the issuer's CA profile. */
export function reminderCertificates(views: readonly CertificateView[], profiles: CaProfile[] = loadCaProfiles()): ReminderCertificate[] {
  return views.map((v) => {
    // caProfile is null for a look-alike issuer (main/pki/inspect.ts): its reminder names no CA.
    const p = v.caProfile ? findCaProfile(v.caProfile.id, profiles) : undefined;
    const ca = p ? { name: p.name, nameEn: p.nameEn, ...(p.website ? { website: p.website } : {}) } : null;
    return { fingerprint: v.fingerprintSha256, enterpriseName: v.enterpriseName, notAfter: new Date(v.notAfter), ca };
  });
}

export interface ExpiryReminderServiceOptions {
  /** The certificates listed now (the certificate service's list). */
  certificates: () => Promise<readonly CertificateView[]>;
  now: () => Date;
  /** Policy `expiryReminders`: off → no notice, no tray entries, no banner (the card still says it). */
  enabled: boolean;
  /** reminderStateFile(userDataDir): shown-today and dismissals, never on the key. */
  stateFile: string;
  profiles?: CaProfile[];
}

export interface ExpiryReminderService {
  /** The notices to pop up now: once a day per certificate, not after a dismissal; recorded as shown. */
  notices(): Promise<ExpiryReminder[]>;
  /** What the guide's banner shows: every reminder not dismissed at its threshold. */
  active(): Promise<ExpiryReminder[]>;
  /** 不再提醒: quiet until the certificate reaches the next threshold; returns what is still active. */
  dismiss(r: Pick<ExpiryReminderView, 'fingerprint' | 'threshold'>): Promise<ExpiryReminder[]>;
  /** Every certificate within 30 days of expiry or expired, dismissed or not: the tray's menu. */
  expiring(): Promise<ExpiryReminder[]>;
}

export function createExpiryReminderService(opts: ExpiryReminderServiceOptions): ExpiryReminderService {
  const on = { enabled: opts.enabled };
  const certs = async () => reminderCertificates(await opts.certificates(), opts.profiles);
  const load = (): ReminderState => loadReminderState(opts.stateFile);
  const save = (s: ReminderState): void => {
    // A state that cannot be written only means a reminder may show once more.
    try { saveReminderState(opts.stateFile, s); } catch { /* see above */ }
  };
  return {
    async notices() {
      if (!opts.enabled) return [];
      const now = opts.now();
      const state = load();
      const due = dueReminders(await certs(), state, now, on);
      if (due.length > 0) save(markShown(state, due, now));
      return due;
    },
    async active() {
      return activeReminders(await certs(), load(), opts.now(), on);
    },
    async dismiss(r) {
      const list = await certs();
      const now = opts.now();
      const state = load();
      // Only a reminder that holds now can be dismissed: a stale or forged threshold changes nothing.
      const current = activeReminders(list, state, now, on).find((a) => a.fingerprint === r.fingerprint && a.threshold === r.threshold);
      const next = current ? dismissReminder(state, current) : state;
      if (current) save(next);
      return activeReminders(list, next, now, on);
    },
    async expiring() {
      return activeReminders(await certs(), emptyReminderState(), opts.now(), on);
    },
  };
}

export type TrayMenuEntry =
  | { kind: 'certificate'; fingerprint: string; label: string }
  | { kind: 'open'; label: string }
  | { kind: 'separator' }
  | { kind: 'quit'; label: string };

export interface TrayMenuModel {
  tooltip: string;
  entries: TrayMenuEntry[];
}

/** One line per expiring certificate (who, days left), then 打开证书助手 and 退出; every certificate line opens the certificate screen. */
export function expiryTrayMenu(expiring: readonly ExpiryReminder[], lang: Lang): TrayMenuModel {
  const en = lang === 'en';
  const entries: TrayMenuEntry[] = [];
  for (const r of [...expiring].sort((a, b) => a.daysLeft - b.daysLeft)) {
    const who = r.enterpriseName ?? (en ? 'A certificate' : '证书');
    const when = r.threshold === 0
      ? (en ? 'expired' : '已过期')
      : r.daysLeft === 0 ? (en ? 'expires today' : '今天到期') : (en ? `${r.daysLeft} day${r.daysLeft === 1 ? '' : 's'} left` : `还剩${r.daysLeft}天`);
    entries.push({ kind: 'certificate', fingerprint: r.fingerprint, label: `${who} · ${when}` });
  }
  if (entries.length > 0) entries.push({ kind: 'separator' });
  entries.push({ kind: 'open', label: en ? 'Open Cert Assistant' : '打开证书助手' }, { kind: 'quit', label: en ? 'Quit' : '退出' });
  const n = expiring.length;
  const tooltip = n === 0 ? (en ? 'Cert Assistant' : '证书助手') : en ? `Cert Assistant — ${n} certificate(s) expire soon or have expired` : `证书助手 — ${n} 张证书即将到期或已过期`;
  return { tooltip, entries };
}

/**
 * The tray icon as raw BGRA pixels (Electron's nativeImage.createFromBitmap): the brand's blue disc
 * with a white ring, and an amber dot while a certificate needs renewing. Drawn, not shipped: no
 * image file to package or lose.
 */
export function trayIconBitmap(size: number, attention: boolean): Buffer {
  const px = Buffer.alloc(size * size * 4);
  const c = (size - 1) / 2;
  const r = size / 2;
  const put = (i: number, [b, g, rr, a]: readonly number[]) => { px[i] = b!; px[i + 1] = g!; px[i + 2] = rr!; px[i + 3] = a!; };
  const BLUE = [0xbf, 0x5f, 0x1f, 0xff];
  const WHITE = [0xff, 0xff, 0xff, 0xff];
  const AMBER = [0x00, 0xa5, 0xf5, 0xff];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      const d = Math.hypot(x - c, y - c);
      if (attention && Math.hypot(x - (size - 1 - size * 0.22), y - size * 0.22) <= size * 0.22) put(i, AMBER);
      else if (d <= r * 0.45 || (d > r * 0.62 && d <= r)) put(i, BLUE);
      else if (d <= r) put(i, WHITE);
    }
  }
  return px;
}
