/**
 * One searchable text field of the index: every title's text in one code-unit blob, and an
 * inverted index from n-grams (1..maxGram code units) to the ids of titles containing them.
 * Exact by construction: a query up to maxGram long is one posting list; longer queries take the
 * rarest of their n-gram lists and verify each candidate by direct substring comparison.
 */
export type CodeArray = Uint16Array | Uint8Array;

/** Match classes, best first: the whole text, a prefix, anywhere. */
export const MATCH_EXACT = 0;
export const MATCH_PREFIX = 1;
export const MATCH_SUBSTRING = 2;

/** Code units ≤ this are segment separators: never part of a gram, never in a query. */
export const MAX_SEPARATOR = 2;

export interface GramFieldData {
  text: CodeArray;
  off: Uint32Array;
  keys: Uint32Array;
  postOff: Uint32Array;
  posts: Uint32Array;
  minGram: number;
  maxGram: number;
}

export function gramKey(q: ArrayLike<number>, at: number, n: number, wide: boolean): number {
  if (n === 1) return q[at]!;
  if (n === 2) return wide ? q[at]! * 65536 + q[at + 1]! : (q[at]! << 8) | q[at + 1]!;
  return (q[at]! << 16) | (q[at + 1]! << 8) | q[at + 2]!;
}

/** Builds the n-gram postings of a field (build time). */
export function buildGramField(text: CodeArray, off: Uint32Array, minGram: number, maxGram: number): GramFieldData {
  const wide = text instanceof Uint16Array;
  const count = off.length - 1;
  const titleBits = Math.max(1, Math.ceil(Math.log2(count + 1)));
  const scale = 2 ** titleBits;
  let pairCount = 0;
  for (let t = 0; t < count; t++) pairCount += (off[t + 1]! - off[t]!) * (maxGram - minGram + 1);
  const pairs = new Float64Array(pairCount);
  let p = 0;
  for (let t = 0; t < count; t++) {
    const a = off[t]!, b = off[t + 1]!;
    for (let i = a; i < b; i++) {
      for (let n = 1; n <= maxGram && i + n <= b; n++) {
        if (text[i + n - 1]! <= MAX_SEPARATOR) break;
        if (n >= minGram) pairs[p++] = gramKey(text, i, n, wide) * scale + t;
      }
    }
  }
  const sorted = pairs.subarray(0, p).sort();
  const keys: number[] = [];
  const postOff: number[] = [];
  const posts = new Uint32Array(p);
  let np = 0;
  let prevKey = -1, prevT = -1;
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i]!;
    const key = Math.floor(v / scale);
    const t = v - key * scale;
    if (key !== prevKey) { keys.push(key); postOff.push(np); prevKey = key; prevT = -1; }
    if (t !== prevT) { posts[np++] = t; prevT = t; }
  }
  postOff.push(np);
  return { text, off, keys: Uint32Array.from(keys), postOff: Uint32Array.from(postOff), posts: posts.slice(0, np), minGram, maxGram };
}

/** Ids of the titles a query term touched, in a buffer reused across queries (no per-query allocation). */
export class TitleList {
  readonly ids: Int32Array;
  n = 0;
  constructor(capacity: number) { this.ids = new Int32Array(capacity); }
  push(t: number): void { this.ids[this.n++] = t; }
}

export class GramField {
  readonly wide: boolean;
  constructor(readonly d: GramFieldData) {
    this.wide = d.text instanceof Uint16Array;
  }

  get count(): number { return this.d.off.length - 1; }

