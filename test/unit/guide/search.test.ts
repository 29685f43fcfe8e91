import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Guide } from '../../../main/guide/index.ts';
import { buildIndex, serializeIndex, deserializeIndex, matchingForm } from '../../../main/guide/search/index-data.ts';
import { SearchEngine } from '../../../main/guide/search/query.ts';
import { textPinyin } from '../../../main/guide/search/pinyin.ts';
import { allThemes } from '../../../main/guide/search/build.ts';
import corrections from '../../../main/guide/data/pinyin-corrections.json' with { type: 'json' };
import { syntheticItems } from '../../../scripts/guide/synthetic-catalogue.ts';
import { seededRandom } from '../../support/random.ts';

const guide = Guide.open();
const cat = guide.catalogue;

const normCache = new WeakMap<string[], string[]>();
function substringMatches(titles: string[], q: string): Set<number> {
  let norm = normCache.get(titles);
  if (!norm) { norm = titles.map(matchingForm); normCache.set(titles, norm); }
  const m = matchingForm(q);
  const out = new Set<number>();
  norm.forEach((t, i) => { if (t.includes(m)) out.add(i); });
  return out;
}

function randomSubstrings(titles: string[], n: number, seed: number): string[] {
  const rnd = seededRandom(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = titles[Math.floor(rnd() * titles.length)]!;
    const len = 1 + Math.floor(rnd() * Math.min(8, t.length));
    const at = Math.floor(rnd() * (t.length - len + 1));
    const q = t.slice(at, at + len).trim();
    if (q && !/[\s,，;；、]/.test(q)) out.push(q);
  }
  return out;
}

test('every catalogue item whose title contains the query is found (random substrings, whole catalogue)', () => {
  const titles = [...cat.indexRecords()].map((r) => r.title);
  const queries = randomSubstrings(titles, 400, 7);
  for (const q of queries) {
    const want = substringMatches(titles, q);
    const r = guide.search(q, { limit: 0, collectAll: true });
    const got = new Set(r.all);
    for (const i of want) assert.ok(got.has(i), `“${q}” misses ${cat.bundle.items[i]!.id} (${titles[i]})`);
    assert.equal(r.total, got.size);
  }
});

test('exactness holds on a diverse synthetic catalogue, with and without filters', () => {
  const sites = cat.bundle.sites;
  const themes = { person: allThemes().filter((t) => t.for === 'person').map((t) => t.code), legal: allThemes().filter((t) => t.for === 'legal').map((t) => t.code) };
  const items = [...syntheticItems({ items: 4000, titles: 1500, sites, seed: 11, themes })];
  const engine = new SearchEngine(buildIndex({ catalogue: { version: 1, hash: 'x' }, sites, themes: allThemes(), items, pinyinOf: (t) => textPinyin(t, corrections), now: () => new Date(0) }));
  const titles = items.map((i) => i.title);
  const siteOf = new Map(sites.map((s) => [s.code, s]));
  const under = (code: string, root: string): boolean => { for (let s = siteOf.get(code); s; s = s.parent ? siteOf.get(s.parent) : undefined) if (s.code === root) return true; return false; };
  for (const q of randomSubstrings(titles, 300, 3)) {
    const want = substringMatches(titles, q);
    const got = new Set(engine.search(q, { limit: 0, collectAll: true }).all);
    for (const i of want) assert.ok(got.has(i), `“${q}” misses ${items[i]!.id}`);
    const f = engine.search(q, { limit: 0, collectAll: true, site: '130200', for: 'legal' });
    const gotF = new Set(f.all);
    for (const i of want) {
      const it = items[i]!;
      if (under(it.site, '130200') && it.for === 'legal') assert.ok(gotF.has(i), `filtered “${q}” misses ${it.id}`);
    }
    for (const i of gotF) assert.ok(under(items[i]!.site, '130200') && items[i]!.for === 'legal', 'filter leaked');
  }
});

test('ranking: exact title first, then prefix, then substring; highlights point at the match', () => {
  const r = guide.search('食品经营许可', { limit: 5 });
  assert.equal(r.results[0]!.title, '食品经营许可');
  assert.deepEqual(r.results[0]!.highlights, [[0, 6]]);
  const p = guide.search('住房公积金', { limit: 50 });
  assert.ok(p.results.every((h) => h.title.startsWith('住房公积金')));
  const s = guide.search('登记', { limit: 500 });
  const firstSub = s.results.findIndex((h) => !h.title.startsWith('登记'));
  for (const h of s.results) {
    const at = h.title.indexOf('登记');
    assert.ok(h.highlights.some(([a, b]) => a === at && b === at + 2), `${h.title} ${JSON.stringify(h.highlights)}`);
  }
  assert.ok(firstSub >= 0);
});

