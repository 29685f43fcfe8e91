/** Builds the search index of a catalogue (at build time, or when a signed update is installed). */
import type { Catalogue } from '../catalogue.ts';
import { THEMES } from '../catalogue.ts';
import corrections from '../data/pinyin-corrections.json' with { type: 'json' };
import { buildIndex, type IndexData } from './index-data.ts';
import { textPinyin } from './pinyin.ts';

export function allThemes(): { for: 'person' | 'legal'; code: string; name: string }[] {
  return [...THEMES.person.map((t) => ({ for: 'person' as const, code: t.code, name: t.name })), ...THEMES.legal.map((t) => ({ for: 'legal' as const, code: t.code, name: t.name }))];
}

export function buildCatalogueIndex(cat: Catalogue, now: () => Date): IndexData {
  const cache = new Map<string, ReturnType<typeof textPinyin>>();
  return buildIndex({
    catalogue: { version: cat.version, hash: cat.hash },
    sites: cat.bundle.sites,
    themes: allThemes(),
    items: cat.indexRecords(),
    pinyinOf: (t) => { let p = cache.get(t); if (!p) { p = textPinyin(t, corrections); cache.set(t, p); } return p; },
    now,
  });
}
