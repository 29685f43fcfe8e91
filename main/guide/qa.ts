/**
 * 智能问答, offline: BM25 over character bigrams (and unigrams at low weight) of the manual's
 * sections and of the catalogue's item titles, with a synonym table expanding the question.
 */
import type { ManualSection } from './types.ts';
import { sectionPassage } from './manual.ts';

export interface Answer { section: string; title: string; score: number; text: string; source: 'manual' | 'help' }
/** One of the assistant's own help topics (main/guide/data/assistant-help.json). */
export interface HelpTopic { id: string; title: string; titleEn?: string; keywords: string[]; text: string; textEn?: string }

/**
 * A section answers only if it holds at least this share of the question's own topic bigrams:
 * below it the best BM25 hit is just the nearest text, not an answer ("明天天气怎么样").
 */
export const MIN_QUESTION_COVERAGE = 0.34;
export const MIN_SYNONYM_COVERAGE = 0.66;

/** A question as ranked: token weights, its own topic bigrams, and the bigrams of each synonym phrase it triggered. */
interface Question { weights: Map<string, number>; own: string[]; expansions: string[][] }
const bigrams = (text: string): string[] => [...new Set(tokens(text).filter((t) => !t.startsWith('\u0001')))];
export interface ItemSuggestion { id: string; title: string; score: number }

/** Question words that carry no topic. Longest first so 怎么办 goes before 怎么. */
const FILLERS = ['为什么', '怎么办', '怎么样', '是什么', '在哪里', '在哪儿', '请问', '怎么', '怎样', '如何', '什么', '哪里', '哪个', '可以', '能否', '能不能', '需要', '我要', '我想', '一下', '吗', '呢', '吧', '啊', '的', '了', '我', '您', '你'];

const K1 = 1.2, B = 0.75;

