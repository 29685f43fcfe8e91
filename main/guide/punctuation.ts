/**
 * The portal's manual was typed with half-width punctuation inside Chinese sentences ("浏览器,屏幕",
 * "方法一:注册", "县(市、区)") and sometimes doubled marks ("，，"). The data stays as published;
 * text is normalised here, once, when it is loaded for display and 智能问答.
 */

/** Han characters and the full-width marks that only occur in Chinese text. */
const CJK = /[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff0f\uff1a-\uff1f\u2018-\u201d\u2026\u2014]/;
const HAN = /[\u3400-\u9fff\uf900-\ufaff]/;

const FULL: Record<string, string> = { ',': '，', ':': '：', ';': '；', '!': '！', '?': '？' };

const isCjk = (c: string | undefined): boolean => c !== undefined && CJK.test(c);

/**
 * Half-width , : ; ! ? become full-width when a neighbour is Chinese (1,000, 9:00 and URLs keep
 * theirs); ( ) pairs become （ ） around or beside Chinese; a full stop after Chinese at the end of
 * a sentence becomes 。; repeated marks (，，  。。  、、) collapse to one, and a pause mark before a
 * sentence end (，。) gives way to it; spaces beside full-width marks go.
 */
export function normalizeChinesePunctuation(text: string): string {
  if (!CJK.test(text)) return text;
  // Pairs first, so "(1)登录" turns both brackets, not only the one touching Chinese; hard-wrapped
  // lines may fall inside a pair.
  let s = text.replace(/\(([^()]{0,400})\)/g, (m, inner: string, at: number, all: string) =>
    HAN.test(inner) || isCjk(all[at - 1]) || isCjk(all[at + m.length]) ? `（${inner}）` : m);
  const chars = [...s];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const full = FULL[c];
    const prev = chars[i - 1];
    const next = chars[i + 1];
    if (full) {
      // "http://", "9:00", "1,000": Latin or digits on both sides stay as they are.
      if (isCjk(prev) || isCjk(next)) chars[i] = full;
    } else if (c === '.' && prev !== undefined && HAN.test(prev) && (next === undefined || next === '\n' || isCjk(next) || /\s/.test(next))) {
      chars[i] = '。';
    }
  }
  s = chars.join('');
  s = s
    .replace(/[ \t\u3000]*([，。、；：！？（）])[ \t\u3000]*/g, (_m, p: string) => p)
    .replace(/([，。、；：！？])\1+/g, '$1')
    .replace(/[，、；：]+([。！？])/g, '$1');
  return s;
}
