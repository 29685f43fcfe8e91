/**
 * Query engine over a loaded index: terms (whitespace-separated, all must match), each matched
 * against titles (exact substring), keywords, pinyin (full and initials), departments and — when
 * the query has several terms — site names; abbreviations expand terms. Ranking: title > pinyin >
 * keywords > department > site; exact title > prefix > substring; shorter titles and higher site
 * levels break ties. Filters, paging, facets with counts, highlight ranges for the UI.
 */
import type { Audience, SiteLevel } from '../types.ts';
import { GramField, gramKey, MATCH_EXACT, TitleList } from './gram-field.ts';
import { gramFields, matchingForm, type IndexData, type IndexSite } from './index-data.ts';
import { RankedHeap } from './ranked-heap.ts';

export interface SearchOptions {
  /** Site code: this site and its sub-sites. */
  site?: string;
  for?: Audience;
  /** National theme code (with `for`, or matching either audience's list). */
  theme?: string;
  /** Department kind (e.g. 市场监督管理局) or a full department name. */
  department?: string;
  /** Items of this site (and its sub-sites) rank first. */
  preferSite?: string;
  offset?: number;
  limit?: number;
  /** Also return every matching item's index (recall checks, "select all"). */
  collectAll?: boolean;
}

export interface SearchHit {
  /** Position of the item in the catalogue/index. */
  index: number;
  id: string;
  title: string;
  site: { code: string; name: string; level: SiteLevel };
  department: string;
  departmentKind: string;
  theme: { code: string; name: string } | null;
  for: Audience;
  score: number;
  /** [start, end) code-unit ranges in `title` to highlight. */
  highlights: [number, number][];
  matchedBy: 'title' | 'pinyin' | 'keyword' | 'department' | 'site';
}

export interface FacetCount { key: string; name: string; count: number }

export interface SearchResult {
  query: string;
  terms: string[];
  total: number;
  offset: number;
  limit: number;
  results: SearchHit[];
  facets: { level: FacetCount[]; city: FacetCount[]; department: FacetCount[]; theme: FacetCount[]; for: FacetCount[] };
  /** With `collectAll`: indices of all matching items, in candidate order. */
  all?: Uint32Array;
  /** Set when the query was re-read (e.g. 唐山公积金 → 唐山 公积金) because as typed it matched nothing. */
  rewrittenFrom?: string;
}

const MAX_TERMS = 8;
const MAX_TERM_LENGTH = 64;
const MAX_WINDOW = 10_000;
const LEVEL_NAMES: Record<SiteLevel, string> = { province: '省级', city: '市级', county: '县级' };
const LEVELS: SiteLevel[] = ['province', 'city', 'county'];
const FOR_NAMES: Record<Audience, string> = { person: '个人', legal: '法人' };

// Per-field scores; a term's score for an item is its best field.
const S_TITLE = [100, 92, 84];
const S_PY_FULL = [78, 74, 66];
const S_PY_INIT = [76, 72, 64];
const S_KEYWORD = 50;
const S_DEPT = 30;
const S_SITE = 20;
const ABBREV_PENALTY = 6;
/** A Latin term read as the pinyin of an abbreviation ranks where pinyin matches of titles rank. */
const PINYIN_ABBREV_PENALTY = S_TITLE[0]! - S_PY_INIT[0]!;

interface TextAlt { codes: number[]; text: string; penalty: number }
interface TermState {
  term: string;
  textAlts: TextAlt[];
  pinyin: number[] | null;
  title: Uint8Array;
  /** Which field gave the title score: 0 title, 1 pinyin, 2 keyword. */
  titleBy: Uint8Array;
  touched: TitleList;
  dept: Uint8Array | null;
  deptTouched: number[];
  site: Uint8Array | null;
  siteTouched: number[];
  estimate: number;
}

// One decoder for every id: constructing a TextDecoder per hit cost more than the rest of the hit.
const ID_DECODER = new TextDecoder();

const codesOf = (s: string): number[] => Array.from({ length: s.length }, (_, i) => s.charCodeAt(i));

export class SearchEngine {
  readonly data: IndexData;
  private readonly fields: ReturnType<typeof gramFields>;
  private readonly siteIndex = new Map<string, number>();
  private readonly siteBranch: Int32Array;
  private readonly siteBonus: Float64Array;
  private readonly deptKindIndex = new Map<string, number>();
  private readonly themeByCode = new Map<string, number[]>();
  private readonly abbreviations: [string, string[]][];
  private readonly abbreviationPinyin: Map<string, string[]>;
  private readonly titleCache = new Map<number, string>();
  private readonly kindForms: string[];
  private readonly scratch: Uint32Array;
  private readonly siteLevel: Uint8Array;
  private readonly titleBonus: Float64Array;
  private itemPosCache: Uint32Array | null = null;
  /** Title of each entry of deptItems: department passes skip title-matched items without a random item lookup. */
  private readonly deptItemTitle: Uint32Array;
  /** Static score part of each title's first (best) item: ranks titles for the top-k without an item lookup. */
  private readonly titleHeadBonus: Float64Array;
  /** Department-ordered copies of item attributes (site | theme << 16, department, audience), aligned with deptItems. */
  private readonly deptItemSiteTheme: Uint32Array;
  private readonly deptItemDept: Uint32Array;
  private readonly deptItemFor: Uint8Array;
  /** Department → kind (small, stays in cache). */
  private readonly deptKind: Uint16Array;
  private readonly deptsOfKind: number[][];