function normalise(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/[\s"“”‘’'`,，。.!！?？:：;；、()（）《》<>【】[\]]+/g, ' ');
}

/** Bigrams of each run of text (and unigrams, marked with a leading \u0001 so they weigh less). */
export function tokens(s: string): string[] {
  const out: string[] = [];
  for (const run of normalise(s).split(' ')) {
    if (!run) continue;
    for (let i = 0; i < run.length; i++) {
      out.push('\u0001' + run[i]!);
      if (i + 1 < run.length) out.push(run.slice(i, i + 2));
    }
  }
  return out;
}

interface Doc { id: string; tf: Map<string, number>; len: number }

class Bm25 {
  private readonly docs: Doc[] = [];
  private readonly df = new Map<string, number>();
  private avgLen = 1;

  add(id: string, weighted: [string, number][]): void {
    const tf = new Map<string, number>();
    let len = 0;
    for (const [text, w] of weighted) for (const t of tokens(text)) { tf.set(t, (tf.get(t) ?? 0) + w); len += w; }
    for (const t of tf.keys()) this.df.set(t, (this.df.get(t) ?? 0) + 1);
    this.docs.push({ id, tf, len });
    this.avgLen = this.docs.reduce((a, d) => a + d.len, 0) / this.docs.length;
  }

  /**
   * Whether document `id` is about the question at all: it holds enough of the question's own topic
   * bigrams, or most of one phrase a synonym of the question points to (石家庄 → 站点切换).
   */
  relevant(id: string, q: Question): boolean {
    const d = this.docs.find((x) => x.id === id);
    if (!d) return false;
    const share = (ts: readonly string[]) => (ts.length === 0 ? 0 : ts.filter((t) => d.tf.has(t)).length / ts.length);
    return share(q.own) >= MIN_QUESTION_COVERAGE || q.expansions.some((ts) => share(ts) >= MIN_SYNONYM_COVERAGE);
  }

  rank(query: Map<string, number>): { id: string; score: number }[] {
    const N = this.docs.length;
    const out: { id: string; score: number }[] = [];
    for (const d of this.docs) {
      let score = 0;
      for (const [t, qw] of query) {
        const f = d.tf.get(t);
        if (!f) continue;
        const n = this.df.get(t)!;
        const idf = Math.log(1 + (N - n + 0.5) / (n + 0.5));
        score += qw * idf * (f * (K1 + 1)) / (f + K1 * (1 - B + B * d.len / this.avgLen));
      }
      if (score > 0) out.push({ id: d.id, score });
    }
    return out.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
  }
}

export class QuestionAnswerer {
  private readonly manual = new Bm25();
  private readonly items = new Bm25();
  private readonly sections: ManualSection[];
  private readonly itemTitles = new Map<string, string>();
  private readonly synonyms: [string, string[]][];
  private readonly help = new Map<string, HelpTopic>();

  constructor(sections: ManualSection[], opts: { synonyms?: Record<string, string[]>; items?: Iterable<{ id: string; title: string; keywords?: readonly string[] }>; help?: readonly HelpTopic[] } = {}) {
    this.sections = sections;
    this.synonyms = Object.entries(opts.synonyms ?? {}).map(([k, v]) => [normalise(k).trim(), v] as [string, string[]]);
    for (const s of sections) {
      const childTitles = sections.filter((c) => c.parent === s.id).map((c) => c.title).join(' ');
      this.manual.add(s.id, [[s.title, 3], [s.text, 1], [childTitles, 0.5]]);
    }
    for (const h of opts.help ?? []) {
      this.help.set(h.id, h);
      this.manual.add(h.id, [[h.title, 3], [h.keywords.join(' '), 2], [h.text, 1]]);
    }
    // Items with the same title (one per site) collapse to one document: questions name the service, not the site.
    for (const it of opts.items ?? []) {
      if (this.itemTitles.has(it.title)) continue;
      this.itemTitles.set(it.title, it.id);
      this.items.add(it.title, [[it.title, 2], [(it.keywords ?? []).join(' '), 1]]);
    }
  }

  /** Share of the question's own bigrams that a title contains (titles that name the topic win ties). */
  private titleCoverage(question: Map<string, number>, title: string): number {
    const tt = new Set(tokens(title));
    let all = 0, hit = 0;
    for (const [t, w] of question) {
      if (t.startsWith('\u0001') || w < 1) continue;
      all++;
      if (tt.has(t)) hit++;
    }
    return all === 0 ? 0 : hit / all;
  }

  private query(question: string): Question {
    let q = normalise(question);
    const extra: string[] = [];
    for (const [k, vs] of this.synonyms) if (k && q.includes(k)) extra.push(...vs);
    for (const f of FILLERS) q = q.split(f).join(' ');
    const weights = new Map<string, number>();
    const add = (text: string, w: number) => {
      for (const t of tokens(text)) {
        const tw = t.startsWith('\u0001') ? w * 0.3 : w;
        weights.set(t, Math.max(weights.get(t) ?? 0, tw));
      }
    };
    add(q, 1);
    for (const e of extra) add(e, 0.6);
    return { weights, own: bigrams(q), expansions: extra.map(bigrams) };
  }

  /** Manual sections that answer the question, best first, with the passage to show. */
  answer(question: string, limit = 3): Answer[] {
    const q = this.query(question);
    if (q.weights.size === 0) return [];
    const ranked = this.manual.rank(q.weights).filter((r) => this.manual.relevant(r.id, q)).map((r) => {
      const h = this.help.get(r.id);
      const s = h ? null : this.sections.find((x) => x.id === r.id)!;
      const title = h ? h.title : s!.title;
      const text = h ? h.text : sectionPassage(this.sections, s!.id);
      return { id: r.id, title, text, source: h ? 'help' as const : 'manual' as const, score: r.score * (1 + 0.5 * this.titleCoverage(q.weights, title)) };
    }).sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
    return ranked.slice(0, Math.max(0, limit)).map((a) => ({ section: a.id, title: a.title, score: Math.round(a.score * 1000) / 1000, text: a.text, source: a.source }));
  }

  /** Service items whose names best match the question (one per distinct name). */
  suggestItems(question: string, limit = 5): ItemSuggestion[] {
    const q = this.query(question);
    if (q.weights.size === 0) return [];
    return this.items.rank(q.weights).filter((r) => this.items.relevant(r.id, q)).slice(0, Math.max(0, limit)).map((r) => ({ id: this.itemTitles.get(r.id)!, title: r.id, score: Math.round(r.score * 1000) / 1000 }));
  }
}
