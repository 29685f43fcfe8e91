/**
 * The precomputed search index: typed arrays (n-gram postings, item attributes, CSR maps) plus a
 * small JSON header, serialised into one file so loading is a read plus array views.
 */
import { readFileSync } from 'node:fs';
import { AssistantError } from '../../errors.ts';
import type { Audience, SiteLevel } from '../types.ts';
import { buildGramField, GramField, MAX_SEPARATOR, type CodeArray, type GramFieldData } from './gram-field.ts';
import type { TextPinyin } from './pinyin.ts';

export const INDEX_FORMAT = 'cert-assistant/guide-index@1';
const MAGIC = 0x58474143; // "CAGX" little-endian

export interface IndexSite {
  code: string;
  name: string;
  level: SiteLevel;
  parent: string | null;
  /** Sites are stored in tree (DFS) order: this site and its sub-sites are indices [index, end). */
  end: number;
  /** Pinyin of the name (full, initials; alternatives after \u0002), for site words in queries. */
  py?: string;
  pyi?: string;
}

export interface IndexHeader {
  format: typeof INDEX_FORMAT;
  catalogue: { version: number; hash: string };
  builtAt: string;
  counts: { items: number; titles: number };
  sites: IndexSite[];
  departments: { name: string; kind: number }[];
  deptKinds: string[];
  themes: { for: Audience; code: string; name: string }[];
  /** Titles whose display form differs from the lower-cased matching form. */
  titleDisplay: Record<string, string>;
  sections: Record<string, { type: 'u8' | 'u16' | 'u32'; offset: number; length: number }>;
}

export interface IndexArrays {
  titleText: Uint16Array; titleOff: Uint32Array; titleKeys: Uint32Array; titlePostOff: Uint32Array; titlePosts: Uint32Array;
  kwText: Uint16Array; kwOff: Uint32Array; kwKeys: Uint32Array; kwPostOff: Uint32Array; kwPosts: Uint32Array;
  pyiText: Uint8Array; pyiOff: Uint32Array; pyiKeys: Uint32Array; pyiPostOff: Uint32Array; pyiPosts: Uint32Array;
  pyfText: Uint8Array; pyfOff: Uint32Array; pyfKeys: Uint32Array; pyfPostOff: Uint32Array; pyfPosts: Uint32Array;
  pySyl: Uint8Array;
  deptText: Uint16Array; deptOff: Uint32Array; deptKeys: Uint32Array; deptPostOff: Uint32Array; deptPosts: Uint32Array;
  /** Items are stored grouped by title (then site): title t's items are [titleItemOff[t], titleItemOff[t+1]). */
  titleItemOff: Uint32Array;
  /** Stored position → catalogue position. */
  itemOrig: Uint32Array;
  /** Per title, sparse facet counts of its items: key = level (0–2) | 3+city branch site | 3+S+kind | 3+S+K+theme | 3+S+K+Th+audience (no theme). */
  titleFacetOff: Uint32Array; titleFacetKey: Uint32Array; titleFacetCount: Uint32Array;
  /** For title n-grams shared by many titles: item total and dense facet vector (one-term queries answer from these). */
  heavyKeys: Uint32Array; heavyTotals: Uint32Array; heavyVecs: Uint32Array;
  itemKind: Uint16Array;
  deptItemOff: Uint32Array; deptItems: Uint32Array;
  siteItemOff: Uint32Array; siteItems: Uint32Array;
  itemTitle: Uint32Array; itemSite: Uint16Array; itemDept: Uint32Array; itemTheme: Uint16Array; itemFor: Uint8Array;
  idText: Uint8Array; idOff: Uint32Array;
}

export interface IndexData { header: IndexHeader; arrays: IndexArrays }

export interface IndexSourceItem {
  id: string;
  title: string;
  keywords: readonly string[];
  site: string;
  /** Department identity (defaults to site + name). */
  departmentId?: string;
  department: string;
  departmentKind: string;
  for: Audience;
  theme: string;
}

export interface IndexSource {
  catalogue: { version: number; hash: string };
  sites: readonly { code: string; name: string; level: SiteLevel; parent: string | null }[];
  themes: readonly { for: Audience; code: string; name: string }[];
  items: Iterable<IndexSourceItem>;
  pinyinOf: (text: string) => TextPinyin;
  now: () => Date;
  /** Title n-grams in at least this many titles get precomputed facet vectors (default 256). */
  heavyGramTitles?: number;
}

