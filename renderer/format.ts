/** Dates the way people read them: 2026年11月26日 in Chinese, 26 Nov 2026 in English (Beijing time). */
const TZ = 'Asia/Shanghai';

function parts(iso: string): { y: number; m: number; d: number; hh: string; mm: string } | null {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  // Beijing has no DST: a fixed +8 h offset gives the calendar date there without Intl data.
  const b = new Date(t + 8 * 3600 * 1000);
  return { y: b.getUTCFullYear(), m: b.getUTCMonth() + 1, d: b.getUTCDate(), hh: String(b.getUTCHours()).padStart(2, '0'), mm: String(b.getUTCMinutes()).padStart(2, '0') };
}

const MONTHS_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function formatDate(iso: string, lang: 'zh' | 'en'): string {
  const p = parts(iso);
  if (!p) return '—';
  return lang === 'zh' ? `${p.y}年${p.m}月${p.d}日` : `${p.d} ${MONTHS_EN[p.m - 1]} ${p.y}`;
}

export function formatTime(iso: string, lang: 'zh' | 'en'): string {
  const p = parts(iso);
  if (!p) return '—';
  return `${formatDate(iso, lang)} ${p.hh}:${p.mm}`;
}

export const timeZone = TZ;

/** Splits text into plain and highlighted runs from [start, end) ranges (clamped, merged). */
export function highlightRuns(text: string, ranges: readonly { start: number; end: number }[] | undefined): { text: string; hit: boolean }[] {
  if (!ranges || ranges.length === 0) return [{ text, hit: false }];
  const sorted = ranges
    .map((r) => ({ start: Math.max(0, Math.min(text.length, r.start)), end: Math.max(0, Math.min(text.length, r.end)) }))
    .filter((r) => r.end > r.start)
    .sort((a, b) => a.start - b.start);
  const out: { text: string; hit: boolean }[] = [];
  let pos = 0;
  for (const r of sorted) {
    const start = Math.max(r.start, pos);
    if (r.end <= start) continue;
    if (start > pos) out.push({ text: text.slice(pos, start), hit: false });
    out.push({ text: text.slice(start, r.end), hit: true });
    pos = r.end;
  }
  if (pos < text.length) out.push({ text: text.slice(pos), hit: false });
  return out;
}
