/**
 * Instantiates the representative sample catalogue: every Hebei site (from the GB/T 2260 list,
 * arranged as the portal groups them) × the curated national standard items its level's
 * departments handle. Everything the portal alone knows (codes, deadlines, fees, phones) stays null.
 */
import type { CatalogueBundle, Department, ItemTemplate, Site, StoredItem } from '../../main/guide/types.ts';
import { textPinyin, type PinyinCorrections } from '../../main/guide/search/pinyin.ts';

export interface Divisions {
  province: { code: string; name: string };
  cities: { code: string; name: string; counties: { code: string; name: string; type: string }[] }[];
  provinciallyAdministered: { code: string; name: string; gbParent: string }[];
  xiongan: { name: string; counties: string[] };
}

export interface DeptKind { key: string; name: string; province: string | null; city: string | null; county: string | null; countyDistrict?: string }
export interface TemplateRow { id: string; name: string; type: string; dept: string; levels: string[]; for: 'person' | 'legal'; theme: string; keywords: string[] }

export const XIONGAN_CODE = 'xiongan';
const XIONGAN_BODY = '河北雄安新区管理委员会';

export function buildSites(div: Divisions, corr: PinyinCorrections, urls: Record<string, { url: string; verified: boolean }>, contacts: Record<string, Site['contacts']>): Site[] {
  const py = (name: string) => { const p = textPinyin(name, corr); return { pinyin: p.full.split('\u0001').join(''), initials: p.initials.split('\u0001').join('') }; };
  const make = (code: string, name: string, level: Site['level'], parent: string | null, extra: Partial<Site> = {}): Site => {
    const u = urls[code];
    const s: Site = { code, name, level, parent, url: u?.url ?? null, urlVerified: u?.verified ?? false, ...py(name), ...extra };
    if (contacts[code]) s.contacts = contacts[code];
    return s;
  };
  const separate = new Set([...div.provinciallyAdministered.map((p) => p.code), ...div.xiongan.counties]);
  const out: Site[] = [make(div.province.code, div.province.name, 'province', null)];
  const countyOf = new Map<string, { code: string; name: string; type: string; city: string }>();
  for (const c of div.cities) for (const x of c.counties) countyOf.set(x.code, { ...x, city: c.code });
  for (const c of div.cities) {
    out.push(make(c.code, c.name, 'city', div.province.code));
    for (const x of c.counties) if (!separate.has(x.code)) out.push(make(x.code, x.name, 'county', c.code, { divisionType: x.type }));
  }
  out.push(make(XIONGAN_CODE, div.xiongan.name, 'city', div.province.code, { group: 'new-area' }));
  for (const code of div.xiongan.counties) {
    const x = countyOf.get(code);
    if (!x) throw new Error(`雄安新区下辖县 ${code} 不在区划表中`);
    out.push(make(code, x.name, 'county', XIONGAN_CODE, { gbParent: x.city, divisionType: x.type }));
  }
  for (const p of div.provinciallyAdministered) {
    out.push(make(p.code, p.name, 'county', div.province.code, { group: 'provincially-administered', gbParent: p.gbParent, divisionType: countyOf.get(p.code)?.type ?? '县级市' }));
  }
  return out;
}

function deptName(kind: DeptKind, site: Site, sites: Map<string, Site>): string | null {
  if (site.code === XIONGAN_CODE || site.parent === XIONGAN_CODE) {
    // 雄安新区 runs its own administration; sector bureau names there are not the usual ones.
    return kind[site.level === 'province' ? 'province' : site.level] === null ? null : (site.code === XIONGAN_CODE ? XIONGAN_BODY : `${site.name}人民政府`);
  }
  // 省直管县 keep county-level bureau names while holding city-level powers.
  const namingLevel = site.group === 'provincially-administered' ? 'county' : site.level;
  let pattern = kind[namingLevel];
  if (pattern === null) return null;
  if (namingLevel === 'county' && site.divisionType === '市辖区' && kind.countyDistrict) pattern = kind.countyDistrict;
  const city = site.parent ? sites.get(site.parent) : undefined;
  return pattern.replace('{site}', site.name).replace('{city}', city?.name ?? '').replace('{short}', site.name.replace(/区$/, ''));
}

export function buildSampleCatalogue(opts: {
  sites: Site[]; kinds: DeptKind[]; rows: TemplateRow[]; processByType: Record<string, string[]>; version: number; createdAt: string;
}): CatalogueBundle {
  const siteMap = new Map(opts.sites.map((s) => [s.code, s]));
  const kinds = new Map(opts.kinds.map((k) => [k.key, k]));
  const templates: ItemTemplate[] = opts.rows.map((r) => ({
    id: r.id, name: r.name, basicCode: null, implCode: null, type: r.type, for: r.for, theme: r.theme, keywords: r.keywords,
    conditions: null, materials: null, process: opts.processByType[r.type] ?? null,
    legalLimit: null, promiseLimit: null, fee: null, place: null, hours: null, consultPhone: null, supervisePhone: null, online: null, onlineUrl: null,
  }));
  const departments: Department[] = [];
  const items: StoredItem[] = [];
  for (const site of opts.sites) {
    const deptIds = new Map<string, string>();
    for (const r of opts.rows) {
      if (!r.levels.includes(site.level)) continue;
      const kind = kinds.get(r.dept);
      if (!kind) throw new Error(`unknown department kind ${r.dept}`);
      const name = deptName(kind, site, siteMap);
      if (name === null) continue;
      let id = deptIds.get(kind.key);
      if (id === undefined) {
        id = `${site.code}/${kind.key}`;
        deptIds.set(kind.key, id);
        departments.push({ id, site: site.code, kind: kind.name, name });
      }
      items.push({ id: `${site.code}/${r.id}`, site: site.code, department: id, template: r.id });
    }
  }
  return {
    format: 'cert-assistant/guide-catalogue@1', version: opts.version, createdAt: opts.createdAt, sample: true,
    note: '示例目录：事项名称、类型、部门与主题取自国家标准事项清单，按站点层级示例化；编码、时限、收费、电话等以门户网站公布为准。Sample catalogue; the portal is authoritative.',
    sites: opts.sites, departments, templates, items,
  };
}