/** Matching form of text: NFKC, ASCII lower-cased, code-unit length preserved by construction. */
export function matchingForm(s: string): string {
  return s.normalize('NFKC').replace(/[A-Z]/g, (c) => c.toLowerCase());
}

const SEG = '\u0002';

function toCodes16(strings: string[]): { text: Uint16Array; off: Uint32Array } {
  let total = 0;
  for (const s of strings) total += s.length;
  const text = new Uint16Array(total);
  const off = new Uint32Array(strings.length + 1);
  let p = 0;
  for (let i = 0; i < strings.length; i++) {
    const s = strings[i]!;
    off[i] = p;
    for (let k = 0; k < s.length; k++) text[p++] = s.charCodeAt(k);
  }
  off[strings.length] = p;
  return { text, off };
}

function toCodes8(strings: string[]): { text: Uint8Array; off: Uint32Array } {
  const c = toCodes16(strings);
  return { text: Uint8Array.from(c.text, (x) => (x < 256 ? x : 1)), off: c.off };
}

function csr(groupOf: ArrayLike<number>, groups: number): { off: Uint32Array; list: Uint32Array } {
  const off = new Uint32Array(groups + 1);
  for (let i = 0; i < groupOf.length; i++) off[groupOf[i]! + 1]!++;
  for (let g = 0; g < groups; g++) off[g + 1]! += off[g]!;
  const fill = off.slice(0, groups);
  const list = new Uint32Array(groupOf.length);
  for (let i = 0; i < groupOf.length; i++) list[fill[groupOf[i]!]!++] = i;
  return { off, list };
}

/** Puts sites in DFS order so a site's subtree is a contiguous index range. */
function orderSites(sites: IndexSource['sites']): IndexSite[] {
  const children = new Map<string | null, IndexSource['sites'][number][]>();
  for (const s of sites) {
    const k = sites.some((p) => p.code === s.parent) ? s.parent : null;
    if (!children.has(k)) children.set(k, []);
    children.get(k)!.push(s);
  }
  const out: IndexSite[] = [];
  const visit = (s: IndexSource['sites'][number]) => {
    const at = out.length;
    out.push({ code: s.code, name: s.name, level: s.level, parent: s.parent, end: 0 });
    for (const c of children.get(s.code) ?? []) visit(c);
    out[at]!.end = out.length;
  };
  for (const r of children.get(null) ?? []) visit(r);
  return out;
}

