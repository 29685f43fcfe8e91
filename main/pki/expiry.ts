/**
 * Expiry reminders: 30 and 7 days before notAfter (and once expired), counted in the users'
 * calendar days (UTC+8), with the issuing CA's renewal path from the CA profiles.
 */
import { formatDateEn, formatDateZh } from './inspect.ts';

export const REMIND_DAYS = [30, 7] as const;

export type ExpiryLevel = 'expired' | 'week' | 'month';

export interface ExpiryNotice {
  level: ExpiryLevel;
  /** Whole calendar days (UTC+8) from today to the last valid day; negative once expired. */
  daysLeft: number;
  notAfter: string;
  message: string;
  messageEn: string;
  renewal: { ca: string | null; caEn: string | null; website: string | null };
}

const DAY = 86_400_000;
const chinaDay = (d: Date): number => Math.floor((d.getTime() + 8 * 3600_000) / DAY);

/** The CA's short name as clerks say it: 河北CA（河北省电子认证有限公司） → 河北CA. */
function shortCaName(name: string): string {
  return name.replace(/（.*$/, '').trim();
}

/** A reminder when the certificate expires within 30 days (or has expired); null otherwise. */
export function expiryNotice(notAfter: Date, now: Date, ca?: { name: string; nameEn?: string; website?: string } | null): ExpiryNotice | null {
  const daysLeft = chinaDay(notAfter) - chinaDay(now);
  const expired = now.getTime() > notAfter.getTime();
  if (!expired && daysLeft > REMIND_DAYS[0]) return null;
  const caName = ca ? shortCaName(ca.name) : null;
  const caEn = ca?.nameEn ? ca.nameEn.replace(/\s*\(.*$/, '') : null;
  const who = caName ?? '签发证书的CA';
  const whoEn = caEn ?? 'the issuing CA';
  const where = ca?.website ? `（${ca.website}，可在线更新或到服务网点办理）` : '（可在线更新或到服务网点办理）';
  const whereEn = ca?.website ? ` (${ca.website}: online renewal or at a service counter)` : '';
  const renewal = { ca: caName, caEn, website: ca?.website ?? null };
  const zhDate = formatDateZh(notAfter);
  const enDate = formatDateEn(notAfter);
  if (expired) {
    return { level: 'expired', daysLeft, notAfter: notAfter.toISOString(), renewal,
      message: `证书已于${zhDate}过期，请联系${who}办理更新${where}`, messageEn: `The certificate expired on ${enDate}; renew it with ${whoEn}${whereEn}` };
  }
  const when = daysLeft === 0 ? '今天' : `${daysLeft}天后`;
  const whenEn = daysLeft === 0 ? 'today' : `in ${daysLeft} day${daysLeft === 1 ? '' : 's'}`;
  return { level: daysLeft <= REMIND_DAYS[1] ? 'week' : 'month', daysLeft, notAfter: notAfter.toISOString(), renewal,
    message: `证书将于${zhDate}到期（${when}），请尽快联系${who}办理更新${where}；更新后需在门户重新绑定新证书`,
    messageEn: `The certificate expires ${whenEn} (${enDate}); renew it with ${whoEn}${whereEn} and bind the new certificate on the portal again` };
}
