/** The catalogue bundle: schema validation, canonical bytes, template resolution, browsing. */
import { createHash } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import { AssistantError } from '../errors.ts';
import schema from './data/catalogue.schema.json' with { type: 'json' };
import themesData from './data/themes.json' with { type: 'json' };
import type { Audience, CatalogueBundle, Department, GuideFields, ItemTemplate, ServiceItem, Site, StoredItem } from './types.ts';

export const UNKNOWN_TEXT = '以门户网站公布为准';
export const BUNDLE_FORMAT = 'cert-assistant/guide-catalogue@1';

export interface ThemeRef { code: string; name: string; portalId: number | null }
export const THEMES: { person: ThemeRef[]; legal: ThemeRef[] } = { person: themesData.person, legal: themesData.legal };
export const ITEM_TYPES: { code: string; name: string }[] = themesData.itemTypes;

let validator: ValidateFunction | null = null;

/** Canonical bytes of a JSON value: keys sorted, no whitespace, UTF-8 (what signatures cover). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return '[' + value.map((v) => canonicalJson(v === undefined ? null : v)).join(',') + ']';
  const obj = value as Record<string, unknown>;
  return '{' + Object.keys(obj).filter((k) => obj[k] !== undefined).sort().map((k) => JSON.stringify(k) + ':' + canonicalJson(obj[k])).join(',') + '}';
}

export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

export function catalogueHash(bundle: CatalogueBundle): string {
  return createHash('sha256').update(canonicalBytes(bundle)).digest('hex');
}

const GUIDE_FIELDS: (keyof GuideFields)[] = ['name', 'basicCode', 'implCode', 'type', 'for', 'theme', 'keywords', 'conditions', 'materials', 'process', 'legalLimit', 'promiseLimit', 'fee', 'place', 'hours', 'consultPhone', 'supervisePhone', 'online', 'onlineUrl'];

function schemaError(why: string, details?: Record<string, unknown>): AssistantError {
  return new AssistantError('BUNDLE_SCHEMA_INVALID', `办事指南目录格式不正确：${why}`, { en: `catalogue bundle does not match its schema: ${why}`, details: details ?? {} });
}

/** Validates a parsed bundle: JSON schema, then references (sites, departments, templates, themes). */
export function validateBundle(value: unknown, opts: { trusted?: boolean } = {}): CatalogueBundle {
  if (opts.trusted) {
    // The shipped catalogue was schema-validated when it was built; check only its outline and references.
    const v = value as Partial<CatalogueBundle> | null;
    if (!v || v.format !== BUNDLE_FORMAT || !Number.isInteger(v.version) || !Array.isArray(v.sites) || !Array.isArray(v.departments) || !Array.isArray(v.templates) || !Array.isArray(v.items)) throw schemaError('目录结构不完整');
  } else {
    validator ??= new Ajv({ allErrors: false, strict: false }).compile(schema);
  }
  if (!opts.trusted && !validator!(value)) {
    const e = validator!.errors?.[0];
    throw schemaError(`${e?.instancePath || '/'} ${e?.message ?? ''}`.trim(), { path: e?.instancePath ?? '' });
  }
  const b = value as CatalogueBundle;
  const sites = new Set<string>();
  for (const s of b.sites) { if (sites.has(s.code)) throw schemaError(`站点代码重复 ${s.code}`); sites.add(s.code); }
  for (const s of b.sites) if (s.parent !== null && !sites.has(s.parent)) throw schemaError(`站点 ${s.code} 的上级 ${s.parent} 不存在`);
  const depts = new Map<string, Department>();
  for (const d of b.departments) {
    if (!sites.has(d.site)) throw schemaError(`部门 ${d.id} 的站点不存在`);
    if (depts.has(d.id)) throw schemaError(`部门编号重复 ${d.id}`);
    depts.set(d.id, d);
  }
  const templates = new Map(b.templates.map((t) => [t.id, t]));
  const ids = new Set<string>();
  for (const it of b.items) {
    if (ids.has(it.id)) throw schemaError(`事项编号重复 ${it.id}`, { id: it.id });
    ids.add(it.id);
    if (!sites.has(it.site)) throw schemaError(`事项 ${it.id} 的站点不存在`, { id: it.id });
    const d = depts.get(it.department);
    if (!d || d.site !== it.site) throw schemaError(`事项 ${it.id} 的实施部门不属于该站点`, { id: it.id });
    const t = it.template === undefined ? undefined : templates.get(it.template);
    if (it.template !== undefined && !t) throw schemaError(`事项 ${it.id} 引用的模板不存在`, { id: it.id });
    for (const f of GUIDE_FIELDS) if (it[f] === undefined && t === undefined) throw schemaError(`事项 ${it.id} 缺少字段 ${f}`, { id: it.id, field: f });
    const aud = (it.for ?? t!.for) as Audience;
    const theme = it.theme ?? t!.theme;
    if (!THEMES[aud].some((x) => x.code === theme)) throw schemaError(`事项 ${it.id} 的主题 ${theme} 不在${aud === 'person' ? '个人' : '法人'}主题表中`, { id: it.id });
  }
  return b;
}

