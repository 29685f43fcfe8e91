// Build-time only: pinyin-pro is used by index builders (scripts, bundle install), never per query.
import { pinyin, customPinyin } from 'pinyin-pro';

export interface PinyinCorrections {
  words: Record<string, { primary: string; alternatives: string[] }>;
}

/** Pinyin of a text aligned to its UTF-16 code units, plus alternative readings. */
export interface TextPinyin {
  /** Full pinyin, no tones, no spaces; non-Chinese letters/digits lower-cased, other chars as \u0001. */
  full: string;
  /** One initial per code unit of the text (aligned), same substitutions. */
  initials: string;
  /** Length of each code unit's contribution to `full` (aligned with the text). */
  syllableLengths: number[];
  /** Extra full / initials strings from alternative readings (searchable, not highlighted). */
  alternatives: { full: string; initials: string }[];
}

const stripTone = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/ü/g, 'v');

let installedCorrections: PinyinCorrections | null = null;

function install(corrections: PinyinCorrections): void {
  if (installedCorrections === corrections) return;
  const dict: Record<string, string> = {};
  for (const [w, c] of Object.entries(corrections.words)) dict[w] = c.primary;
  customPinyin(dict);
  installedCorrections = corrections;
}

const SEP = '\u0001';

function unitSyllables(text: string): string[] {
  const out: string[] = [];
  for (const x of pinyin(text, { type: 'all', toneType: 'none' })) {
    const origin = x.origin;
    let syl: string;
    if (x.isZh && x.pinyin) syl = stripTone(x.pinyin).toLowerCase();
    else syl = /^[0-9a-z]$/i.test(origin) ? origin.toLowerCase() : SEP;
    // Astral characters come back as one entry but occupy two code units: keep alignment.
    out.push(syl);
    for (let k = 1; k < origin.length; k++) out.push('');
  }
  return out;
}

export function textPinyin(text: string, corrections: PinyinCorrections): TextPinyin {
  install(corrections);
  const syl = unitSyllables(text);
  while (syl.length < text.length) syl.push(SEP);
  const initials = syl.map((s) => (s === '' ? SEP : s[0]!)).join('');
  const full = syl.join('');
  const alternatives: { full: string; initials: string }[] = [];
  for (const [w, c] of Object.entries(corrections.words)) {
    let at = text.indexOf(w);
    while (at >= 0) {
      for (const alt of c.alternatives) {
        const altSyl = alt.split(/\s+/).map((s) => stripTone(s).toLowerCase());
        if (altSyl.length !== w.length) continue;
        const s2 = syl.slice();
        for (let k = 0; k < w.length; k++) s2[at + k] = altSyl[k]!;
        alternatives.push({ full: s2.join(''), initials: s2.map((s) => (s === '' ? SEP : s[0]!)).join('') });
      }
      at = text.indexOf(w, at + 1);
    }
  }
  return { full, initials, syllableLengths: syl.map((s) => s.length), alternatives };
}