export function buildIndex(src: IndexSource): IndexData {
  const sites = orderSites(src.sites);
  for (const s of sites) {
    const p = src.pinyinOf(matchingForm(s.name));
    s.py = [p.full, ...p.alternatives.map((x) => x.full)].join('\u0002');
    s.pyi = [p.initials, ...p.alternatives.map((x) => x.initials)].join('\u0002');
  }
  if (sites.length > 65535) throw new AssistantError('GUIDE_INDEX_TOO_LARGE', '站点过多', { en: 'too many sites' });
  const siteIdx = new Map(sites.map((s, i) => [s.code, i]));
  const themeIdx = new Map(src.themes.map((t, i) => [`${t.for}:${t.code}`, i]));
  const deptKinds: string[] = [];
  const deptKindIdx = new Map<string, number>();
  const departments: { name: string; kind: number }[] = [];
  const deptIdx = new Map<string, number>();
  const titles: string[] = [];
  const titleIdx = new Map<string, number>();
  const titleKeywords: Set<string>[] = [];
  const titleDisplay: Record<string, string> = {};
  const itemTitle: number[] = [], itemSite: number[] = [], itemDept: number[] = [], itemTheme: number[] = [], itemFor: number[] = [];
  const ids: string[] = [];
  for (const it of src.items) {
    const display = it.title.normalize('NFKC').trim();
    const m = matchingForm(display);
    let t = titleIdx.get(m);
    if (t === undefined) {
      t = titles.length;
      titles.push(m);
      titleIdx.set(m, t);
      titleKeywords.push(new Set());
      if (display !== m) titleDisplay[t] = display;
    }
    for (const k of it.keywords) { const km = matchingForm(k).trim(); if (km) titleKeywords[t]!.add(km); }
    const s = siteIdx.get(it.site);
    if (s === undefined) throw new AssistantError('GUIDE_UNKNOWN_SITE', `事项 ${it.id} 的站点 ${it.site} 不存在`, { en: `unknown site ${it.site}` });
    let kind = deptKindIdx.get(it.departmentKind);
    if (kind === undefined) { kind = deptKinds.length; deptKinds.push(it.departmentKind); deptKindIdx.set(it.departmentKind, kind); }
    const dk = it.departmentId ?? `${it.site}\u0000${it.department}`;
    let d = deptIdx.get(dk);
    if (d === undefined) { d = departments.length; departments.push({ name: it.department, kind }); deptIdx.set(dk, d); }
    const th = themeIdx.get(`${it.for}:${it.theme}`);
    itemTitle.push(t); itemSite.push(s); itemDept.push(d); itemTheme.push(th ?? 65535); itemFor.push(it.for === 'person' ? 0 : 1);
    ids.push(it.id);
  }
  const title = toCodes16(titles);
  const kw = toCodes16(titleKeywords.map((k) => [...k].join(SEG)));
  const py = titles.map((t) => src.pinyinOf(t));
  const pyi = toCodes8(py.map((p) => [p.initials, ...p.alternatives.map((a) => a.initials)].join(SEG)));
  const pyf = toCodes8(py.map((p) => [p.full, ...p.alternatives.map((a) => a.full)].join(SEG)));
  const pySyl = new Uint8Array(title.text.length);
  py.forEach((p, t) => p.syllableLengths.forEach((l, k) => { pySyl[title.off[t]! + k] = Math.min(255, l); }));
  const fTitle = buildGramField(title.text, title.off, 1, 2);
  const fKw = buildGramField(kw.text, kw.off, 1, 2);
  const fPyi = buildGramField(pyi.text, pyi.off, 1, 3);
  const fPyf = buildGramField(pyf.text, pyf.off, 3, 3);
  const dept = toCodes16(departments.map((d) => matchingForm(d.name)));
  const fDept = buildGramField(dept.text, dept.off, 1, 2);
  const n = ids.length;
  // Group items by title (then site) so a title's items are one contiguous, cache-friendly range.
  // Within a title: province, city, county items first (their static rank), then tree order.
  const levelRank = sites.map((s) => (s.level === 'province' ? 0 : s.level === 'city' ? 1 : 2));
  const perm = Uint32Array.from({ length: n }, (_, i) => i).sort((x, y) => itemTitle[x]! - itemTitle[y]! || levelRank[itemSite[x]!]! - levelRank[itemSite[y]!]! || itemSite[x]! - itemSite[y]! || x - y);
  const reorder = <T extends Uint8Array | Uint16Array | Uint32Array>(src: number[], C: new (n: number) => T): T => { const out = new C(n); for (let k = 0; k < n; k++) out[k] = src[perm[k]!]!; return out; };
  const iTitle = reorder(itemTitle, Uint32Array), iSite = reorder(itemSite, Uint16Array), iDept = reorder(itemDept, Uint32Array);
  const titleItemOff = new Uint32Array(titles.length + 1);
  for (let k = 0; k < n; k++) titleItemOff[iTitle[k]! + 1]!++;
  for (let t = 0; t < titles.length; t++) titleItemOff[t + 1]! += titleItemOff[t]!;
  const di = csr(iDept, departments.length), si = csr(iSite, sites.length);
  const iTheme = reorder(itemTheme, Uint16Array), iFor = reorder(itemFor, Uint8Array);
  const iKind = Uint16Array.from(iDept, (d) => departments[d]!.kind);
  const S = sites.length, K = deptKinds.length, TH = src.themes.length;
  // The facets shown are level, city (the province's child a site sits under), kind, theme, audience.
  const branch = sites.map((_, i) => {
    for (let j = i; ;) {
      const p = sites.findIndex((x) => x.code === sites[j]!.parent);
      if (p < 0) return -1;
      if (sites[p]!.parent === null || sites.findIndex((x) => x.code === sites[p]!.parent) < 0) return j;
      j = p;
    }
  });
  const fOff = new Uint32Array(titles.length + 1), fKey: number[] = [], fCount: number[] = [];
  for (let t = 0; t < titles.length; t++) {
    const counts = new Map<number, number>();
    const add = (key: number) => counts.set(key, (counts.get(key) ?? 0) + 1);
    for (let k = titleItemOff[t]!; k < titleItemOff[t + 1]!; k++) {
      const th = iTheme[k]!, site = iSite[k]!;
      add(levelRank[site]!);
      if (branch[site]! >= 0) add(3 + branch[site]!);
      add(3 + S + iKind[k]!);
      add(th < TH ? 3 + S + K + th : 3 + S + K + TH + iFor[k]!);
    }
    for (const [key, c] of [...counts].sort((x, y) => x[0] - y[0])) { fKey.push(key); fCount.push(c); }
    fOff[t + 1] = fKey.length;
  }
  // Dense facet vectors for heavy title grams: 1–2 character queries are the largest result sets.
  const dims = 3 + S + K + TH + 2, heavy = src.heavyGramTitles ?? 256;
  const hKeys: number[] = [], hTotals: number[] = [], hVecs: number[] = [];
  for (let g = 0; g < fTitle.keys.length; g++) {
    const a0 = fTitle.postOff[g]!, a1 = fTitle.postOff[g + 1]!;
    if (a1 - a0 < heavy) continue;
    const vec = new Uint32Array(dims);
    let total = 0;
    for (let p = a0; p < a1; p++) {
      const t = fTitle.posts[p]!;
      total += titleItemOff[t + 1]! - titleItemOff[t]!;
      for (let e = fOff[t]!; e < fOff[t + 1]!; e++) vec[fKey[e]!]! += fCount[e]!;
    }
    hKeys.push(fTitle.keys[g]!); hTotals.push(total);
    for (let d = 0; d < dims; d++) hVecs.push(vec[d]!);
  }
  const enc = new TextEncoder();
  const idBytes = Array.from(perm, (o) => enc.encode(ids[o]!));
  const idOff = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) idOff[i + 1] = idOff[i]! + idBytes[i]!.length;
  const idText = new Uint8Array(idOff[n]!);
  for (let i = 0; i < n; i++) idText.set(idBytes[i]!, idOff[i]!);
  const arrays: IndexArrays = {
    titleText: title.text, titleOff: title.off, titleKeys: fTitle.keys, titlePostOff: fTitle.postOff, titlePosts: fTitle.posts,
    kwText: kw.text, kwOff: kw.off, kwKeys: fKw.keys, kwPostOff: fKw.postOff, kwPosts: fKw.posts,
    pyiText: pyi.text, pyiOff: pyi.off, pyiKeys: fPyi.keys, pyiPostOff: fPyi.postOff, pyiPosts: fPyi.posts,
    pyfText: pyf.text, pyfOff: pyf.off, pyfKeys: fPyf.keys, pyfPostOff: fPyf.postOff, pyfPosts: fPyf.posts,
    pySyl,
    deptText: dept.text, deptOff: dept.off, deptKeys: fDept.keys, deptPostOff: fDept.postOff, deptPosts: fDept.posts,
    titleItemOff, itemOrig: perm, titleFacetOff: fOff, titleFacetKey: Uint32Array.from(fKey), titleFacetCount: Uint32Array.from(fCount), itemKind: iKind,
    heavyKeys: Uint32Array.from(hKeys), heavyTotals: Uint32Array.from(hTotals), heavyVecs: Uint32Array.from(hVecs),
    deptItemOff: di.off, deptItems: di.list, siteItemOff: si.off, siteItems: si.list,
    itemTitle: iTitle, itemSite: iSite, itemDept: iDept,
    itemTheme: iTheme, itemFor: iFor,
    idText, idOff,
  };
  const header: IndexHeader = {
    format: INDEX_FORMAT, catalogue: src.catalogue, builtAt: src.now().toISOString(),
    counts: { items: n, titles: titles.length }, sites, departments, deptKinds, themes: [...src.themes], titleDisplay, sections: {},
  };
  return { header, arrays };
}