test('abbreviations, pinyin (full and initials) and department names find items', () => {
  const ids = (q: string, o = {}) => guide.search(q, { limit: 200, ...o }).results.map((h) => h.title);
  assert.ok(ids('社保').some((t) => t.includes('社会保障')));
  assert.ok(ids('医保').some((t) => t.includes('医疗保险')));
  assert.ok(ids('驾照').some((t) => t.includes('驾驶证')));
  assert.ok(ids('个税').some((t) => t.includes('个人所得税')));
  assert.ok(ids('gjj').every((t) => t.includes('公积金')));
  assert.ok(ids('gongjijin').length > 0);
  assert.ok(ids('grsds').some((t) => t.startsWith('个人所得税')));
  const dep = guide.search('住房公积金管理中心', { limit: 5 });
  assert.ok(dep.total > 0);
  const gjj = guide.search('gjj', { limit: 1 }).results[0]!;
  assert.deepEqual(gjj.highlights, [[2, 5]]);
  assert.equal(gjj.matchedBy, 'pinyin');
});

test('place-name readings follow the corrections table (乐亭 lào, 蔚县 yù) and keep alternatives searchable', () => {
  const p = textPinyin('乐亭县市场监督管理局', corrections);
  assert.ok(p.full.startsWith('laotingxian'));
  assert.ok(p.alternatives.some((a) => a.full.startsWith('letingxian')));
  assert.ok(textPinyin('蔚县', corrections).full.startsWith('yuxian'));
  assert.ok(textPinyin('井陉县', corrections).full.startsWith('jingxing'));
  const sites = cat.bundle.sites;
  const items = [{ id: 'x/1', title: '乐亭县特色农产品展销备案', keywords: [], site: '130225', department: '乐亭县商务局', departmentKind: '商务局', for: 'legal' as const, theme: '055' }];
  const e = new SearchEngine(buildIndex({ catalogue: { version: 1, hash: 'x' }, sites, themes: allThemes(), items, pinyinOf: (t) => textPinyin(t, corrections), now: () => new Date(0) }));
  assert.equal(e.search('laoting').total, 1);
  assert.equal(e.search('leting').total, 1);
  assert.deepEqual(e.search('laoting').results[0]!.highlights, [[0, 2]]);
  assert.equal(e.search('ltx').total, 1);
});

test('site filter includes sub-sites; several words act as AND, site names included', () => {
  const r = guide.search('公积金', { site: '130200', limit: 100 });
  assert.ok(r.total > 0 && r.results.every((h) => h.site.code === '130200'));
  const c = guide.search('结婚', { site: '130200', limit: 100 });
  assert.ok(c.total > 0 && c.results.every((h) => h.site.level === 'county'));
  const m = guide.search('唐山 公积金', { limit: 100 });
  assert.ok(m.total > 0 && m.results.every((h) => h.site.name.includes('唐山') && h.title.includes('公积金')));
  assert.equal(guide.search('公积金', { site: 'nowhere' }).total, 0);
  const person = guide.search('登记', { for: 'person', limit: 200 });
  assert.ok(person.results.every((h) => h.for === 'person'));
});

test('paging is consistent and facets count the whole result', () => {
  const all = guide.search('许可', { limit: 300 });
  const pages = [0, 100, 200].flatMap((o) => guide.search('许可', { offset: o, limit: 100 }).results.map((h) => h.id));
  assert.deepEqual(pages, all.results.map((h) => h.id));
  const sum = (f: { count: number }[]) => f.reduce((a, x) => a + x.count, 0);
  assert.equal(sum(all.facets.level), all.total);
  assert.equal(sum(all.facets.for), all.total);
  assert.equal(sum(all.facets.department), all.total);
  const scores = all.results.map((h) => h.score);
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
});

test('a serialised index loads back to identical answers', () => {
  const copy = new SearchEngine(deserializeIndex(serializeIndex(guide.engine.data)));
  for (const q of ['证', '社会保险', 'gjj', '唐山 结婚']) {
    assert.deepEqual(copy.search(q, { limit: 30 }).results.map((h) => h.id), guide.engine.search(q, { limit: 30 }).results.map((h) => h.id));
  }
  assert.throws(() => deserializeIndex(Buffer.from('not an index')), { code: 'GUIDE_INDEX_INVALID' });
});