  constructor(data: IndexData, opts: { abbreviations?: Record<string, string[]>; abbreviationPinyin?: Record<string, string[]> } = {}) {
    this.data = data;
    this.fields = gramFields(data.arrays);
    const sites = data.header.sites;
    sites.forEach((s, i) => this.siteIndex.set(s.code, i));
    this.siteBranch = new Int32Array(sites.length).fill(-1);
    this.siteBonus = new Float64Array(sites.length);
    sites.forEach((s, i) => {
      this.siteBonus[i] = s.level === 'province' ? 0.3 : s.level === 'city' ? 0.2 : 0.1;
      let j = i;
      while (j >= 0) {
        const p = sites[j]!.parent === null ? -1 : (this.siteIndex.get(sites[j]!.parent!) ?? -1);
        if (p >= 0 && sites[p]!.parent === null) { this.siteBranch[i] = j; break; }
        j = p;
      }
    });
    data.header.deptKinds.forEach((k, i) => this.deptKindIndex.set(k, i));
    this.kindForms = data.header.deptKinds.map(matchingForm);
    data.header.themes.forEach((t, i) => {
      if (!this.themeByCode.has(t.code)) this.themeByCode.set(t.code, []);
      this.themeByCode.get(t.code)!.push(i);
    });
    this.deptsOfKind = data.header.deptKinds.map(() => []);
    data.header.departments.forEach((d, i) => this.deptsOfKind[d.kind]!.push(i));
    const a = data.arrays;
    this.scratch = new Uint32Array(data.header.counts.items);
    this.deptItemTitle = new Uint32Array(a.deptItems.length);
    for (let j = 0; j < a.deptItems.length; j++) this.deptItemTitle[j] = a.itemTitle[a.deptItems[j]!]!;
    this.siteLevel = Uint8Array.from(sites, (s) => LEVELS.indexOf(s.level));
    // Static part of every item's score: higher site level first, then shorter titles.
    this.titleBonus = new Float64Array(data.header.counts.titles);
    for (let t = 0; t < this.titleBonus.length; t++) this.titleBonus[t] = -Math.min(999, a.titleOff[t + 1]! - a.titleOff[t]!) * 0.001;
    const nd = a.deptItems.length;
    this.deptItemSiteTheme = new Uint32Array(nd); this.deptItemDept = new Uint32Array(nd); this.deptItemFor = new Uint8Array(nd);
    for (let d = 0; d + 1 < a.deptItemOff.length; d++) {
      for (let j = a.deptItemOff[d]!, e = a.deptItemOff[d + 1]!; j < e; j++) {
        const it = a.deptItems[j]!;
        this.deptItemSiteTheme[j] = (a.itemSite[it]! | (a.itemTheme[it]! << 16)) >>> 0;
        this.deptItemDept[j] = d; this.deptItemFor[j] = a.itemFor[it]!;
      }
    }
    this.deptKind = Uint16Array.from(data.header.departments, (d) => d.kind);
    this.titleHeadBonus = new Float64Array(this.titleBonus.length);
    for (let t = 0; t < this.titleBonus.length; t++) {
      const j = a.titleItemOff[t]!;
      this.titleHeadBonus[t] = j < a.titleItemOff[t + 1]! ? this.siteBonus[a.itemSite[j]!]! + this.titleBonus[t]! : this.titleBonus[t]!;
    }
    this.abbreviations = Object.entries(opts.abbreviations ?? {}).map(([k, v]) => [matchingForm(k), v.map(matchingForm)] as [string, string[]]).sort((a, b) => b[0].length - a[0].length);
    this.abbreviationPinyin = new Map(Object.entries(opts.abbreviationPinyin ?? {}).map(([k, v]) => [k, v.map(matchingForm)]));
  }

  get itemCount(): number { return this.data.header.counts.items; }
  get sites(): readonly IndexSite[] { return this.data.header.sites; }

  /** Splits and normalises a query into terms. */
  static terms(query: string): string[] {
    const seen = new Set<string>();
    for (const raw of matchingForm(query).split(/[\s\u3000,，;；、]+/)) {
      const t = raw.slice(0, MAX_TERM_LENGTH);
      if (t && !seen.has(t)) seen.add(t);
      if (seen.size >= MAX_TERMS) break;
    }
    return [...seen];
  }

