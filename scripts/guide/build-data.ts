// Regenerates main/guide/data/{manual.json, catalogue.json, search-index.bin} from the sources:
//   node --import tsx scripts/guide/build-data.ts [--version N] [--created-at ISO]
// Sources: main/pki/data/hebei-divisions.json (GB/T 2260), main/guide/data/*.json, the manual text.
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parseManual } from '../../main/guide/manual.ts';
import { Catalogue, validateBundle } from '../../main/guide/catalogue.ts';
import { buildCatalogueIndex } from '../../main/guide/search/build.ts';
import { serializeIndex } from '../../main/guide/search/index-data.ts';
import { textPinyin } from '../../main/guide/search/pinyin.ts';
import { buildSampleCatalogue, buildSites, type Divisions } from './sample-catalogue.ts';

const root = new URL('../../', import.meta.url).pathname;
const data = (f: string) => root + 'main/guide/data/' + f;
const readJson = <T>(p: string): T => JSON.parse(readFileSync(p, 'utf8')) as T;

function writeAtomic(file: string, content: string | Buffer): void {
  writeFileSync(file + '.tmp', content);
  renameSync(file + '.tmp', file);
}

export const DEFAULT_VERSION = 1;
export const DEFAULT_CREATED_AT = '2026-11-26T00:00:00Z';

/** Everything the data directory holds that is generated: deterministic for given inputs. */
export function generateGuideData(version = DEFAULT_VERSION, createdAt = DEFAULT_CREATED_AT) {
// The manual, split by its own numbering.
const manual = parseManual(readFileSync(data('manual-source.zh.txt'), 'utf8'));
const manualJson = JSON.stringify({ source: 'manual-source.zh.txt（河北政务服务网 使用帮助）', sections: manual }, null, 1) + '\n';

// Contacts: only the phone lines printed in the manual's last section.
const contactSection = manual.find((s) => s.title === '咨询电话');
const contacts: { name: string; phones: string[]; source: string }[] = [];
for (const line of contactSection?.text.split('\n') ?? []) {
  const m = /^(.+?)咨询电话\s*[:：]\s*(.+)$/.exec(line);
  if (!m) continue;
  const phones: string[] = [];
  let area = '';
  for (const p of m[2]!.split(/[、,，]/).map((x) => x.trim()).filter(Boolean)) {
    const full = /^(\d{3,4})-(\d{5,8})$/.exec(p);
    if (full) { area = full[1]!; phones.push(p); } else if (/^\d{5,8}$/.test(p) && area) phones.push(`${area}-${p}`);
  }
  contacts.push({ name: m[1]!.trim(), phones, source: `manual:${contactSection!.id}` });
}

const div = readJson<Divisions>(root + 'main/pki/data/hebei-divisions.json');
const corrections = readJson<{ words: Record<string, { primary: string; alternatives: string[] }> }>(data('pinyin-corrections.json'));
const urls = readJson<{ sites: Record<string, { url: string; verified: boolean }> }>(data('site-urls.json')).sites;
const sites = buildSites(div, corrections, urls, { '130200': contacts.filter((c) => c.name.startsWith('唐山')) });
const kinds = readJson<{ kinds: Parameters<typeof buildSampleCatalogue>[0]['kinds'] }>(data('departments.json')).kinds;
const rows = readJson<{ templates: Parameters<typeof buildSampleCatalogue>[0]['rows'] }>(data('item-templates.json')).templates;
const themes = readJson<{ processByType: Record<string, string[]> }>(data('themes.json'));
const bundle = validateBundle(buildSampleCatalogue({ sites, kinds, rows, processByType: themes.processByType, version, createdAt }));
// One item per line keeps diffs of the catalogue readable.
const catalogueJson = JSON.stringify({ ...bundle, items: [] }).replace('"items":[]', '"items":[\n' + bundle.items.map((i) => JSON.stringify(i)).join(',\n') + '\n]') + '\n';
const cat = new Catalogue(bundle);
const index = buildCatalogueIndex(cat, () => new Date(createdAt));
const abbreviationPinyinJson = JSON.stringify(abbreviationPinyin(readJson<{ expansions: Record<string, string[]> }>(data('abbreviations.json')).expansions, corrections), null, 1) + '\n';
return { manualJson, catalogueJson, abbreviationPinyinJson, index: serializeIndex(index), stats: { sites: sites.length, departments: bundle.departments.length, items: bundle.items.length, sections: manual.length, titles: index.header.counts.titles } };
}

/**
 * Pinyin (full and initials) of every abbreviation and of what it stands for, so `yyzz` finds what
 * 营业执照 finds. Initials need two letters at least; one Latin form may stand for several terms.
 */
export function abbreviationPinyin(expansions: Record<string, string[]>, corrections: Parameters<typeof textPinyin>[1]) {
  const forms: Record<string, string[]> = {};
  const words = new Set<string>();
  for (const [abbr, full] of Object.entries(expansions)) { words.add(abbr); for (const f of full) words.add(f); }
  for (const w of [...words].sort()) {
    if (!/^[\u4e00-\u9fff]+$/.test(w)) continue;
    const py = textPinyin(w, corrections);
    for (const form of [py.full, py.initials, ...py.alternatives.flatMap((a) => [a.full, a.initials])]) {
      if (form.length < 2 || !/^[a-z]+$/.test(form)) continue;
      const list = (forms[form] ??= []);
      if (!list.includes(w)) list.push(w);
    }
  }
  const sorted = Object.fromEntries(Object.keys(forms).sort().map((k) => [k, forms[k]!]));
  return { note: '由 scripts/guide/build-data.ts 从 abbreviations.json 生成：简称与规范用语的拼音全拼/首字母 → 汉字词语。Generated: pinyin of abbreviations and their substitutes.', forms: sorted };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { version: { type: 'string', default: String(DEFAULT_VERSION) }, 'created-at': { type: 'string', default: DEFAULT_CREATED_AT } } });
  const out = generateGuideData(Number(values.version), values['created-at']!);
  writeAtomic(data('manual.json'), out.manualJson);
  writeAtomic(data('catalogue.json'), out.catalogueJson);
  writeAtomic(data('search-index.bin'), out.index);
  writeAtomic(data('abbreviation-pinyin.json'), out.abbreviationPinyinJson);
  process.stderr.write(JSON.stringify(out.stats) + '\n');
}
