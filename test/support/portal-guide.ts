/**
 * The assistant's service guide (main/guide) as the reference portal's `GuideSource`: the
 * repository's `npm run portal` and the portal's tests pass it in, so the portal package itself
 * needs nothing but Cert Assistant's published exports.
 */
import { Guide } from '../../main/guide/index.ts';
import type { GuideSource, Site } from '../../examples/reference-portal/sites.ts';

interface GuideLike {
  sites(): Site[];
  items(filter: { site: string; for?: 'person' | 'legal'; offset: number; limit: number }): {
    total: number;
    items: { id: string; name: string; department: { name: string }; themeName: string; for: string; online: boolean | null; onlineUrl: string | null; portalUrl: string; sample: boolean }[];
  };
  catalogue: { bundle: { sample: boolean; note?: string } };
}

let guideSource: GuideSource | null | undefined;

/** The assistant's service guide as the reference portal's guide source, opened once per process. */
export function repoGuideSource(): GuideSource | null {
  guideSource ??= openGuideSource();
  return guideSource;
}

function openGuideSource(): GuideSource | null {
  try {
    const guide: GuideLike = Guide.open();
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
