import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RankedHeap } from '../../../main/guide/search/ranked-heap.ts';
import { seededRandom } from '../../support/random.ts';

const byRank = (x: { score: number; item: number }, y: { score: number; item: number }) => y.score - x.score || x.item - y.item;

test('a bounded top-k keeps exactly the best k by score descending, then item ascending (ties on score included)', () => {
  const random = seededRandom(8);
  for (let round = 0; round < 200; round++) {
    const n = Math.floor(random() * 60), k = Math.floor(random() * 12);
    const entries = Array.from({ length: n }, (_, item) => ({ score: Math.floor(random() * 6), item }));
    for (let i = entries.length - 1; i > 0; i--) { const j = Math.floor(random() * (i + 1)); [entries[i], entries[j]] = [entries[j]!, entries[i]!]; }
    const heap = new RankedHeap(k, 'worstOnTop');
    for (const e of entries) heap.offer(e.score, e.item);
    assert.deepEqual(heap.bestFirst(), [...entries].sort(byRank).slice(0, k), `round ${round}`);
  }
});

test('offer says false once an entry ranks below everything kept (callers stop a best-first stream there)', () => {
  const heap = new RankedHeap(2, 'worstOnTop');
  assert.equal(heap.offer(5, 1), true);
  assert.equal(heap.offer(7, 2), true);
  assert.equal(heap.offer(5, 3), false, 'same score, later item');
  assert.equal(heap.offer(6, 4), true);
  assert.deepEqual(heap.bestFirst(), [{ score: 7, item: 2 }, { score: 6, item: 4 }]);
  assert.equal(new RankedHeap(0, 'worstOnTop').offer(9, 0), false);
});

test('reordered best-on-top, replaceTop and popTop merge sorted streams in rank order, keeping each entry\'s title', () => {
  const streams = [[9, 4, 1], [8, 8, 2], [9, 3]];
  const heap = new RankedHeap(streams.length, 'worstOnTop');
  const base = [0, 10, 20];
  streams.forEach((s, title) => heap.offer(s[0]!, base[title]!, title));
  heap.reorder('bestOnTop');
  const merged: [number, number, number][] = [];
  while (heap.size > 0) {
    const item = heap.items[0]!, title = heap.titles[0]!, next = item - base[title]! + 1;
    merged.push([heap.scores[0]!, item, title]);
    if (next < streams[title]!.length) heap.replaceTop(streams[title]![next]!, item + 1, title);
    else heap.popTop();
  }
  assert.deepEqual(merged, [[9, 0, 0], [9, 20, 2], [8, 10, 1], [8, 11, 1], [4, 1, 0], [3, 21, 2], [2, 12, 1], [1, 2, 0]]);
});