export function parseBundle(text: string, opts: { trusted?: boolean } = {}): CatalogueBundle {
  let v: unknown;
  try { v = JSON.parse(text); } catch { throw schemaError('不是有效的 JSON'); }
  return validateBundle(v, opts);
}

export interface ItemFilter {
  site?: string;
  /** Include sub-sites of `site` (default false: the portal lists only a site's own items). */
  includeSubSites?: boolean;
  for?: Audience;
  theme?: string;
  department?: string;
  offset?: number;
  limit?: number;
}

export interface Page<T> { total: number; offset: number; limit: number; items: T[] }

/** A validated bundle, resolved and indexed for browsing (sites → 个人/法人 → 主题/部门 → item). */
export class Catalogue {
  readonly bundle: CatalogueBundle;
  private hashValue: string | undefined;
  private readonly sites = new Map<string, Site>();
  private readonly children = new Map<string | null, Site[]>();
  private readonly departments = new Map<string, Department>();
  private readonly templates = new Map<string, ItemTemplate>();
  private readonly byId = new Map<string, number>();
  private readonly siteUrls: Record<string, string>;

  constructor(bundle: CatalogueBundle, opts: { siteUrls?: Record<string, string>; hash?: string } = {}) {
    this.bundle = bundle;
    this.hashValue = opts.hash;
    this.siteUrls = opts.siteUrls ?? {};
    for (const s of bundle.sites) {
      this.sites.set(s.code, s);
      if (!this.children.has(s.parent)) this.children.set(s.parent, []);
      this.children.get(s.parent)!.push(s);
    }
    for (const d of bundle.departments) this.departments.set(d.id, d);
    for (const t of bundle.templates) this.templates.set(t.id, t);
    bundle.items.forEach((it, i) => this.byId.set(it.id, i));
  }

  /** SHA-256 of the canonical bytes (computed on first use: it costs a full serialisation). */
  get hash(): string { return (this.hashValue ??= catalogueHash(this.bundle)); }
  get version(): number { return this.bundle.version; }
  get itemCount(): number { return this.bundle.items.length; }

  siteList(): Site[] { return this.bundle.sites.map((s) => this.withUrl(s)); }
  site(code: string): Site | undefined { const s = this.sites.get(code); return s && this.withUrl(s); }
  subSites(code: string | null): Site[] { return (this.children.get(code) ?? []).map((s) => this.withUrl(s)); }

  private withUrl(s: Site): Site {
    const u = this.siteUrls[s.code];
    return u ? { ...s, url: u, urlVerified: true } : s;
  }

