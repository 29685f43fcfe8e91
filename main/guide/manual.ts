import type { ManualSection } from './types.ts';

const CN_DIGITS: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9, 十: 10 };

function cnNumber(s: string): number | null {
  if (s === '十') return 10;
  if (s.length === 1) return CN_DIGITS[s] ?? null;
  if (s.length === 2 && s[0] === '十') return 10 + (CN_DIGITS[s[1]!] ?? NaN);
  if (s.length === 2 && s[1] === '十') return (CN_DIGITS[s[0]!] ?? NaN) * 10;
  return null;
}

interface Heading { depth: 1 | 2 | 3 | 4; n: number; title: string }

/** Recognises the guide's own numbering: 一、 / (一) / 1、 / (1). */
function parseHeading(line: string): Heading | null {
  let m = /^([一二三四五六七八九十]{1,2})、\s*(.+)$/.exec(line);
  if (m) { const n = cnNumber(m[1]!); if (n) return { depth: 1, n, title: m[2]!.trim() }; }
  m = /^[(（]([一二三四五六七八九十]{1,2})[)）]\s*(.+)$/.exec(line);
  if (m) { const n = cnNumber(m[1]!); if (n) return { depth: 2, n, title: m[2]!.trim() }; }
  m = /^(\d{1,2})、\s*(.+)$/.exec(line);
  if (m) return { depth: 3, n: Number(m[1]), title: m[2]!.trim() };
  m = /^[(（](\d{1,2})[)）]\s*(.+)$/.exec(line);
  if (m) return { depth: 4, n: Number(m[1]), title: m[2]!.trim() };
  return null;
}

/** Contact lines at the very end of the guide ("…咨询电话:0315-…") become section "9". */
const CONTACT_LINE = /咨询电话\s*[:：]/;

/**
 * Splits the portal's user guide into sections whose ids follow its own numbering:
 * 一 → "1", (二) → "1.2", 1、 → "1.2.1", (1) → "1.2.1.1"; trailing phone lines → "9".
 */
export function parseManual(source: string): ManualSection[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const sections: ManualSection[] = [];
  const stack: { id: string; depth: number }[] = [];
  const body = new Map<string, string[]>();
  let contactStart = lines.length;
  while (contactStart > 0 && CONTACT_LINE.test(lines[contactStart - 1]!)) contactStart--;
  let current: string | null = null;
  for (let i = 0; i < contactStart; i++) {
    const line = lines[i]!;
    const h = parseHeading(line);
    // A numbered line nested deeper than one level below its parent is list text, not a heading.
    if (h && (h.depth === 1 || stack.length > 0) && h.depth <= (stack.at(-1)?.depth ?? 0) + 2) {
      while (stack.length && stack.at(-1)!.depth >= h.depth) stack.pop();
      const parent = stack.at(-1)?.id ?? null;
      const id = parent === null ? String(h.n) : `${parent}.${h.n}`;
      let title = h.title;
      // The guide is hard-wrapped: a long heading sentence without final punctuation continues on the next line.
      const next = lines[i + 1];
      if (title.length >= 30 && !/[。！？!?:：]$/.test(title) && next !== undefined && i + 1 < contactStart && !parseHeading(next)) { title += next; i++; }
      sections.push({ id, title, level: id.split('.').length, parent, text: '' });
      body.set(id, []);
      stack.push({ id, depth: h.depth });
      current = id;
      continue;
    }
    if (current !== null) body.get(current)!.push(line);
  }
  if (contactStart < lines.length) {
    const id = String(Math.max(0, ...sections.filter((s) => s.level === 1).map((s) => Number(s.id))) + 1);
    sections.push({ id, title: '咨询电话', level: 1, parent: null, text: '' });
    body.set(id, lines.slice(contactStart));
  }
  for (const s of sections) s.text = body.get(s.id)!.join('\n');
  return sections;
}

/** The published manual is hard-wrapped at 52–57 characters; its real lines end well before that. */
const WRAPPED_LINE_MIN = 48;
/** A line ending like this ends its sentence (or introduces a list): never joined to the next. */
const SENTENCE_END = /[。！？；：.!?;:]$/;
/** Lines that start a list item or a note stay lines of their own: 方法一：…, 方式二：…, 注意：…, 1、…, (2)…. */
const LIST_ITEM = /^(?:(?:方法|方式)[一二三四五六七八九十\d]+\s*[:：]|注意\s*[:：]|[(（]?注\s*[:：])/;

/**
 * Rejoins the lines the manual's typesetter broke mid-sentence ("…系统发送验证" / "码至您的手机…"),
 * so the reader shows paragraphs, not fragments; a short line, a finished sentence, a heading and a
 * list item keep their own line. Chinese joins without a space.
 */
export function joinHardWrappedLines(text: string): string {
  const out: string[] = [];
  let last = '';
  for (const line of text.split('\n')) {
    const wrapped = out.length > 0 && [...last.trim()].length >= WRAPPED_LINE_MIN && !SENTENCE_END.test(last.trim());
    if (wrapped && line.trim() !== '' && !parseHeading(line.trim()) && !LIST_ITEM.test(line.trim())) out[out.length - 1] += line.trim();
    else out.push(line);
    last = line;
  }
  return out.join('\n');
}

/** A section's text with its subsections (headings included): the passage a reader shows. */
export function sectionPassage(sections: readonly ManualSection[], id: string): string {
  const out: string[] = [];
  for (const s of sections) {
    if (s.id === id) { if (s.text) out.push(s.text); continue; }
    if (s.id.startsWith(id + '.')) out.push(s.title, ...(s.text ? [s.text] : []));
  }
  return out.join('\n');
}