test('queries that cannot match return nothing, quickly and without errors', () => {
  for (const q of ['', '   ', '\u0001\u0002', 'zzzzzzzz', '不存在的事项名称啊', 'x'.repeat(500)]) {
    const r = guide.search(q);
    assert.equal(r.results.length, r.total > 0 ? Math.min(20, r.total) : 0);
  }
  assert.equal(guide.search('不存在的事项名称啊').total, 0);
});

test('the unfiltered fast paths (one term; whole titles of several words) rank, count and page exactly like the general path', () => {
  const titles = [...cat.indexRecords()].map((r) => r.title);
  // Word pairs from one title (whole-title matches) and from two titles (mostly per-item matches).
  const pairs = randomSubstrings(titles, 40, 11).flatMap((q, i, all) => [`${q.slice(0, 2)} ${q.slice(-2)}`, `${q} ${all[(i + 7) % all.length]!.slice(0, 2)}`]);
  for (const q of [...randomSubstrings(titles, 60, 5), 'gjj', 'sb', '证', '许可', '市场', '公安', '社会保障', '住房', '民政', '管理',
    ...pairs, '许可 证', '证 许可', '登记 变更', '唐山 公积金', 'gjj 提取', '市场 登记', '社保 查询', '公安 户口']) {
    for (const [offset, limit] of [[0, 20], [15, 40]] as const) {
      const fast = guide.search(q, { offset, limit });
      const { all: _all, ...general } = guide.search(q, { offset, limit, collectAll: true });
      assert.deepEqual(fast, general, q);
    }
  }
});

test('site words: 唐山公积金 is re-read as 唐山 + 公积金; site names in pinyin (tangshan, laoting) narrow the search', () => {
  const r = guide.search('唐山公积金', { limit: 50 });
  assert.equal(r.rewrittenFrom, '唐山公积金');
  assert.ok(r.total > 0 && r.results.every((h) => h.site.code === '130200' && h.title.includes('公积金')));
  const p = guide.search('tangshan gjj', { limit: 50 });
  assert.ok(p.total > 0 && p.results.every((h) => h.site.code === '130200'));
  const l = guide.search('laoting 结婚', { limit: 50 });
  assert.ok(l.total > 0 && l.results.every((h) => h.site.code === '130225'));
  assert.equal(guide.search('唐山不存在的东西').total, 0);
});

test('precomputed facet vectors of frequent 1–2 character grams give the same counts as the general path', () => {
  const sites = cat.bundle.sites;
  const themes = { person: allThemes().filter((t) => t.for === 'person').map((t) => t.code), legal: allThemes().filter((t) => t.for === 'legal').map((t) => t.code) };
  const items = [...syntheticItems({ items: 3000, titles: 800, sites, seed: 5, themes })];
  const e = new SearchEngine(buildIndex({ catalogue: { version: 1, hash: 'x' }, sites, themes: allThemes(), items, pinyinOf: (t) => textPinyin(t, corrections), now: () => new Date(0), heavyGramTitles: 3 }));
  assert.ok(e.data.arrays.heavyKeys.length > 10);
  const titles = items.map((i) => i.title);
  const qs = randomSubstrings(titles, 200, 9).filter((q) => q.length <= 2).concat(['证', '许可', '备案', 'ca', 'a', 'icp']);
  for (const q of qs) {
    const fast = e.search(q, { limit: 30 });
    const { all: _all, ...general } = e.search(q, { limit: 30, collectAll: true });
    assert.deepEqual(fast, general, q);
  }
});

test('pinyin of abbreviations: yyzz / yingyezhizhao find what 营业执照 finds, shebao what 社保 finds', () => {
  const g = Guide.open();
  const ids = (q: string) => g.search(q, { limit: 20 }).results.map((r) => r.id);
  const zh = g.search('营业执照', { limit: 20 });
  assert.ok(zh.total > 0);
  for (const q of ['yyzz', 'yingyezhizhao', 'YYZZ']) {
    const r = g.search(q, { limit: 20 });
    assert.equal(r.total, zh.total, q);
    assert.deepEqual(ids(q), ids('营业执照'), q);
  }
  assert.deepEqual(ids('shebao'), ids('社保'));
});
