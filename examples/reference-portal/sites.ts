/**
 * The site switch (省级主站 / 市 / 县): the site tree from the Hebei divisions that ship with
 * `cert-assistant/uscc`, and each site's own service items from a guide source when one is given
 * (the repository's `npm run portal` passes the assistant's service guide).
 */
import { hebeiDivisions, type HebeiDivisions } from 'cert-assistant/uscc';

export type SiteLevel = 'province' | 'city' | 'county';
export interface Site { code: string; name: string; level: SiteLevel; parent: string | null }
export interface SiteItem { id: string; title: string; department: string | null; theme: string | null; for: string | null; onlineUrl: string | null; sample: boolean }
export interface SiteItems { items: SiteItem[]; total: number; note: string | null }

type Divisions = Required<Pick<HebeiDivisions, 'province' | 'cities' | 'provinciallyAdministered' | 'xiongan'>>;

export const XIONGAN_CODE = 'xiongan';

function loadDivisions(): Divisions {
  const d = hebeiDivisions();
  return { province: d.province, cities: d.cities, provinciallyAdministered: d.provinciallyAdministered ?? [], xiongan: d.xiongan ?? { name: '雄安新区', counties: [] } };
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

/** The slice of a service guide the portal uses (the repository wires in the assistant's own). */
export interface GuideSource {
  sites?(): Site[];
  itemsForSite(code: string, opts: { for?: 'person' | 'legal'; offset: number; limit: number }): SiteItems;
}

export interface SiteDirectory {
  sites: Site[];
  guideAvailable: boolean;
  items(code: string, opts: { for?: 'person' | 'legal'; offset?: number; limit?: number }): SiteItems | null;
}

const NO_GUIDE_NOTE = '办事指南数据尚未安装，站点切换可用，事项列表为空。';

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
