/**
 * How the signature log is shown and exported — shared by `cert-assistant log` and the app's
 * 签名记录 screen: Beijing-time dates, filters, and a CSV that opens cleanly in Excel.
 */
import type { SignatureLogEntry } from './signature-log.ts';

export const OPERATION_ZH: Record<SignatureLogEntry['operation'], string> = { login: '登录', bind: '绑定证书', sign: '签署内容', decrypt: '解密' };
export const VIA_ZH: Record<SignatureLogEntry['via'], string> = { app: '内嵌门户', bridge: 'CA 助手兼容', cli: '命令行' };

/** 2026年12月2日 09:30:12 (UTC+8, the users' clock). */
export function formatTimeZh(iso: string): string {
  const d = new Date(Date.parse(iso) + 8 * 3600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日 ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** A day given as 2026-12-01 (a day in UTC+8) or a full ISO time; null when unreadable. */
export function parseLogDay(s: string, endOfDay: boolean): number | null {
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    const t = Date.parse(`${s}T00:00:00+08:00`);
    return Number.isNaN(t) ? null : t + (endOfDay ? 86_400_000 - 1 : 0);
  }
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

function csvCell(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  // A leading = + - @ would run as a formula when a clerk opens the file in Excel.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(entries: SignatureLogEntry[]): string {
  const head = ['序号', '时间（北京时间）', '网站', '协议', '操作', '途径', '企业', '统一社会信用代码', '证书指纹 SHA-256', '所签内容 SHA-256', '记录哈希'];
  const rows = entries.map((e) => [e.seq, formatTimeZh(e.at), e.origin, e.protocol, OPERATION_ZH[e.operation], VIA_ZH[e.via], e.enterprise, e.uscc, e.fingerprintSha256, e.contentSha256, e.hash]);
  return '\uFEFF' + [head, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

export interface LogFilter {
  /** A SHA-256 fingerprint or its leading hex digits. */
  certificate?: string | undefined;
  origin?: string | undefined;
  /** Epoch milliseconds, inclusive. */
  since?: number | null;
  until?: number | null;
}

export function filterEntries(entries: SignatureLogEntry[], f: LogFilter): SignatureLogEntry[] {
  const fp = f.certificate?.toLowerCase();
  const origin = f.origin?.replace(/\/+$/, '');
  return entries.filter((e) => {
    const t = Date.parse(e.at);
    return (!fp || e.fingerprintSha256.startsWith(fp)) && (!origin || e.origin === origin)
      && (f.since == null || t >= f.since) && (f.until == null || t <= f.until);
  });
}