  private expand(term: string): TextAlt[] {
    const alts: TextAlt[] = [{ codes: codesOf(term), text: term, penalty: 0 }];
    const seen = new Set([term]);
    const add = (v: string, penalty: number) => {
      if (!seen.has(v) && alts.length < 8) { seen.add(v); alts.push({ codes: codesOf(v), text: v, penalty }); }
    };
    // `yyzz` / `yingyezhizhao` stand for 营业执照, which then expands like the Chinese word itself.
    const bases: [string, number][] = [[term, 0], ...(this.abbreviationPinyin.get(term) ?? []).map((w): [string, number] => [w, PINYIN_ABBREV_PENALTY])];
    for (const [base, penalty] of bases) {
      add(base, penalty);
      for (const [abbr, full] of this.abbreviations) {
        if (!base.includes(abbr)) continue;
        for (const f of full) add(base.split(abbr).join(f), penalty + ABBREV_PENALTY);
      }
    }
    return alts;
  }

  /** Per-term score arrays are reused across queries (cleared entry by entry) to keep GC pauses out of latency. */
  private readonly pool: { title: Uint8Array; titleBy: Uint8Array; dept: Uint8Array; touched: TitleList }[] = [];

  private slot(i: number): { title: Uint8Array; titleBy: Uint8Array; dept: Uint8Array; touched: TitleList } {
    const h = this.data.header;
    return (this.pool[i] ??= { title: new Uint8Array(h.counts.titles), titleBy: new Uint8Array(h.counts.titles), dept: new Uint8Array(h.departments.length), touched: new TitleList(h.counts.titles) });
  }

  private release(states: TermState[]): void {
    for (const st of states) {
      const ids = st.touched.ids;
      for (let x = 0; x < st.touched.n; x++) { const t = ids[x]!; st.title[t] = 0; st.titleBy[t] = 0; }
      st.touched.n = 0;
      if (st.dept !== null) for (const d of st.deptTouched) st.dept[d] = 0;
    }
  }

  private matchTerm(term: string, multi: boolean, slotIndex: number): TermState {
    const buf = this.slot(slotIndex);
    const st: TermState = {
      term, textAlts: this.expand(term), pinyin: /^[a-z0-9]*[a-z][a-z0-9]*$/.test(term) ? codesOf(term) : null,
      title: buf.title, titleBy: buf.titleBy, touched: buf.touched, dept: null, deptTouched: [], site: null, siteTouched: [], estimate: 0,
    };
    const { title, titleBy, touched } = st;
    for (const alt of st.textAlts) {
      const pen = alt.penalty;
      this.fields.title.markMatches(alt.codes, [S_TITLE[0]! - pen, S_TITLE[1]! - pen, S_TITLE[2]! - pen], 0, title, titleBy, touched);
      this.fields.kw.markMatches(alt.codes, [S_KEYWORD - pen, S_KEYWORD - pen, S_KEYWORD - pen], 2, title, titleBy, touched);
    }
    if (st.pinyin) {
      this.fields.pyi.markMatches(st.pinyin, S_PY_INIT, 1, title, titleBy, touched, st.pinyin.length === 1);
      this.fields.pyf.markMatches(st.pinyin, S_PY_FULL, 1, title, titleBy, touched);
    }
    const a = this.data.arrays;
    // The estimate only picks the driving term among several; one term needs no pass over its titles.
    if (multi) for (let x = 0; x < touched.n; x++) { const t = touched.ids[x]!; st.estimate += a.titleItemOff[t + 1]! - a.titleItemOff[t]!; }
    if (term.length >= 2) {
      const h = this.data.header;
      const dept = buf.dept;
      const hit = (d: number) => {
        if (dept[d] !== 0) return;
        dept[d] = S_DEPT;
        st.deptTouched.push(d);
        st.estimate += a.deptItemOff[d + 1]! - a.deptItemOff[d]!;
      };
      for (const alt of st.textAlts) this.fields.dept.search(alt.codes, (d) => hit(d));
      // Kind names are few; departments whose own name lacks the kind (e.g. 公安分局) still match by kind.
      const kinds: number[] = [];
      h.deptKinds.forEach((k, i) => { if (st.textAlts.some((x) => this.kindForms[i]!.includes(x.text))) kinds.push(i); });
      if (kinds.length) for (const k of kinds) for (const d of this.deptsOfKind[k]!) hit(d);
      if (st.deptTouched.length) st.dept = dept;
    }
    if (multi) {
      const sites = this.data.header.sites;
      const py = st.pinyin !== null && term.length >= 2;
      const startsAny = (v: string | undefined) => v !== undefined && v.split('\u0002').some((x) => x.startsWith(term));
      for (let s = 0; s < sites.length; s++) {
        const site = sites[s]!;
        if (!site.name.includes(term) && !(py && (startsAny(site.py) || startsAny(site.pyi)))) continue;
        st.site ??= new Uint8Array(sites.length);
        st.site[s] = S_SITE;
        st.siteTouched.push(s);
        st.estimate += a.siteItemOff[s + 1]! - a.siteItemOff[s]!;
      }
    }
    return st;
  }

  /** Site names and their short forms (唐山市 → 唐山), longest first, for splitting 唐山公积金. */
  private sitePrefixes: string[] | null = null;

