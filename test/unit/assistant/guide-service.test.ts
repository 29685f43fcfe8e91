// The guide screens' data, from the real catalogue through the adapter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGuideService } from '../../../main/assistant/guide-service.ts';

test('guide adapter: sites, search with highlights and facets, browse, item page, hot, ask, manual', async () => {
  const g = createGuideService();
  const sites = await g.sites();
  const province = sites.find((s) => s.level === 'province');
  assert.ok(province && sites.some((s) => s.parent === province.code));

  const r = await g.search({ query: '公积金', site: province.code, page: 1, pageSize: 5 });
  assert.ok(r.total > 0 && r.items.length > 0 && r.items.length <= 5);
  for (const it of r.items) {
    for (const h of it.highlights ?? []) assert.ok(h.start >= 0 && h.end <= it.title.length && h.start < h.end, JSON.stringify(h));
  }
  assert.ok(r.items.some((it) => (it.highlights ?? []).length > 0));
  const page2 = await g.search({ query: '公积金', site: province.code, page: 2, pageSize: 5 });
  if (r.total > 5) assert.notDeepEqual(page2.items.map((i) => i.id), r.items.map((i) => i.id));

  const b = await g.browse({ site: province.code, for: 'legal', page: 1, pageSize: 10 });
  assert.ok(b.total > 0 && b.facets.themes.length > 0 && b.facets.departments.length > 0);
  const theme = b.facets.themes[0]!;
  const byTheme = await g.browse({ site: province.code, for: 'legal', theme: theme.value, page: 1, pageSize: 100 });
  assert.equal(byTheme.total, theme.count);
  const dept = b.facets.departments[0]!;
  const byDept = await g.browse({ site: province.code, for: 'legal', department: dept.value, page: 1, pageSize: 100 });
  assert.equal(byDept.total, dept.count);

  const item = await g.item(b.items[0]!.id);
  // Materials and steps the offline data does not know are null (the page names them once), not empty lists.
  assert.ok(item && item.title === b.items[0]!.title && (item.materials === null || Array.isArray(item.materials)) && (item.process === null || Array.isArray(item.process)));
  assert.ok(item.onlineUrl === null || /^https?:\/\//.test(item.onlineUrl));
  assert.equal(await g.item('no/such-item'), null);

  const hot = await g.hot(province.code);
  assert.ok(hot.length >= 9 && hot.every((c) => c.items.length > 0));
  const answers = await g.ask('忘记密码怎么办');
  assert.ok(answers.length > 0 && answers[0]!.text.length > 0);
  const toc = await g.manual();
  assert.ok(toc.some((s) => s.id === '1') && toc.some((s) => s.id.includes('.')));
  const sec = await g.manualSection(toc[0]!.id);
  assert.ok(sec && sec.text.length > 0);
  assert.equal(await g.manualSection('99.99'), null);
  const info = await g.info();
  assert.equal(info.available, true);
});
