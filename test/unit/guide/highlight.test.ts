// Highlights mark what the user typed: a title found through a substitute (营业执照 → 设立登记,
// 过户 → 转移登记) is listed without highlighting words that share nothing with the query;
// abbreviations (驾照 → 驾驶证, 公积金 → 住房公积金) keep their highlight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Guide } from '../../../main/guide/index.ts';
import { matchingForm } from '../../../main/guide/search/index-data.ts';

const guide = Guide.open();

function highlighted(title: string, ranges: [number, number][]): string[] {
  return ranges.map(([a, b]) => title.slice(a, b));
}

test('substitute expansions find items but are not highlighted', () => {
  for (const q of ['营业执照', '过户']) {
    const r = guide.search(q, { limit: 50 });
    assert.ok(r.results.length > 0, q);
    let without = 0;
    for (const h of r.results) {
      if (matchingForm(h.title).includes(matchingForm(q))) continue;
      without++;
      const parts = highlighted(h.title, h.highlights);
      assert.ok(parts.every((p) => [...q].some((ch) => p.includes(ch))), `${q}: ${h.title} ${JSON.stringify(parts)}`);
    }
    assert.ok(without > 0, `${q}: some results are found only through the expansion`);
  }
  const setup = guide.search('营业执照', { limit: 50 }).results.find((h) => h.title === '企业设立登记');
  assert.ok(setup, '企业设立登记 found through 营业执照');
  assert.deepEqual(setup.highlights, []);
});

test('the typed term and abbreviation expansions stay highlighted', () => {
  const gjj = guide.search('公积金', { limit: 20 }).results;
  assert.ok(gjj.some((h) => h.highlights.length > 0));
  for (const h of gjj) for (const part of highlighted(h.title, h.highlights)) assert.ok(part.includes('公积金'), `${h.title}: ${part}`);
  const jz = guide.search('驾照', { limit: 5 }).results;
  assert.ok(jz.some((h) => highlighted(h.title, h.highlights).includes('驾驶证')), JSON.stringify(jz.map((h) => [h.title, h.highlights])));
  const direct = guide.search('营业执照', { limit: 2000 }).results.filter((h) => h.title.includes('营业执照'));
  for (const h of direct) assert.ok(highlighted(h.title, h.highlights).some((p) => p.includes('营业执照')), h.title);
});
