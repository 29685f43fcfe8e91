// The guide's item page: unknown fields collapse into one 更多信息 note; 可网办 only when the data says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import type { GuideItemView } from '../../../common/ipc-contract.ts';
import { guideItemFacts, knownText, onlineState } from '../../../renderer/guide-facts.ts';
import { ItemFacts } from '../../../renderer/screens/Guide.tsx';
import { I18nContext, makeI18n } from '../../../renderer/i18n-context.tsx';
import { createGuideService } from '../../../main/assistant/guide-service.ts';

const item = (over: Partial<GuideItemView> = {}): GuideItemView => ({
  id: '130000/x', title: '企业设立登记', site: { code: '130000', name: '河北省' }, department: '河北省市场监督管理局', theme: '设立变更',
  for: ['legal'], itemType: '行政许可', online: null, basicCode: null, implCode: null, conditions: null, materials: null,
  process: ['申请', '受理'], legalLimit: null, promisedLimit: null, fee: null, place: null, hours: null, phone: null,
  onlineUrl: null, portalUrl: 'https://www.hbzwfw.gov.cn', sample: true, ...over,
});

const render = (it: GuideItemView, lang: 'zh' | 'en' = 'zh') =>
  renderToStaticMarkup(createElement(I18nContext.Provider, { value: makeI18n(lang) }, createElement(ItemFacts, { item: it })));

test('guide facts: null, blank and placeholder values are unknown, never rows', () => {
  for (const v of [null, undefined, '', '  ', '未知', '暂无', '—', '-', '以门户网站公布为准']) assert.equal(knownText(v), null, String(v));
  assert.equal(knownText(' 20个工作日 '), '20个工作日');
  const f = guideItemFacts(item({ fee: '不收费', legalLimit: '未知', phone: '  ' }), (x) => x);
  assert.deepEqual(f.rows.map((r) => r.key), ['itemType', 'department', 'for', 'fee']);
  assert.deepEqual(f.unknown, ['basicCode', 'implCode', 'legalLimit', 'promisedLimit', 'place', 'hours', 'phone', 'conditions', 'materials']);
  assert.deepEqual(f.process, ['申请', '受理']);
  // An empty material list or one of nameless rows is as unknown as none.
  assert.equal(guideItemFacts(item({ materials: [{ name: ' ', form: null, copies: null, required: null }] }), (x) => x).materials, null);
  assert.ok(guideItemFacts(item({ process: [] }), (x) => x).unknown.includes('process'));
});

test('可网办: only true says online, only false says at the counter; unknown says nothing', () => {
  assert.equal(onlineState({ online: true }), 'online');
  assert.equal(onlineState({ online: false }), 'offline');
  assert.equal(onlineState({ online: null }), null);
});

test('item page: unknown fields collapse into one 更多信息 disclosure, no 未知 rows or empty tables', () => {
  const html = render(item({ fee: '不收费' }));
  assert.match(html, /<dt>收费标准<\/dt><dd>不收费<\/dd>/);
  for (const label of ['法定时限', '办理地点', '咨询电话', '受理条件', '申请材料']) {
    assert.equal((html.match(new RegExp(label, 'g')) ?? []).length, 1, `${label} is named once, in the note`);
  }
  assert.equal((html.match(/<details/g) ?? []).length, 1);
  assert.match(html, /<summary>更多信息<\/summary>.*离线指南暂无以下信息，以门户网站公布为准：基本编码、实施编码、法定时限/);
  assert.doesNotMatch(html, /<table|未知|<dd><\/dd>/);
  assert.match(html, /<ol class="steps"><li>申请<\/li><li>受理<\/li><\/ol>/);
  // Everything known: no disclosure at all; a column nobody filled in is left out.
  const full = render(item({
    basicCode: '1', implCode: '2', legalLimit: '20日', promisedLimit: '5日', fee: '无', place: '大厅', hours: '9:00-17:00', phone: '0311-1',
    conditions: '依法设立', materials: [{ name: '申请书', form: '原件', copies: null, required: '必要' }],
  }));
  assert.doesNotMatch(full, /<details/);
  assert.match(full, /<th>材料名称<\/th><th>形式<\/th><th>必要性<\/th><\/tr>/);
  // "无" (no fee) is an answer, not an unknown.
  assert.match(full, /<dd>无<\/dd>/);
  assert.match(render(item(), 'en'), /<summary>More information<\/summary>.*see the portal: Basic code, Implementation code/);
});

test('guide adapter: the shipped catalogue does not know 可网办, so no item claims it', async () => {
  const g = createGuideService();
  const sites = await g.sites();
  const r = await g.search({ query: '营业执照', site: sites.find((s) => s.level === 'province')!.code, page: 1, pageSize: 5 });
  assert.ok(r.items.length > 0);
  for (const s of r.items) assert.equal(s.online, null, s.title);
  const it = (await g.item(r.items[0]!.id))!;
  assert.equal(it.online, null);
  assert.equal(it.onlineUrl, null, 'no 在线办理 address is made up from the portal root');
  assert.match(it.portalUrl ?? '', /^https:\/\//);
  assert.equal(it.materials, null);
});