  posting(key: number): Uint32Array | null {
    const keys = this.d.keys;
    let lo = 0, hi = keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = keys[mid]!;
      if (k === key) return this.d.posts.subarray(this.d.postOff[mid]!, this.d.postOff[mid + 1]!);
      if (k < key) lo = mid + 1; else hi = mid - 1;
    }
    return null;
  }

  /** Match class of q at the start of title t, or -1 when t does not start with q. */
  private startClass(t: number, q: ArrayLike<number>): number {
    const a = this.d.off[t]!, len = this.d.off[t + 1]! - a, text = this.d.text;
    if (len < q.length) return -1;
    for (let k = 0; k < q.length; k++) if (text[a + k] !== q[k]) return -1;
    return len === q.length || text[a + q.length]! <= MAX_SEPARATOR ? MATCH_EXACT : MATCH_PREFIX;
  }

  private contains(t: number, q: ArrayLike<number>): boolean {
    const text = this.d.text, end = this.d.off[t + 1]! - q.length, q0 = q[0]!;
    outer: for (let i = this.d.off[t]!; i <= end; i++) {
      if (text[i] !== q0) continue;
      for (let k = 1; k < q.length; k++) if (text[i + k] !== q[k]) continue outer;
      return true;
    }
    return false;
  }

  /** Calls visit(titleId, matchClass) once for every title containing q (q shorter than minGram: none). */
  search(q: ArrayLike<number>, visit: (t: number, cls: number) => void): void {
    const n = q.length;
    if (n === 0 || n < this.d.minGram) return;
    for (let k = 0; k < n; k++) if (q[k]! <= MAX_SEPARATOR) return;
    if (n <= this.d.maxGram) {
      const list = this.posting(gramKey(q, 0, n, this.wide));
      if (!list) return;
      for (let i = 0; i < list.length; i++) {
        const t = list[i]!;
        const c = this.startClass(t, q);
        visit(t, c < 0 ? MATCH_SUBSTRING : c);
      }
      return;
    }
    const g = this.d.maxGram;
    const lists: Uint32Array[] = [];
    for (let i = 0; i + g <= n; i++) {
      const list = this.posting(gramKey(q, i, g, this.wide));
      if (!list) return;
      lists.push(list);
    }
    lists.sort((a, b) => a.length - b.length);
    let cand: Uint32Array | number[] = lists[0]!;
    // Narrow with the next rarest list while that is cheap; verification makes the result exact.
    for (let li = 1; li < lists.length && li < 3 && cand.length > 64; li++) cand = intersect(cand, lists[li]!);
    for (let i = 0; i < cand.length; i++) {
      const t = cand[i]!;
      const c = this.startClass(t, q);
      if (c >= 0) visit(t, c);
      else if (this.contains(t, q)) visit(t, MATCH_SUBSTRING);
    }
  }

  /**
   * search() specialised for scoring (the hot path of short queries): raises score[t] to
   * scoreByClass[class] for every matching title t, records `by` and newly touched titles.
   */
  markMatches(q: ArrayLike<number>, scoreByClass: readonly number[], by: number, score: Uint8Array, byArr: Uint8Array, touched: { push(t: number): void }, prefixOnly = false): void {
    const n = q.length;
    if (n === 0 || n < this.d.minGram || n > this.d.maxGram) {
      this.search(q, (t, cls) => {
        if (prefixOnly && cls > MATCH_PREFIX) return;
        const s = scoreByClass[cls]!;
        if (s > score[t]!) { if (score[t] === 0) touched.push(t); score[t] = s; byArr[t] = by; }
      });
      return;
    }
    for (let k = 0; k < n; k++) if (q[k]! <= MAX_SEPARATOR) return;
    const list = this.posting(gramKey(q, 0, n, this.wide));
    if (!list) return;
    const off = this.d.off, text = this.d.text, q0 = q[0]!, q1 = n > 1 ? q[1]! : -1, q2 = n > 2 ? q[2]! : -1;
    const sSub = scoreByClass[MATCH_SUBSTRING]!, sPre = scoreByClass[MATCH_PREFIX]!, sExact = scoreByClass[MATCH_EXACT]!;
    for (let i = 0; i < list.length; i++) {
      const t = list[i]!;
      const a = off[t]!, len = off[t + 1]! - a;
      let s = sSub;
      if (text[a] === q0 && (n < 2 || text[a + 1] === q1) && (n < 3 || text[a + 2] === q2)) {
        s = len === n || text[a + n]! <= MAX_SEPARATOR ? sExact : sPre;
      } else if (prefixOnly) continue;
      if (s > score[t]!) { if (score[t] === 0) touched.push(t); score[t] = s; byArr[t] = by; }
    }
  }

  /** Code-unit positions of every occurrence of q in title t (segment 0 only is highlighted by callers). */
  occurrences(t: number, q: ArrayLike<number>): number[] {
    const out: number[] = [];
    const a = this.d.off[t]!, text = this.d.text, end = this.d.off[t + 1]! - q.length;
    outer: for (let i = a; i <= end; i++) {
      for (let k = 0; k < q.length; k++) if (text[i + k] !== q[k]) continue outer;
      out.push(i - a);
    }
    return out;
  }
}

function intersect(a: ArrayLike<number>, b: Uint32Array): number[] {
  const out: number[] = [];
  if (a.length * 16 < b.length) {
    // Galloping: binary search the long list for each element of the short one.
    let lo = 0;
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!;
      let hi = b.length - 1;
      while (lo <= hi) { const m = (lo + hi) >>> 1; if (b[m]! < x) lo = m + 1; else hi = m - 1; }
      if (lo < b.length && b[lo] === x) out.push(x);
    }
    return out;
  }
  let i = 0, j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!, y = b[j]!;
    if (x === y) { out.push(x); i++; j++; } else if (x < y) i++; else j++;
  }
  return out;
}
