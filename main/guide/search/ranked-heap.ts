/**
 * A binary heap of (score, item, title) entries in typed arrays, ranked by score descending and
 * then item ascending (the order search results are listed in). Two uses in the search engine:
 *   - `worstOnTop`: a bounded top-k — `offer` keeps the best `capacity` entries seen;
 *   - `bestOnTop`: a k-way merge — the best entry is on top, `replaceTop`/`popTop` advance it.
 * `reorder` turns one into the other in place (collect the best titles, then merge their items).
 */
export class RankedHeap {
  readonly scores: Float64Array;
  readonly items: Int32Array;
  readonly titles: Int32Array;
  size = 0;
  private bestOnTop: boolean;

  constructor(readonly capacity: number, top: 'worstOnTop' | 'bestOnTop') {
    this.scores = new Float64Array(Math.max(1, capacity));
    this.items = new Int32Array(Math.max(1, capacity));
    this.titles = new Int32Array(Math.max(1, capacity));
    this.bestOnTop = top === 'bestOnTop';
  }

  /** Whether entry `a` ranks before (better than) entry `b` in the result order. */
  static ranksBefore(scoreA: number, itemA: number, scoreB: number, itemB: number): boolean {
    return scoreA > scoreB || (scoreA === scoreB && itemA < itemB);
  }

  /** Whether the entry at `p` belongs nearer the top than the entry at `q`. */
  private above(p: number, q: number): boolean {
    const better = RankedHeap.ranksBefore(this.scores[p]!, this.items[p]!, this.scores[q]!, this.items[q]!);
    return this.bestOnTop ? better : RankedHeap.ranksBefore(this.scores[q]!, this.items[q]!, this.scores[p]!, this.items[p]!);
  }

  private swap(p: number, q: number): void {
    const s = this.scores[p]!; this.scores[p] = this.scores[q]!; this.scores[q] = s;
    const i = this.items[p]!; this.items[p] = this.items[q]!; this.items[q] = i;
    const t = this.titles[p]!; this.titles[p] = this.titles[q]!; this.titles[q] = t;
  }

  private siftUp(at: number): void {
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.above(at, parent)) return;
      this.swap(at, parent);
      at = parent;
    }
  }

  private siftDown(at: number): void {
    for (;;) {
      const left = 2 * at + 1, right = left + 1;
      let top = at;
      if (left < this.size && this.above(left, top)) top = left;
      if (right < this.size && this.above(right, top)) top = right;
      if (top === at) return;
      this.swap(at, top);
      at = top;
    }
  }

  /** Adds an entry (the caller keeps size below capacity). */
  push(score: number, item: number, title = 0): void {
    const at = this.size++;
    this.scores[at] = score; this.items[at] = item; this.titles[at] = title;
    this.siftUp(at);
  }

  /** Replaces the top entry and restores the heap. */
  replaceTop(score: number, item: number, title = 0): void {
    this.scores[0] = score; this.items[0] = item; this.titles[0] = title;
    this.siftDown(0);
  }

  /** Removes the top entry. */
  popTop(): void {
    this.size--;
    if (this.size > 0) {
      this.scores[0] = this.scores[this.size]!; this.items[0] = this.items[this.size]!; this.titles[0] = this.titles[this.size]!;
      this.siftDown(0);
    }
  }

  /** Bounded top-k (worstOnTop): keeps the entry when it ranks among the best `capacity`; false when it ranks below everything kept. */
  offer(score: number, item: number, title = 0): boolean {
    if (this.size < this.capacity) {
      this.push(score, item, title);
      return true;
    }
    if (this.capacity === 0 || !RankedHeap.ranksBefore(score, item, this.scores[0]!, this.items[0]!)) return false;
    this.replaceTop(score, item, title);
    return true;
  }

  /** Rebuilds the heap in place with the other end on top. */
  reorder(top: 'worstOnTop' | 'bestOnTop'): void {
    this.bestOnTop = top === 'bestOnTop';
    for (let at = (this.size >> 1) - 1; at >= 0; at--) this.siftDown(at);
  }

  /** The kept entries, best first. */
  bestFirst(): { score: number; item: number }[] {
    const out: { score: number; item: number }[] = [];
    for (let at = 0; at < this.size; at++) out.push({ score: this.scores[at]!, item: this.items[at]! });
    return out.sort((x, y) => y.score - x.score || x.item - y.item);
  }
}
