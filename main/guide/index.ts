/**
 * The service guide's module API — what the desktop UI and the CLI call. Screens it serves:
 * site picker → 个人/法人 → 主题/部门 → item guide page (在线办理 opens the portal); 热门服务 tiles;
 * instant search (paging, facets, highlights); 智能问答; the manual reader.
 * Pure: data locations are passed in (default: ./data next to this module).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssistantError } from '../errors.ts';
import { Catalogue, parseBundle, THEMES, type ItemFilter, type Page, type ThemeRef } from './catalogue.ts';
import { loadInstalledUpdate } from './bundle.ts';
import { QuestionAnswerer, type Answer, type HelpTopic, type ItemSuggestion } from './qa.ts';
import { joinHardWrappedLines, sectionPassage } from './manual.ts';
import { normalizeChinesePunctuation } from './punctuation.ts';
import { buildCatalogueIndex } from './search/build.ts';
import { loadIndexFile, type IndexData } from './search/index-data.ts';
import { SearchEngine, type SearchOptions, type SearchResult } from './search/query.ts';
import type { Audience, ManualSection, ServiceItem, Site } from './types.ts';

export type { Answer, ItemSuggestion, ManualSection, SearchOptions, SearchResult, ServiceItem, Site, ThemeRef, ItemFilter, Page };
export { UNKNOWN_TEXT } from './catalogue.ts';
export { normalizeChinesePunctuation } from './punctuation.ts';

export const DEFAULT_DATA_DIR = fileURLToPath(new URL('./data/', import.meta.url));

export interface GuideOpenOptions {
  /** Directory with the shipped catalogue.json, search-index.bin, manual.json, … */
  dataDir?: string;
  /** User-writable directory where signed catalogue updates are installed. */
  updateDir?: string;
  /** Pinned Ed25519 public key (PEM) for updates: policy `guideBundlePublicKey`. */
  publicKeyPem?: string | null;
  /** Site URLs from policy (`guideSiteUrls`): code → https URL. */
  siteUrls?: Record<string, string>;
  now?: () => Date;
}

export interface SiteNode extends Site { children: SiteNode[] }
export interface HotCategory { id: string; name: string; nameEn: string; items: { id: string; title: string; site: string }[] }

const readJson = <T>(file: string): T => {
  try { return JSON.parse(readFileSync(file, 'utf8')) as T; } catch (e) {
    throw new AssistantError('GUIDE_DATA_MISSING', '办事指南数据文件缺失或损坏', { en: 'service guide data file missing or corrupt', details: { file }, cause: e });
  }
};

function indexMatches(idx: IndexData, cat: Catalogue, engine: SearchEngine): boolean {
  const n = cat.itemCount;
  if (idx.header.catalogue.version !== cat.version || idx.header.counts.items !== n) return false;
  return n === 0 || (engine.idOf(0) === cat.bundle.items[0]!.id && engine.idOf(n - 1) === cat.bundle.items[n - 1]!.id);
}

export class Guide {
  readonly catalogue: Catalogue;
  readonly engine: SearchEngine;
  readonly manual: ManualSection[];
  readonly source: 'shipped' | 'update';
  private readonly qa: QuestionAnswerer;
  private readonly hotData: { categories: { id: string; name: string; nameEn: string; items: string[] }[] };

  private constructor(catalogue: Catalogue, engine: SearchEngine, manual: ManualSection[], qa: QuestionAnswerer, hot: Guide['hotData'], source: Guide['source']) {
    this.catalogue = catalogue; this.engine = engine; this.manual = manual; this.qa = qa; this.hotData = hot; this.source = source;
  }