  /** The site's own departments with item counts (optionally for one audience). */
  departmentsOf(site: string, aud?: Audience): { id: string; name: string; kind: string; count: number }[] {
    const counts = new Map<string, number>();
    for (const it of this.bundle.items) {
      if (it.site !== site) continue;
      if (aud && this.field(it, 'for') !== aud) continue;
      counts.set(it.department, (counts.get(it.department) ?? 0) + 1);
    }
    return [...counts].map(([id, count]) => { const d = this.departments.get(id)!; return { id, name: d.name, kind: d.kind, count }; }).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name, 'zh'));
  }

  /** National themes of an audience with the site's item counts (zero-count themes included). */
  themesOf(site: string | null, aud: Audience): (ThemeRef & { count: number })[] {
    const counts = new Map<string, number>();
    for (const it of this.bundle.items) {
      if (site !== null && it.site !== site) continue;
      if (this.field(it, 'for') !== aud) continue;
      const th = this.field(it, 'theme');
      counts.set(th, (counts.get(th) ?? 0) + 1);
    }
    return THEMES[aud].map((t) => ({ ...t, count: counts.get(t.code) ?? 0 }));
  }

  private field<K extends keyof GuideFields>(it: StoredItem, k: K): GuideFields[K] {
    const own = it[k];
    if (own !== undefined) return own as GuideFields[K];
    return this.templates.get(it.template!)![k];
  }

  private inSite(code: string, site: string, sub: boolean): boolean {
    if (code === site) return true;
    if (!sub) return false;
    for (let s = this.sites.get(code); s && s.parent !== null; s = this.sites.get(s.parent)) if (s.parent === site) return true;
    return false;
  }

  items(f: ItemFilter = {}): Page<ServiceItem> {
    const offset = Math.max(0, f.offset ?? 0), limit = Math.max(0, Math.min(1000, f.limit ?? 50));
    const out: ServiceItem[] = [];
    let total = 0;
    for (let i = 0; i < this.bundle.items.length; i++) {
      const it = this.bundle.items[i]!;
      if (f.site !== undefined && !this.inSite(it.site, f.site, f.includeSubSites === true)) continue;
      if (f.for && this.field(it, 'for') !== f.for) continue;
      if (f.theme && this.field(it, 'theme') !== f.theme) continue;
      if (f.department && it.department !== f.department && this.departments.get(it.department)?.kind !== f.department) continue;
      if (total >= offset && out.length < limit) out.push(this.resolveAt(i));
      total++;
    }
    return { total, offset, limit, items: out };
  }

  item(id: string): ServiceItem | undefined {
    const i = this.byId.get(id);
    return i === undefined ? undefined : this.resolveAt(i);
  }

  indexOf(id: string): number { return this.byId.get(id) ?? -1; }

  /** The item at catalogue position i with its template resolved (guide page data). */
  resolveAt(i: number): ServiceItem {
    const it = this.bundle.items[i]!;
    const fields = {} as Record<string, unknown>;
    for (const k of GUIDE_FIELDS) fields[k] = this.field(it, k);
    const g = fields as unknown as GuideFields;
    const site = this.site(it.site)!;
    const dept = this.departments.get(it.department)!;
    const province = this.bundle.sites.find((s) => s.parent === null);
    const portalUrl = site.url ?? this.withUrl(province ?? site).url ?? 'https://www.hbzwfw.gov.cn';
    return {
      ...g, id: it.id,
      site: { code: site.code, name: site.name, level: site.level },
      department: { id: dept.id, name: dept.name, kind: dept.kind },
      typeName: ITEM_TYPES.find((t) => t.code === g.type)?.name ?? g.type,
      themeName: THEMES[g.for].find((t) => t.code === g.theme)?.name ?? g.theme,
      sample: this.bundle.sample, portalUrl, unknownText: UNKNOWN_TEXT,
    };
  }

  /** Index source records in catalogue order (search index item i = catalogue item i). */
  *indexRecords(): Generator<{ id: string; title: string; keywords: string[]; site: string; departmentId: string; department: string; departmentKind: string; for: Audience; theme: string }> {
    for (const it of this.bundle.items) {
      const d = this.departments.get(it.department)!;
      yield { id: it.id, title: this.field(it, 'name'), keywords: this.field(it, 'keywords'), site: it.site, departmentId: d.id, department: d.name, departmentKind: d.kind, for: this.field(it, 'for'), theme: this.field(it, 'theme') };
    }
  }
}