/** Field views used by the query engine. */
export function gramFields(a: IndexArrays): { title: GramField; kw: GramField; pyi: GramField; pyf: GramField; dept: GramField } {
  const f = (text: CodeArray, off: Uint32Array, keys: Uint32Array, postOff: Uint32Array, posts: Uint32Array, minGram: number, maxGram: number): GramField =>
    new GramField({ text, off, keys, postOff, posts, minGram, maxGram } satisfies GramFieldData);
  return {
    title: f(a.titleText, a.titleOff, a.titleKeys, a.titlePostOff, a.titlePosts, 1, 2),
    kw: f(a.kwText, a.kwOff, a.kwKeys, a.kwPostOff, a.kwPosts, 1, 2),
    pyi: f(a.pyiText, a.pyiOff, a.pyiKeys, a.pyiPostOff, a.pyiPosts, 1, 3),
    pyf: f(a.pyfText, a.pyfOff, a.pyfKeys, a.pyfPostOff, a.pyfPosts, 3, 3),
    dept: f(a.deptText, a.deptOff, a.deptKeys, a.deptPostOff, a.deptPosts, 1, 2),
  };
}

/** Serialises the index: magic, header length, JSON header, then 8-byte-aligned arrays. */
export function serializeIndex(data: IndexData): Buffer {
  const sections: IndexHeader['sections'] = {};
  const parts: { name: string; bytes: Uint8Array }[] = [];
  let offset = 0;
  for (const [name, arr] of Object.entries(data.arrays) as [string, Uint8Array | Uint16Array | Uint32Array][]) {
    const type = arr instanceof Uint8Array ? 'u8' : arr instanceof Uint16Array ? 'u16' : 'u32';
    sections[name] = { type, offset, length: arr.length };
    const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
    parts.push({ name, bytes });
    offset += Math.ceil(bytes.length / 8) * 8;
  }
  const header = Buffer.from(JSON.stringify({ ...data.header, sections }), 'utf8');
  const headLen = Math.ceil((12 + header.length) / 8) * 8;
  const out = Buffer.alloc(headLen + offset);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(1, 4);
  out.writeUInt32LE(header.length, 8);
  header.copy(out, 12);
  for (const p of parts) out.set(p.bytes, headLen + sections[p.name]!.offset);
  return out;
}

