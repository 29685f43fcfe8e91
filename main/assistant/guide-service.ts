/**
 * Adapts main/guide's module API to the shapes the guide screens receive over IPC (paging,
 * facets with counts, highlight ranges). Opens the catalogue lazily: the first screen that needs
 * it pays the load, app start does not.
 */
import { Guide, normalizeChinesePunctuation, type GuideOpenOptions, type ServiceItem } from '../guide/index.ts';
import type { FacetCount, GuideItemSummary, GuideItemView, GuideListView } from '../../common/ipc-contract.ts';
import type { GuideService } from './world.ts';

export interface GuideServiceHandle extends GuideService {
  info(): Promise<{ available: boolean; items: number | null; version: string | null }>;
}

const text = (v: string | null): string | null => (v === null ? null : normalizeChinesePunctuation(v));

const REQUIRED_TEXT: Record<string, string> = { true: '必要', false: '非必要' };

function summaryOf(it: ServiceItem, highlights?: [number, number][], score?: number): GuideItemSummary {
  const s: GuideItemSummary = {
    id: it.id,
    title: it.name,
    site: { code: it.site.code, name: it.site.name },
    department: it.department.name,
    theme: it.themeName || null,
    for: [it.for],
    itemType: it.typeName || null,
    // Unknown offline stays unknown: the item page offers the portal, which says whether it is online.
    online: it.online,
  };
  if (highlights) s.highlights = highlights.map(([start, end]) => ({ start, end }));
  if (score !== undefined) s.score = score;
  return s;
}

function itemView(it: ServiceItem): GuideItemView {
  return {
    ...summaryOf(it),
    basicCode: it.basicCode,
    implCode: it.implCode,
    conditions: text(it.conditions),
    materials: it.materials === null ? null : it.materials.map((m) => ({
      name: m.name,
      form: m.form,
      copies: m.copies === null ? null : String(m.copies),
      required: m.required === null ? null : (REQUIRED_TEXT[String(m.required)] ?? null),
    })),
    process: it.process === null ? null : it.process.map((p) => normalizeChinesePunctuation(p)),
    legalLimit: text(it.legalLimit),
    promisedLimit: text(it.promiseLimit),
    fee: text(it.fee),
    place: text(it.place),
    hours: text(it.hours),
    phone: it.consultPhone,
    onlineUrl: it.online === false ? null : it.onlineUrl,
    portalUrl: it.portalUrl || null,
    sample: it.sample,
  };
}

/** Search facets carry `person:005`-style theme keys; browsing uses the bare national code. */
function themeCode(v: string | undefined): string | undefined {
  return v === undefined ? undefined : v.includes(':') ? v.slice(v.indexOf(':') + 1) : v;
}

export function createGuideService(opts: GuideOpenOptions = {}): GuideServiceHandle {
  let guide: Guide | null = null;
  const g = (): Guide => (guide ??= Guide.open(opts));
  const facet = (list: { key: string; name: string; count: number }[]): FacetCount[] =>
    list.filter((f) => f.count > 0).map((f) => ({ value: f.key, label: f.name, count: f.count }));

  return {
    async info() {
      const x = g();
      return { available: true, items: x.catalogue.itemCount, version: String(x.version) };
    },
    async sites() {
      return g().sites().map((s) => ({ code: s.code, name: s.name, level: s.level, parent: s.parent, pinyin: s.pinyin, initials: s.initials, url: s.url }));
    },
    async search(q): Promise<GuideListView> {
      const x = g();
      const theme = themeCode(q.theme);
      const r = x.search(q.query, {
        ...(q.site ? { site: q.site } : {}),
        ...(q.for ? { for: q.for } : {}),
        ...(theme ? { theme } : {}),
        ...(q.department ? { department: q.department } : {}),
        offset: (q.page - 1) * q.pageSize,
        limit: q.pageSize,
      });
      const items = r.results.flatMap((h) => {
        const it = x.item(h.id);
        return it ? [summaryOf(it, h.highlights, h.score)] : [];
      });
      return { total: r.total, page: q.page, pageSize: q.pageSize, items, facets: { themes: facet(r.facets.theme), departments: facet(r.facets.department) } };
    },
    async browse(q): Promise<GuideListView> {
      const x = g();
      const theme = themeCode(q.theme);
      const page = x.items({
        site: q.site,
        for: q.for,
        ...(theme ? { theme } : {}),
        ...(q.department ? { department: q.department } : {}),
        offset: (q.page - 1) * q.pageSize,
        limit: q.pageSize,
      });
      return {
        total: page.total,
        page: q.page,
        pageSize: q.pageSize,
        items: page.items.map((it) => summaryOf(it)),
        facets: {
          themes: x.themes(q.site, q.for).filter((t) => t.count > 0).map((t) => ({ value: t.code, label: t.name, count: t.count })),
          departments: x.departments(q.site, q.for).map((d) => ({ value: d.id, label: d.name, count: d.count })),
        },
      };
    },
    async item(id) {
      const it = g().item(id);
      return it ? itemView(it) : null;
    },
    async hot(site) {
      const x = g();
      return x.hot(site).map((c) => ({
        id: c.id,
        name: c.name,
        items: c.items.flatMap((i) => {
          const it = x.item(i.id);
          return it ? [summaryOf(it)] : [];
        }),
      }));
    },
    async ask(question) {
      const r = g().answer(question, 3);
      return [
        ...r.answers.map((a) => ({ section: a.section, title: a.title, score: a.score, text: a.text })),
        ...r.items.map((i) => ({ section: '', title: i.title, score: i.score, text: '', itemId: i.id })),
      ];
    },
    async manual() {
      return g().manualToc();
    },
    async manualSection(id) {
      const s = g().manualSection(id);
      return s ? { id: s.id, title: s.title, level: s.level, text: s.passage } : null;
    },
  };
}