  /**
   * Search. When a one-word query finds nothing and starts with a site name (唐山公积金), it is
   * searched again as two words (唐山 公积金); `rewrittenFrom` tells the UI.
   */
  search(query: string, opts: SearchOptions = {}): SearchResult {
    const r = this.searchTerms(query, opts);
    if (r.total > 0 || r.terms.length !== 1) return r;
    const term = r.terms[0]!;
    this.sitePrefixes ??= [...new Set(this.data.header.sites.flatMap((s) => {
      const n = matchingForm(s.name);
      const short = n.replace(/(新区|市|县|区)$/, '');
      return short.length >= 2 && short !== n ? [n, short] : [n];
    }))].sort((x, y) => y.length - x.length);
    const prefix = this.sitePrefixes.find((p) => term.startsWith(p) && term.length > p.length);
    if (prefix === undefined) return r;
    const again = this.searchTerms(`${prefix} ${term.slice(prefix.length)}`, opts);
    return again.total > 0 ? { ...again, query, rewrittenFrom: query } : r;
  }

  private searchTerms(query: string, opts: SearchOptions): SearchResult {
    const offset = Math.max(0, Math.min(MAX_WINDOW, Math.floor(opts.offset ?? 0)));
    const limit = Math.max(0, Math.min(MAX_WINDOW - offset, Math.floor(opts.limit ?? 20)));
    const terms = SearchEngine.terms(query);
    const h = this.data.header;
    const facetLevel = new Int32Array(3), facetFor = new Int32Array(2);
    const facetDept = new Int32Array(h.deptKinds.length), facetTheme = new Int32Array(h.themes.length), facetCity = new Int32Array(h.sites.length);
    const empty = (): SearchResult => ({ query, terms, total: 0, offset, limit, results: [], facets: this.facets(facetLevel, facetCity, facetDept, facetTheme, facetFor), ...(opts.collectAll ? { all: new Uint32Array(0) } : {}) });
    if (terms.length === 0) return empty();

    // Filters.
    let siteLo = 0, siteHi = h.sites.length;
    if (opts.site !== undefined) {
      const s = this.siteIndex.get(opts.site);
      if (s === undefined) return empty();
      siteLo = s; siteHi = h.sites[s]!.end;
    }
    const forWanted = opts.for === undefined ? -1 : opts.for === 'person' ? 0 : 1;
    let themeOk: Uint8Array | null = null;
    if (opts.theme !== undefined) {
      themeOk = new Uint8Array(h.themes.length + 1);
      for (const i of this.themeByCode.get(opts.theme) ?? []) if (forWanted < 0 || h.themes[i]!.for === opts.for) themeOk[i] = 1;
    }
    let deptOk: Uint8Array | null = null;
    if (opts.department !== undefined) {
      const want = opts.department;
      const kind = this.deptKindIndex.get(want);
      deptOk = new Uint8Array(h.departments.length);
      h.departments.forEach((d, i) => { if (d.kind === kind || d.name === want) deptOk![i] = 1; });
    }
    let preferLo = -1, preferHi = -1;
    if (opts.preferSite !== undefined) {
      const s = this.siteIndex.get(opts.preferSite);
      if (s !== undefined) { preferLo = s; preferHi = h.sites[s]!.end; }
    }

    const states = terms.map((t, i) => this.matchTerm(t, terms.length > 1, i));
    try {
      return this.rankAndPage(query, terms, states, opts, offset, limit, siteLo, siteHi, forWanted, themeOk, deptOk, preferLo, preferHi);
    } finally {
      this.release(states);
    }
  }