export function deserializeIndex(buf: Uint8Array): IndexData {
  const bad = (why: string) => new AssistantError('GUIDE_INDEX_INVALID', '搜索索引文件损坏或版本不符，请重建索引', { en: `search index invalid: ${why}` });
  if (buf.byteOffset % 8 !== 0) buf = buf.slice();
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 12 || view.getUint32(0, true) !== MAGIC || view.getUint32(4, true) !== 1) throw bad('magic');
  const hlen = view.getUint32(8, true);
  if (12 + hlen > buf.length) throw bad('header length');
  let header: IndexHeader;
  try { header = JSON.parse(new TextDecoder().decode(buf.subarray(12, 12 + hlen))) as IndexHeader; } catch { throw bad('header json'); }
  if (header.format !== INDEX_FORMAT) throw bad('format');
  const base = buf.byteOffset + Math.ceil((12 + hlen) / 8) * 8;
  const arrays: Record<string, Uint8Array | Uint16Array | Uint32Array> = {};
  for (const [name, s] of Object.entries(header.sections)) {
    const width = s.type === 'u8' ? 1 : s.type === 'u16' ? 2 : 4;
    if (base + s.offset + s.length * width > buf.byteOffset + buf.byteLength) throw bad(`section ${name}`);
    const C = s.type === 'u8' ? Uint8Array : s.type === 'u16' ? Uint16Array : Uint32Array;
    arrays[name] = new C(buf.buffer as ArrayBuffer, base + s.offset, s.length);
  }
  return { header, arrays: arrays as unknown as IndexArrays };
}

export function loadIndexFile(file: string): IndexData {
  let buf: Buffer;
  try { buf = readFileSync(file); } catch (e) {
    throw new AssistantError('GUIDE_INDEX_MISSING', '找不到搜索索引文件', { en: 'search index file not found', details: { file }, cause: e });
  }
  return deserializeIndex(buf);
}

export { MAX_SEPARATOR };
