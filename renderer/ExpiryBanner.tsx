import { useCallback, useEffect, useState } from 'react';
import type { ExpiryReminderView } from '../common/ipc-contract.ts';
import { useI18n } from './i18n-context.tsx';
import { invoke, onEvent } from './ipc.ts';

const BANNER_MAX = 2;

/**
 * Certificates about to expire, where the clerk is working (the guide): who, when, and the CA's
 * renewal path. 知道了 silences one until its next threshold (7 days, 1 day, expired), as the notices.
 */
export function ExpiryBanner() {
  const { t, lang } = useI18n();
  const en = lang === 'en';
  const [reminders, setReminders] = useState<ExpiryReminderView[]>([]);
  const load = useCallback(() => {
    // An older host without the channel shows no banner.
    invoke('reminders:active').then((r) => setReminders(r.reminders), () => {});
  }, []);
  useEffect(() => {
    load();
    return onEvent('certs:changed', load);
  }, [load]);
  if (reminders.length === 0) return null;
  // An agency's desk may hold dozens of keys: the soonest few here, the rest on the certificate screen.
  const shown = [...reminders].sort((a, b) => a.daysLeft - b.daysLeft).slice(0, BANNER_MAX);
  const more = reminders.length - shown.length;
  const dismiss = (r: ExpiryReminderView) => {
    invoke('reminders:dismiss', { fingerprint: r.fingerprint, threshold: r.threshold }).then((x) => setReminders(x.reminders), () => {});
  };
  return (
    <section className="expiry-banner" aria-label={t('reminder.region')} data-testid="expiry-banner">
      {shown.map((r) => (
        <div key={r.fingerprint} className={`note ${r.threshold <= 7 ? 'note-error' : 'note-warn'} expiry-reminder`} role="status" data-testid="expiry-reminder" data-threshold={r.threshold} lang={en ? 'en' : 'zh-CN'}>
          <div className="expiry-reminder-text">
            <strong>{en ? r.titleEn : r.title}</strong>
            <p>{en ? r.bodyEn : r.body}</p>
          </div>
          <div className="expiry-reminder-actions">
            {r.renewalUrl && (
              <button type="button" className="secondary small" onClick={() => { invoke('app:openExternal', { url: r.renewalUrl! }).catch(() => {}); }} data-testid="reminder-renew">{t('reminder.renew')}</button>
            )}
            <button type="button" className="link" onClick={() => dismiss(r)} title={t('reminder.dismissHint')} data-testid="reminder-dismiss">{t('reminder.dismiss')}</button>
          </div>
        </div>
      ))}
      {more > 0 && <p className="muted small" data-testid="expiry-more">{t('reminder.more', { n: more })}</p>}
    </section>
  );
}