  private rankAndPage(query: string, terms: string[], states: TermState[], opts: SearchOptions, offset: number, limit: number, siteLo: number, siteHi: number,
    forWanted: number, themeOk: Uint8Array | null, deptOk: Uint8Array | null, preferLo: number, preferHi: number): SearchResult {
    const h = this.data.header, a = this.data.arrays;
    const facetDept = new Int32Array(h.deptKinds.length), facetTheme = new Int32Array(h.themes.length);
    let drive = 0;
    for (let i = 1; i < states.length; i++) if (states[i]!.estimate < states[drive]!.estimate) drive = i;
    const D = states[drive]!;
    const unfiltered = siteLo === 0 && siteHi === h.sites.length && forWanted < 0 && themeOk === null && deptOk === null && preferLo < 0;
    if (states.length === 1 && unfiltered && !opts.collectAll && D.siteTouched.length === 0) {
      return this.titleOnly(query, terms, D, offset, limit);
    }

    // Candidates of the driving term, each once: its titles' items, then its departments' and sites' other items.
    const cand = this.scratch;
    let nc = 0;
    const itemTitle = a.itemTitle, itemDept = a.itemDept, deptItemTitle = this.deptItemTitle;
    // Other terms that can match only through titles reject a whole title at once (several-word queries).
    const titleOnlyTerms = states.filter((st) => st !== D && st.dept === null && st.site === null).map((st) => st.title);
    const titleFails = (t: number) => { for (const tt of titleOnlyTerms) if (tt[t] === 0) return true; return false; };
    // Unfiltered several-word queries: a title every term matches by title, keyword or pinyin matches
    // with all its items at one score (title-level scores beat department and site ones), so it is
    // counted from its per-title facets and only its leading items are offered to the top-k.
    const wholeTitles = unfiltered && !opts.collectAll && states.length > 1;
    const full: number[] = [];
    for (let x = 0; x < D.touched.n; x++) {
      const t = D.touched.ids[x]!;
      if (titleOnlyTerms.length && titleFails(t)) continue;
      if (wholeTitles && states.every((st) => st.title[t] !== 0)) { full.push(t); continue; }
      for (let j = a.titleItemOff[t]!, e = a.titleItemOff[t + 1]!; j < e; j++) cand[nc++] = j;
    }
    // Department candidates are kept as positions in deptItems: their attributes are read from
    // department-ordered copies, sequentially, instead of scattered item lookups.
    const deptFrom = nc;
    for (const d of D.deptTouched) {
      for (let j = a.deptItemOff[d]!, e = a.deptItemOff[d + 1]!; j < e; j++) {
        const t = deptItemTitle[j]!;
        if (D.title[t] === 0 && !(titleOnlyTerms.length && titleFails(t))) cand[nc++] = j;
      }
    }
    const siteFrom = nc;
    for (const s of D.siteTouched) {
      for (let j = a.siteItemOff[s]!, e = a.siteItemOff[s + 1]!; j < e; j++) {
        const it = a.siteItems[j]!;
        if (D.title[itemTitle[it]!] === 0 && (D.dept === null || D.dept[itemDept[it]!] === 0)) cand[nc++] = it;
      }
    }

    // One tight pass: filters, score, facets, top-k (score desc, index asc).
    const k = offset + limit;
    const topK = new RankedHeap(k, 'worstOnTop');
    let total = 0;
    const itemSite = a.itemSite, itemFor = a.itemFor, itemTheme = a.itemTheme, siteBonus = this.siteBonus, titleBonus = this.titleBonus;
    const deptItems = a.deptItems, dSiteTheme = this.deptItemSiteTheme, dDept = this.deptItemDept, dFor = this.deptItemFor, deptKind = this.deptKind;
    const facetSite = new Int32Array(h.sites.length), facetNoTheme = new Int32Array(2);
    const nTerms = states.length;
    const T0 = states[0]!.title, D0 = states[0]!.dept, S0 = states[0]!.site;
    const nThemes = facetTheme.length;
    let fc: Int32Array | null = null;
    if (full.length) {
      const off = a.titleItemOff, fOff = a.titleFacetOff, fKey = a.titleFacetKey, fCnt = a.titleFacetCount;
      fc = new Int32Array(3 + h.sites.length + h.deptKinds.length + nThemes + 2);
      for (const t of full) {
        total += off[t + 1]! - off[t]!;
        for (let e = fOff[t]!, end = fOff[t + 1]!; e < end; e++) fc[fKey[e]!]! += fCnt[e]!;
        if (k === 0) continue;
        let base = T0[t]!;
        for (let q = 1; q < nTerms; q++) base += states[q]!.title[t]!;
        // A title's items are stored best-first: once one misses the top-k, the rest do too.
        for (let j = off[t]!, e = off[t + 1]!; j < e; j++) if (!topK.offer(base + (siteBonus[itemSite[j]!]! + titleBonus[t]!), j)) break;
      }
    }
    const all = opts.collectAll ? new Uint32Array(nc) : null;
    for (let c = 0; c < nc; c++) {
      let it: number, s: number, fo: number, th: number, d: number, t: number;
      if (c >= deptFrom && c < siteFrom) {
        const j = cand[c]!, st32 = dSiteTheme[j]!;
        it = deptItems[j]!; s = st32 & 0xffff; th = st32 >>> 16; fo = dFor[j]!; d = dDept[j]!; t = deptItemTitle[j]!;
      } else {
        it = cand[c]!; s = itemSite[it]!; th = itemTheme[it]!; fo = itemFor[it]!; d = itemDept[it]!; t = itemTitle[it]!;
      }
      if (s < siteLo || s >= siteHi) continue;
      if (forWanted >= 0 && fo !== forWanted) continue;
      if (themeOk !== null && themeOk[th] !== 1) continue;
      if (deptOk !== null && deptOk[d] !== 1) continue;
      let score = T0[t]!;
      if (D0 !== null && D0[d]! > score) score = D0[d]!;
      if (S0 !== null && S0[s]! > score) score = S0[s]!;
      if (score === 0) continue;
      if (nTerms > 1) {
        let ok = true;
        for (let q = 1; q < nTerms; q++) {
          const st = states[q]!;
          let best = st.title[t]!;
          if (st.dept !== null && st.dept[d]! > best) best = st.dept[d]!;
          if (st.site !== null && st.site[s]! > best) best = st.site[s]!;
          if (best === 0) { ok = false; break; }
          score += best;
        }
        if (!ok) continue;
      }
      score += siteBonus[s]! + titleBonus[t]!;
      if (s >= preferLo && s < preferHi) score += 5;
      if (all !== null) all[total] = a.itemOrig[it]!;
      total++;
      // Level, city and audience facets are derived after the pass from per-site and per-theme counts.
      facetSite[s]!++;
      facetDept[deptKind[d]!]!++;
      if (th < nThemes) facetTheme[th]!++; else facetNoTheme[fo]!++;
      if (k !== 0) topK.offer(score, it);
    }
    const results = topK.bestFirst().slice(offset, offset + limit).map((o) => this.hit(o.item, o.score, states));
    const out: SearchResult = { query, terms, total, offset, limit, results, facets: this.deriveFacets(facetSite, facetDept, facetTheme, facetNoTheme, fc) };
    if (all !== null) out.all = all.slice(0, total);
    return out;
  }

