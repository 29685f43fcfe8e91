/**
 * The site switch (省级主站 / 市 / 县): the site tree from the divisions data, and each site's
 * own service items from the service-guide engine (main/guide) when it is there.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type SiteLevel = 'province' | 'city' | 'county';
export interface Site { code: string; name: string; level: SiteLevel; parent: string | null }
export interface SiteItem { id: string; title: string; department: string | null; theme: string | null; for: string | null; onlineUrl: string | null; sample: boolean }
export interface SiteItems { items: SiteItem[]; total: number; note: string | null }

interface Divisions {
  province: { code: string; name: string };
  cities: { code: string; name: string; counties: { code: string; name: string }[] }[];
  provinciallyAdministered: { code: string; name: string }[];
  xiongan: { name: string; counties: string[] };
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
export const XIONGAN_CODE = 'xiongan';

/** Divisions data: the repository's shared copy when present, else the portal's own copy. */
function loadDivisions(): Divisions {
  const candidates = [
    path.join(REPO, 'data/hebei-divisions.json'),
    path.join(REPO, 'main/guide/data/hebei-divisions.json'),
    path.join(HERE, 'data/hebei-divisions.json'),
  ];
  const file = candidates.find((f) => existsSync(f)) ?? path.join(HERE, 'data/hebei-divisions.json');
  return JSON.parse(readFileSync(file, 'utf8')) as Divisions;
}

export function sitesFromDivisions(d: Divisions): Site[] {
  const out: Site[] = [{ code: d.province.code, name: `${d.province.name}（省级主站）`, level: 'province', parent: null }];
  const xa = new Set(d.xiongan.counties);
  const direct = new Set(d.provinciallyAdministered.map((c) => c.code));
  for (const city of d.cities) {
    out.push({ code: city.code, name: city.name, level: 'city', parent: d.province.code });
    for (const c of city.counties) {
      if (xa.has(c.code) || direct.has(c.code)) continue;
      out.push({ code: c.code, name: c.name, level: 'county', parent: city.code });
    }
  }
  out.push({ code: XIONGAN_CODE, name: d.xiongan.name, level: 'city', parent: d.province.code });
  for (const city of d.cities) for (const c of city.counties) if (xa.has(c.code)) out.push({ code: c.code, name: c.name, level: 'county', parent: XIONGAN_CODE });
  // 省直管县: county-level sites directly under the province, as the portal's site list groups them.
  for (const c of d.provinciallyAdministered) out.push({ code: c.code, name: c.name, level: 'county', parent: d.province.code });
  return out;
}

/** The slice of the guide engine the portal uses; absent until main/guide exists. */
export interface GuideSource {
  sites?(): Site[];
  itemsForSite(code: string, opts: { for?: 'person' | 'legal'; offset: number; limit: number }): SiteItems;
}

export interface SiteDirectory {
  sites: Site[];
  guideAvailable: boolean;
  items(code: string, opts: { for?: 'person' | 'legal'; offset?: number; limit?: number }): SiteItems | null;
}

const NO_GUIDE_NOTE = '办事指南数据尚未安装（main/guide 不存在），站点切换可用，事项列表为空。';

export function createSiteDirectory(guide: GuideSource | null): SiteDirectory {
  let sites: Site[] | undefined;
  try { sites = guide?.sites?.(); } catch { sites = undefined; }
  if (!sites || sites.length === 0) sites = sitesFromDivisions(loadDivisions());
  const known = new Set(sites.map((s) => s.code));
  return {
    sites,
    guideAvailable: guide !== null,
    items(code, opts) {
      if (!known.has(code)) return null;
      if (!guide) return { items: [], total: 0, note: NO_GUIDE_NOTE };
      const offset = Math.max(0, opts.offset ?? 0);
      const limit = Math.min(100, Math.max(1, opts.limit ?? 50));
      try {
        return guide.itemsForSite(code, { ...(opts.for ? { for: opts.for } : {}), offset, limit });
      } catch {
        return { items: [], total: 0, note: '办事指南暂时无法读取。' };
      }
    },
  };
}

interface GuideLike {
  sites(): Site[];
  items(filter: { site: string; for?: 'person' | 'legal'; offset: number; limit: number }): {
    total: number;
    items: { id: string; name: string; department: { name: string }; themeName: string; for: string; online: boolean | null; onlineUrl: string | null; portalUrl: string; sample: boolean }[];
  };
  catalogue: { bundle: { sample: boolean; note?: string } };
}

let guideSource: Promise<GuideSource | null> | undefined;

/** The guide engine (main/guide, helper "guide") when present, opened once per process; null otherwise. */
export function loadGuideSource(): Promise<GuideSource | null> {
  guideSource ??= openGuideSource();
  return guideSource;
}

async function openGuideSource(): Promise<GuideSource | null> {
  const entry = path.join(REPO, 'main/guide/index.ts');
  if (!existsSync(entry)) return null;
  try {
    const m = (await import(entry)) as { Guide?: { open(): GuideLike } };
    if (!m.Guide) return null;
    const guide = m.Guide.open();
    const bundle = guide.catalogue.bundle;
    const note = bundle.sample ? (bundle.note ?? '示例数据：事项由国家标准事项清单生成，办理要求以门户网站公布为准。') : null;
    return {
      sites: () => guide.sites().map((s) => ({ code: s.code, name: s.level === 'province' ? `${s.name}（省级主站）` : s.name, level: s.level, parent: s.parent })),
      itemsForSite(code, opts) {
        const page = guide.items({ site: code, ...(opts.for ? { for: opts.for } : {}), offset: opts.offset, limit: opts.limit });
        return {
          total: page.total,
          note,
          items: page.items.map((it) => ({
            id: it.id, title: it.name, department: it.department.name, theme: it.themeName, for: it.for,
            onlineUrl: it.onlineUrl ?? (it.online ? it.portalUrl : null), sample: it.sample,
          })),
        };
      },
    };
  } catch {
    return null;
  }
}
