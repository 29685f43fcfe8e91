import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Guide } from '../../../main/guide/index.ts';
import { validateBundle } from '../../../main/guide/catalogue.ts';

const divisions = JSON.parse(readFileSync(new URL('../../../main/pki/data/hebei-divisions.json', import.meta.url), 'utf8'));
const guide = Guide.open();

test('sites: province, 11 cities, 雄安新区 with its 3 counties, 辛集/定州 as 省直管县, every county-level unit', () => {
  const sites = guide.sites();
  const by = new Map(sites.map((s) => [s.code, s]));
  assert.equal(sites.filter((s) => s.level === 'province').length, 1);
  const cities = sites.filter((s) => s.level === 'city');
  assert.equal(cities.filter((s) => /^\d{4}00$/.test(s.code)).length, 11);
  for (const c of divisions.cities) for (const x of c.counties) assert.ok(by.has(x.code), `missing ${x.code} ${x.name}`);
  const xa = by.get('xiongan')!;
  assert.equal(xa.name, '雄安新区');
  assert.deepEqual(sites.filter((s) => s.parent === 'xiongan').map((s) => s.code).sort(), ['130629', '130632', '130638']);
  for (const code of ['130181', '130682']) {
    assert.equal(by.get(code)!.parent, '130000');
    assert.equal(by.get(code)!.group, 'provincially-administered');
  }
  // Only the URLs actually seen are marked verified.
  assert.deepEqual(sites.filter((s) => s.urlVerified).map((s) => s.code).sort(), ['130000', '130200', '130400']);
  for (const s of sites) if (!s.urlVerified) assert.equal(s.url, null);
});

test('the sample catalogue is honest: marked 示例, no invented phones, fees, deadlines or codes', () => {
  const b = guide.catalogue.bundle;
  assert.equal(b.sample, true);
  const n = b.items.length;
  assert.ok(n > 5000);
  for (let i = 0; i < n; i += 7) {
    const it = guide.catalogue.resolveAt(i);
    for (const k of ['consultPhone', 'supervisePhone', 'fee', 'legalLimit', 'promiseLimit', 'basicCode', 'implCode', 'place', 'hours'] as const) assert.equal(it[k], null, `${it.id} ${k}`);
    assert.equal(it.sample, true);
    assert.match(it.portalUrl, /^https:\/\//);
  }
  // The only phone numbers anywhere in the bundle are the manual's 唐山 lines.
  const phones = JSON.stringify(b).match(/\d{3,4}-\d{7,8}/g) ?? [];
  assert.deepEqual([...new Set(phones)].sort(), ['0315-2806300', '0315-2806301', '0315-5398272']);
  validateBundle(JSON.parse(JSON.stringify(b)));
});

test('each level lists its own items: 公积金 at cities, 婚姻登记 at counties, browse by 主题 and 部门', () => {
  const ts = guide.items({ site: '130200', for: 'person', limit: 500 });
  assert.ok(ts.items.every((i) => i.site.code === '130200' && i.for === 'person'));
  assert.ok(ts.items.some((i) => i.name === '住房公积金提取'));
  assert.ok(!ts.items.some((i) => i.name === '内地居民结婚登记'));
  const county = guide.items({ site: '130225', theme: '060', for: 'person' });
  assert.ok(county.items.some((i) => i.name === '内地居民结婚登记'));
  const themes = guide.themes('130225', 'person');
  assert.equal(themes.length, 32);
  assert.ok(themes.find((t) => t.code === '060')!.count >= 3);
  assert.equal(Guide.themeList('legal').length, 35);
  const depts = guide.departments('130102');
  assert.ok(depts.some((d) => d.name === '石家庄市公安局长安分局'));
  const hot = guide.hot('130225');
  assert.equal(hot.length, 9);
  assert.ok(hot.every((c) => c.items.length > 0));
  // Hot items resolve to the nearest level that has them: 公积金 from the county's city.
  assert.ok(hot.find((c) => c.id === 'housing-fund')!.items.every((i) => i.site === '130200'));
});

test('the committed catalogue, index and manual are exactly what scripts/guide/build-data.ts generates', async () => {
  const { generateGuideData } = await import('../../../scripts/guide/build-data.ts');
  const g = generateGuideData();
  const dir = new URL('../../../main/guide/data/', import.meta.url);
  assert.equal(readFileSync(new URL('catalogue.json', dir), 'utf8'), g.catalogueJson);
  assert.equal(readFileSync(new URL('manual.json', dir), 'utf8'), g.manualJson);
  assert.equal(readFileSync(new URL('abbreviation-pinyin.json', dir), 'utf8'), g.abbreviationPinyinJson);
  assert.ok(readFileSync(new URL('search-index.bin', dir)).equals(g.index), 'search-index.bin is stale: run node --import tsx scripts/guide/build-data.ts');
});