  static open(opts: GuideOpenOptions = {}): Guide {
    const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
    const now = opts.now ?? (() => new Date());
    const shippedText = (() => {
      try { return readFileSync(join(dataDir, 'catalogue.json'), 'utf8'); } catch (e) {
        throw new AssistantError('GUIDE_DATA_MISSING', '找不到办事指南目录文件', { en: 'catalogue file not found', details: { dataDir }, cause: e });
      }
    })();
    // The shipped catalogue is trusted (it is part of the signed app); a newer signed update wins.
    let bundle = parseBundle(shippedText, { trusted: true });
    let indexFile = join(dataDir, 'search-index.bin');
    let source: Guide['source'] = 'shipped';
    let hash: string | undefined;
    if (opts.updateDir) {
      const upd = loadInstalledUpdate(opts.updateDir, opts.publicKeyPem, bundle.version);
      if (upd) { bundle = upd.bundle; indexFile = join(upd.dir, 'search-index.bin'); source = 'update'; hash = upd.hash; }
    }
    const catalogue = new Catalogue(bundle, { siteUrls: opts.siteUrls ?? {}, ...(hash ? { hash } : {}) });
    const abbreviations = readJson<{ expansions: Record<string, string[]> }>(join(dataDir, 'abbreviations.json')).expansions;
    const abbreviationPinyin = readJson<{ forms: Record<string, string[]> }>(join(dataDir, 'abbreviation-pinyin.json')).forms;
    let engine: SearchEngine | null = null;
    try {
      const idx = loadIndexFile(indexFile);
      const e = new SearchEngine(idx, { abbreviations, abbreviationPinyin });
      if (indexMatches(idx, catalogue, e)) engine = e;
    } catch {}
    // A missing or stale index is rebuilt in memory (slower start, same results).
    engine ??= new SearchEngine(buildCatalogueIndex(catalogue, now), { abbreviations, abbreviationPinyin });
    // The manual's half-width and doubled punctuation is normalised and its mid-sentence line breaks
    // rejoined once, for the reader and 智能问答 alike (the data stays as published).
    const manual = readJson<{ sections: ManualSection[] }>(join(dataDir, 'manual.json')).sections
      .map((m) => ({ ...m, title: normalizeChinesePunctuation(m.title), text: joinHardWrappedLines(normalizeChinesePunctuation(m.text)) }));
    const synonyms = readJson<{ expansions: Record<string, string[]> }>(join(dataDir, 'qa-synonyms.json')).expansions;
    const qaItems = (function* () { for (const r of catalogue.indexRecords()) yield { id: r.id, title: r.title, keywords: r.keywords }; })();
    const help = readJson<{ topics: HelpTopic[] }>(join(dataDir, 'assistant-help.json')).topics;
    const qa = new QuestionAnswerer(manual, { synonyms, items: qaItems, help });
    const hot = readJson<Guide['hotData']>(join(dataDir, 'hot.json'));
    return new Guide(catalogue, engine, manual, qa, hot, source);
  }

  get version(): number { return this.catalogue.version; }

  /** All sites, flat, in tree order (province, each city with its counties, 雄安, 省直管县). */
  sites(): Site[] { return this.catalogue.siteList(); }
  site(code: string): Site | undefined { return this.catalogue.site(code); }

  siteTree(): SiteNode[] {
    const build = (s: Site): SiteNode => ({ ...s, children: this.catalogue.subSites(s.code).map(build) });
    return this.catalogue.subSites(null).map(build);
  }

  departments(site: string, aud?: Audience): ReturnType<Catalogue['departmentsOf']> { return this.catalogue.departmentsOf(site, aud); }
  themes(site: string | null, aud: Audience): (ThemeRef & { count: number })[] { return this.catalogue.themesOf(site, aud); }
  static themeList(aud: Audience): ThemeRef[] { return THEMES[aud]; }

  /** Browse a site's own items (the portal lists each level's items only), paged. */
  items(filter: ItemFilter): Page<ServiceItem> { return this.catalogue.items(filter); }
  item(id: string): ServiceItem | undefined { return this.catalogue.item(id); }

  /** 热门服务: 9 categories; each entry resolves to the nearest level (site → city → province) that has the item. */
  hot(site?: string): HotCategory[] {
    const chain: string[] = [];
    for (let s = site ? this.catalogue.site(site) : undefined; s; s = s.parent ? this.catalogue.site(s.parent) : undefined) chain.push(s.code);
    const root = this.catalogue.subSites(null)[0]?.code;
    if (root && !chain.includes(root)) chain.push(root);
    return this.hotData.categories.map((c) => ({
      id: c.id, name: c.name, nameEn: c.nameEn,
      items: c.items.flatMap((tpl) => {
        for (const code of chain) {
          const it = this.catalogue.item(`${code}/${tpl}`);
          if (it) return [{ id: it.id, title: it.name, site: it.site.code }];
        }
        const any = this.catalogue.bundle.items.find((x) => x.template === tpl);
        const r = any && this.catalogue.item(any.id);
        return r ? [{ id: r.id, title: r.name, site: r.site.code }] : [];
      }),
    }));
  }

  search(query: string, opts: SearchOptions = {}): SearchResult { return this.engine.search(query, opts); }

  /** 智能问答: manual passages best first, plus service items the question names. */
  answer(question: string, limit = 3): { answers: Answer[]; items: ItemSuggestion[] } {
    return { answers: this.qa.answer(question, limit), items: this.qa.suggestItems(question, limit) };
  }

  /** The manual's table of contents. */
  manualToc(): { id: string; title: string; level: number }[] { return this.manual.map((s) => ({ id: s.id, title: s.title, level: s.level })); }

  /** One manual section with its subsections' text (the reader's page). */
  manualSection(id: string): (ManualSection & { passage: string }) | undefined {
    const s = this.manual.find((x) => x.id === id);
    return s && { ...s, passage: sectionPassage(this.manual, id) };
  }
}