  /**
   * Fast path for the commonest instant-search case (one term, no filters, title-level matches):
   * total and facets from per-title facet counts, top-k by a k-way merge over the matched titles,
   * whose items are stored best-first — no pass over every matching item.
   */
  private titleOnly(query: string, terms: string[], st: TermState, offset: number, limit: number): SearchResult {
    const h = this.data.header, a = this.data.arrays;
    const S = h.sites.length, K = h.deptKinds.length, TH = h.themes.length, T = h.counts.titles;
    const off = a.titleItemOff, fOff = a.titleFacetOff, fKey = a.titleFacetKey, fCnt = a.titleFacetCount;
    const touched = st.touched.ids, m = st.touched.n;
    let fc: Int32Array, total = 0;
    const dims = 3 + S + K + TH + 2;
    const heavy = st.textAlts.length === 1 && st.textAlts[0]!.codes.length <= 2 ? this.heavyIndex(gramKey(st.textAlts[0]!.codes, 0, st.textAlts[0]!.codes.length, true)) : -1;
    if (heavy >= 0) {
      // Titles containing the term: precomputed; titles found only by keyword or pinyin are added.
      fc = Int32Array.from(a.heavyVecs.subarray(heavy * dims, (heavy + 1) * dims));
      total = a.heavyTotals[heavy]!;
      for (let x = 0; x < m; x++) {
        const t = touched[x]!;
        if (st.titleBy[t] === 0) continue;
        total += off[t + 1]! - off[t]!;
        for (let e = fOff[t]!, end = fOff[t + 1]!; e < end; e++) fc[fKey[e]!]! += fCnt[e]!;
      }
    } else if (m * 2 > T) {
      // Most titles match: count what does not match and subtract it from the catalogue's totals.
      fc = this.globalFacets().slice();
      total = h.counts.items;
      for (let t = 0; t < T; t++) {
        if (st.title[t] !== 0) continue;
        total -= off[t + 1]! - off[t]!;
        for (let e = fOff[t]!, end = fOff[t + 1]!; e < end; e++) fc[fKey[e]!]! -= fCnt[e]!;
      }
    } else {
      fc = new Int32Array(3 + S + K + TH + 2);
      for (let x = 0; x < m; x++) {
        const t = touched[x]!;
        total += off[t + 1]! - off[t]!;
        for (let e = fOff[t]!, end = fOff[t + 1]!; e < end; e++) fc[fKey[e]!]! += fCnt[e]!;
      }
    }
    // The best `want` items lie in the `want` titles with the best head items (each title's best
    // item is first): keep those titles in a bounded min-heap, then k-way merge over them.
    const want = offset + limit;
    const heads = new RankedHeap(Math.min(m, want), 'worstOnTop');
    const headBonus = this.titleHeadBonus;
    for (let x = 0; x < m; x++) {
      const title = touched[x]!;
      heads.offer(st.title[title]! + headBonus[title]!, off[title]!, title);
    }
    // Merge: the best head on top; taking it moves that title's stream to its next item.
    heads.reorder('bestOnTop');
    const picked: { score: number; item: number }[] = [];
    while (picked.length < want && heads.size > 0) {
      const item = heads.items[0]!, title = heads.titles[0]!;
      picked.push({ score: heads.scores[0]!, item });
      if (item + 1 < off[title + 1]!) heads.replaceTop(st.title[title]! + (this.siteBonus[a.itemSite[item + 1]!]! + this.titleBonus[title]!), item + 1, title);
      else heads.popTop();
    }
    // Items found only through their department score below every title-level match: count them
    // one by one and keep their own top-k, appended after the title stream.
    if (st.dept !== null) {
      const dScore: number[] = [], dItem: number[] = [];
      const itemSite = a.itemSite, itemTheme = a.itemTheme, itemFor = a.itemFor, itemKind = a.itemKind, deptItems = a.deptItems, deptItemTitle = this.deptItemTitle, stTitle = st.title;
      for (const d of st.deptTouched) {
        for (let j = a.deptItemOff[d]!, e = a.deptItemOff[d + 1]!; j < e; j++) {
          const t = deptItemTitle[j]!;
          if (stTitle[t] !== 0) continue;
          const it = deptItems[j]!;
          const s = itemSite[it]!, th = itemTheme[it]!;
          total++;
          fc[this.siteLevel[s]!]!++;
          if (this.siteBranch[s]! >= 0) fc[3 + this.siteBranch[s]!]!++;
          fc[3 + S + itemKind[it]!]!++;
          fc[th < TH ? 3 + S + K + th : 3 + S + K + TH + itemFor[it]!]!++;
          if (picked.length >= want) continue;
          const score = st.dept[d]! + this.siteBonus[s]! + this.titleBonus[t]!;
          dScore.push(score); dItem.push(it);
        }
      }
      if (picked.length < want && dItem.length) {
        const order = dItem.map((_, i) => i).sort((x, y) => dScore[y]! - dScore[x]! || dItem[x]! - dItem[y]!);
        for (const i of order) { if (picked.length >= want) break; picked.push({ score: dScore[i]!, item: dItem[i]! }); }
      }
    }
    const facetCity = new Int32Array(S);
    facetCity.set(fc.subarray(3, 3 + S));
    const facetTheme = fc.slice(3 + S + K, 3 + S + K + TH), facetFor = new Int32Array(2);
    for (let i = 0; i < TH; i++) facetFor[h.themes[i]!.for === 'person' ? 0 : 1]! += facetTheme[i]!;
    facetFor[0]! += fc[3 + S + K + TH]!; facetFor[1]! += fc[3 + S + K + TH + 1]!;
    const facets = this.facets(fc.slice(0, 3), facetCity, fc.slice(3 + S, 3 + S + K), facetTheme, facetFor);
    const results = picked.slice(offset, offset + limit).map((o) => this.hit(o.item, o.score, [st]));
    return { query, terms, total, offset, limit, results, facets };
  }

