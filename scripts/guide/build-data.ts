// Regenerates main/guide/data/{manual.json, catalogue.json, search-index.bin} from the sources:
//   node --import tsx scripts/guide/build-data.ts [--version N] [--created-at ISO]
// Sources: scripts/guide/source/hebei-divisions.json (GB/T 2260), main/guide/data/*.json, the manual text.
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parseManual } from '../../main/guide/manual.ts';
import { Catalogue, validateBundle } from '../../main/guide/catalogue.ts';
import { buildCatalogueIndex } from '../../main/guide/search/build.ts';
import { serializeIndex } from '../../main/guide/search/index-data.ts';
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

const div = readJson<Divisions>(root + 'scripts/guide/source/hebei-divisions.json');
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
return { manualJson, catalogueJson, index: serializeIndex(index), stats: { sites: sites.length, departments: bundle.departments.length, items: bundle.items.length, sections: manual.length, titles: index.header.counts.titles } };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { version: { type: 'string', default: String(DEFAULT_VERSION) }, 'created-at': { type: 'string', default: DEFAULT_CREATED_AT } } });
  const out = generateGuideData(Number(values.version), values['created-at']!);
  writeAtomic(data('manual.json'), out.manualJson);
  writeAtomic(data('catalogue.json'), out.catalogueJson);
  writeAtomic(data('search-index.bin'), out.index);
  process.stderr.write(JSON.stringify(out.stats) + '\n');
}