  private heavyIndex(key: number): number {
    const keys = this.data.arrays.heavyKeys;
    let lo = 0, hi = keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1, k = keys[mid]!;
      if (k === key) return mid;
      if (k < key) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
  }

  private globalFacetCache: Int32Array | null = null;
  private facetNames: Record<'level' | 'city' | 'department' | 'theme' | 'for', [string[], string[]]> | null = null;

  /** Facet counts of the whole catalogue (computed once). */
  private globalFacets(): Int32Array {
    if (this.globalFacetCache === null) {
      const h = this.data.header, a = this.data.arrays;
      const fc = new Int32Array(3 + h.sites.length + h.deptKinds.length + h.themes.length + 2);
      for (let e = 0; e < a.titleFacetKey.length; e++) fc[a.titleFacetKey[e]!]! += a.titleFacetCount[e]!;
      this.globalFacetCache = fc;
    }
    return this.globalFacetCache;
  }

  /** Facets from per-site/kind/theme item counts plus, optionally, a per-title facet vector sum (`fc`, titleFacetKey layout). */
  private deriveFacets(facetSite: Int32Array, facetDept: Int32Array, facetTheme: Int32Array, noTheme: Int32Array, fc: Int32Array | null = null): SearchResult['facets'] {
    const h = this.data.header;
    const facetLevel = new Int32Array(3), facetFor = new Int32Array(2), facetCity = new Int32Array(h.sites.length);
    if (fc !== null) {
      const S = h.sites.length, K = h.deptKinds.length, TH = h.themes.length;
      for (let i = 0; i < 3; i++) facetLevel[i] = fc[i]!;
      for (let s = 0; s < S; s++) facetCity[s] = fc[3 + s]!;
      for (let i = 0; i < K; i++) facetDept[i]! += fc[3 + S + i]!;
      for (let i = 0; i < TH; i++) facetTheme[i]! += fc[3 + S + K + i]!;
      noTheme[0]! += fc[3 + S + K + TH]!; noTheme[1]! += fc[3 + S + K + TH + 1]!;
    }
    for (let s = 0; s < facetSite.length; s++) {
      const c = facetSite[s]!;
      if (c === 0) continue;
      facetLevel[this.siteLevel[s]!]! += c;
      const br = this.siteBranch[s]!;
      if (br >= 0) facetCity[br]! += c;
    }
    for (let i = 0; i < facetTheme.length; i++) facetFor[h.themes[i]!.for === 'person' ? 0 : 1]! += facetTheme[i]!;
    facetFor[0]! += noTheme[0]!; facetFor[1]! += noTheme[1]!;
    return this.facets(facetLevel, facetCity, facetDept, facetTheme, facetFor);
  }

  private facets(level: Int32Array, city: Int32Array, dept: Int32Array, theme: Int32Array, forC: Int32Array): SearchResult['facets'] {
    const h = this.data.header;
    // Facet keys and names are static: built once, not per query (less garbage inside queries).
    const n = (this.facetNames ??= {
      level: [LEVELS.map((l) => l), LEVELS.map((l) => LEVEL_NAMES[l])],
      city: [h.sites.map((x) => x.code), h.sites.map((x) => x.name)],
      department: [h.deptKinds.slice(), h.deptKinds.slice()],
      theme: [h.themes.map((t) => `${t.for}:${t.code}`), h.themes.map((t) => t.name)],
      for: [['person', 'legal'], [FOR_NAMES.person, FOR_NAMES.legal]],
    });
    const list = (counts: Int32Array, [keys, names]: [string[], string[]]): FacetCount[] => {
      const out: FacetCount[] = [];
      for (let i = 0; i < counts.length; i++) { const c = counts[i]!; if (c > 0) out.push({ key: keys[i]!, name: names[i]!, count: c }); }
      return out.sort((x, y) => y.count - x.count || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    };
    return { level: list(level, n.level), city: list(city, n.city), department: list(dept, n.department), theme: list(theme, n.theme), for: list(forC, n.for) };
  }

  titleOf(t: number): string {
    const disp = this.data.header.titleDisplay[t];
    if (disp !== undefined) return disp;
    let s = this.titleCache.get(t);
    if (s === undefined) {
      const a = this.data.arrays;
      s = String.fromCharCode(...a.titleText.subarray(a.titleOff[t]!, a.titleOff[t + 1]!));
      if (this.titleCache.size > 4096) this.titleCache.clear();
      this.titleCache.set(t, s);
    }
    return s;
  }

  private storedId(pos: number): string {
    const a = this.data.arrays;
    return ID_DECODER.decode(a.idText.subarray(a.idOff[pos]!, a.idOff[pos + 1]!));
  }

  /** Id of the item at catalogue position `index`. */
  idOf(index: number): string {
    if (this.itemPosCache === null) {
      const orig = this.data.arrays.itemOrig;
      this.itemPosCache = new Uint32Array(orig.length);
      for (let i = 0; i < orig.length; i++) this.itemPosCache[orig[i]!] = i;
    }
    return this.storedId(this.itemPosCache[index]!);
  }

  private hit(item: number, score: number, states: TermState[]): SearchHit {
    const h = this.data.header, a = this.data.arrays;
    const t = a.itemTitle[item]!, s = h.sites[a.itemSite[item]!]!, dep = h.departments[a.itemDept[item]!]!;
    const th = h.themes[a.itemTheme[item]!];
    let by: SearchHit['matchedBy'] = 'site', best = 0;
    const ranges: [number, number][] = [];
    const titleLen = a.titleOff[t + 1]! - a.titleOff[t]!;
    for (const st of states) {
      const sc = st.title[t]!;
      if (sc > best) { best = sc; by = (['title', 'pinyin', 'keyword'] as const)[st.titleBy[t]!]!; }
      if (st.dept !== null && st.dept[a.itemDept[item]!]! > best) { best = st.dept[a.itemDept[item]!]!; by = 'department'; }
      // Abbreviations share characters with their full form (驾照 → 驾驶证) and are highlighted; substitutes (营业执照 → 设立登记) are not.
      for (const alt of st.textAlts) {
        if (alt.penalty !== 0 && ![...st.term].some((ch) => alt.text.includes(ch))) continue;
        for (const p of this.fields.title.occurrences(t, alt.codes)) ranges.push([p, p + alt.codes.length]);
      }
      if (st.pinyin) this.pinyinRanges(t, titleLen, st.pinyin, ranges);
    }
    return {
      index: a.itemOrig[item]!, id: this.storedId(item), title: this.titleOf(t), site: { code: s.code, name: s.name, level: s.level },
      department: dep.name, departmentKind: h.deptKinds[dep.kind]!, theme: th ? { code: th.code, name: th.name } : null,
      for: a.itemFor[item] === 0 ? 'person' : 'legal', score: Math.round(score * 1000) / 1000, highlights: mergeRanges(ranges), matchedBy: by,
    };
  }

  private pinyinRanges(t: number, titleLen: number, q: number[], out: [number, number][]): void {
    const a = this.data.arrays;
    // Initials are aligned one per title code unit; only the primary reading (before any separator) maps back.
    for (const p of this.fields.pyi.occurrences(t, q)) if (p + q.length <= titleLen) out.push([p, p + q.length]);
    if (q.length < 3) return;
    const base = a.titleOff[t]!;
    const cum: number[] = [0];
    for (let k = 0; k < titleLen; k++) cum.push(cum[k]! + a.pySyl[base + k]!);
    for (const p of this.fields.pyf.occurrences(t, q)) {
      const end = p + q.length;
      if (end > cum[titleLen]!) continue;
      let s = 0;
      while (s < titleLen && cum[s + 1]! <= p) s++;
      let e = s;
      while (e < titleLen && cum[e]! < end) e++;
      out.push([s, e]);
    }
  }
}

export function mergeRanges(r: [number, number][]): [number, number][] {
  r.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const out: [number, number][] = [];
  for (const x of r) {
    const last = out.at(-1);
    if (last && x[0] <= last[1]) last[1] = Math.max(last[1], x[1]);
    else out.push([x[0], x[1]]);
  }
  return out;
}

export { GramField, MATCH_EXACT };
