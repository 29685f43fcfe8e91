/**
 * CA profiles (certs/ca-profiles.json, validated against certs/ca-profiles.schema.json on load):
 * how to recognise a Chinese CA's certificates from the issuer DN and where it puts the USCC.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { AssistantError } from '../errors.ts';
import { memoized } from '../memo.ts';

export type FieldMeaning = 'uscc' | 'orgCode' | 'orgCodeOrUscc' | 'taxNumber' | 'businessRegNumber' | 'idNumber' | 'uniqueId' | 'unknown';

export interface IssuerMatcher { attr: 'O' | 'CN' | 'OU' | 'any'; contains?: string; regex?: string; note?: string }

export interface UsccLocation {
  source: 'extension' | 'subject' | 'subjectCN';
  oid?: string;
  oidPrefix?: string;
  /** For subjectCN: named group `value` holds the identifier. */
  regex?: string;
  encoding?: 'der' | 'raw' | 'any';
  prefixes?: string[];
  meaning: FieldMeaning;
  note?: string;
  verified?: boolean;
}

export interface ModuleList { win32: string[]; linux: string[]; darwin: string[] }

/** Where a CA puts the enterprise name: `cnSegment` = the CJK part of an `@`-separated CN. */
export type NamePlace = 'cnSegment' | 'O' | 'name' | 'CN';

export interface EnterpriseNameRule {
  places?: NamePlace[];
  /** Regexes (case-insensitive) for subject O values that are the CA's own names, not the enterprise. */
  caSubjectO?: string[];
  note?: string;
}

export interface CaProfile {
  id: string;
  name: string;
  nameEn: string;
  website?: string;
  match: { issuer: IssuerMatcher[] };
  usccLocations: UsccLocation[];
  pkcs11Modules: ModuleList;
  pkcs11Verified?: boolean;
  skfModules?: ModuleList;
  skfVerified?: boolean;
  notes?: string[];
  sources?: string[];
  enterpriseName?: EnterpriseNameRule;
}

export interface KnownField { oid: string; where: 'subject' | 'extension'; meaning: FieldMeaning; label: string; source?: string; verified?: boolean }

export interface CaProfileFile { version: 1; comment?: string; knownFields: KnownField[]; profiles: CaProfile[] }

export const DEFAULT_CA_PROFILES_PATH = fileURLToPath(new URL('../../certs/ca-profiles.json', import.meta.url));
const SCHEMA_PATH = fileURLToPath(new URL('../../certs/ca-profiles.schema.json', import.meta.url));

const cache = new Map<string, CaProfileFile>();

/** Reads, schema-validates and checks the regexes of a profile file; cached per path. */
export function loadCaProfileFile(file: string = DEFAULT_CA_PROFILES_PATH): CaProfileFile {
  const hit = cache.get(file);
  if (hit) return hit;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new AssistantError('CA_PROFILES_UNREADABLE', 'CA 配置文件无法读取或不是有效的 JSON', { en: 'CA profile file unreadable or not JSON', details: { file, reason: (e as Error).message }, cause: e });
  }
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  if (!validate(data)) {
    const errors = (validate.errors ?? []).slice(0, 10).map((er) => `${er.instancePath || '/'} ${er.message ?? ''}`);
    throw new AssistantError('CA_PROFILES_INVALID', 'CA 配置文件不符合格式要求', { en: 'CA profile file does not match its schema', details: { file, errors } });
  }
  const parsed = data as CaProfileFile;
  const ids = new Set<string>();
  for (const p of parsed.profiles) {
    if (ids.has(p.id)) throw new AssistantError('CA_PROFILES_INVALID', `CA 配置中 id 重复：${p.id}`, { en: `duplicate profile id ${p.id}`, details: { file } });
    ids.add(p.id);
    for (const m of p.match.issuer) if (m.regex !== undefined) compileOrThrow(m.regex, file, p.id);
    for (const r of p.enterpriseName?.caSubjectO ?? []) compileOrThrow(r, file, p.id);
    for (const l of p.usccLocations) {
      if (l.regex !== undefined) compileOrThrow(l.regex, file, p.id);
      if (l.source !== 'subjectCN' && !l.oid && !l.oidPrefix) {
        throw new AssistantError('CA_PROFILES_INVALID', `CA 配置 ${p.id} 的位置缺少 OID`, { en: `profile ${p.id}: location without oid`, details: { file } });
      }
    }
  }
  cache.set(file, parsed);
  loadedLists.add(parsed.profiles);
  return parsed;
}

function compileOrThrow(source: string, file: string, id: string): RegExp {
  try {
    return new RegExp(source, 'iu');
  } catch {
    throw new AssistantError('CA_PROFILES_INVALID', `CA 配置 ${id} 含无效的正则表达式`, { en: `profile ${id}: invalid regex`, details: { file, regex: source } });
  }
}

export function loadCaProfiles(file?: string): CaProfile[] {
  return loadCaProfileFile(file).profiles;
}

export function loadKnownFields(file?: string): KnownField[] {
  return loadCaProfileFile(file).knownFields;
}

export function findCaProfile(id: string, profiles: CaProfile[] = loadCaProfiles()): CaProfile | undefined {
  return profiles.find((p) => p.id === id);
}

/** Issuer attributes as short name (DN_ATTRIBUTES in oids.ts) -> values; an attribute the table lacks under its OID. */
export type IssuerAttributes = Map<string, string[]>;

const re = memoized((source: string) => new RegExp(source, 'iu'));

const lowerCache = new Map<string, string>();
function lowerOf(s: string): string {
  let v = lowerCache.get(s);
  if (v === undefined) {
    v = s.toLowerCase();
    if (lowerCache.size < 1000) lowerCache.set(s, v);
  }
  return v;
}

/** Issuer values, original and lower-cased, per attribute ('any': all of them), made once per match. */
interface PreparedIssuer {
  get(attr: string): { values: string[]; lower: string[] };
}

function prepareIssuer(attrs: IssuerAttributes): PreparedIssuer {
  const made = new Map<string, { values: string[]; lower: string[] }>();
  return {
    get(attr) {
      let e = made.get(attr);
      if (!e) {
        const values = attr === 'any' ? [...attrs.values()].flat() : (attrs.get(attr) ?? []);
        e = { values, lower: values.map((v) => v.toLowerCase()) };
        made.set(attr, e);
      }
      return e;
    },
  };
}

function matcherHits(m: IssuerMatcher, attrs: PreparedIssuer): boolean {
  const { values, lower } = attrs.get(m.attr);
  const contains = m.contains !== undefined ? lowerOf(m.contains) : undefined;
  for (let i = 0; i < values.length; i++) {
    if (contains !== undefined && lower[i]!.includes(contains)) return true;
    if (m.regex !== undefined && re(m.regex).test(values[i]!)) return true;
  }
  return false;
}

// Match results per profile list and exact issuer attribute values: a portal or a folder of
// certificates sees the same few CAs again and again. Bounded per list.
// Only lists loaded from a profile file (shared, never edited) are memoised: a caller's own
// array may change between calls.
const MAX_MATCHES = 256;
const loadedLists = new WeakSet<CaProfile[]>();
const matches = new WeakMap<CaProfile[], Map<string, CaProfile | null>>();

function issuerKey(attrs: IssuerAttributes): string {
  let k = '';
  for (const [name, values] of attrs) k += name + '\u0001' + values.join('\u0002') + '\u0003';
  return k;
}

/** The profile with the most matching issuer patterns (ties: file order), or null. */
export function matchCaProfile(issuerAttrs: IssuerAttributes, profiles: CaProfile[]): CaProfile | null {
  if (!loadedLists.has(profiles)) return matchCaProfileUncached(issuerAttrs, profiles);
  let memo = matches.get(profiles);
  if (!memo) {
    memo = new Map();
    matches.set(profiles, memo);
  }
  const key = issuerKey(issuerAttrs);
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const best = matchCaProfileUncached(issuerAttrs, profiles);
  if (memo.size >= MAX_MATCHES) memo.delete(memo.keys().next().value as string);
  memo.set(key, best);
  return best;
}

function matchCaProfileUncached(issuerAttrs: IssuerAttributes, profiles: CaProfile[]): CaProfile | null {
  let best: CaProfile | null = null;
  let bestScore = 0;
  const attrs = prepareIssuer(issuerAttrs);
  for (const p of profiles) {
    let score = 0;
    for (const m of p.match.issuer) if (matcherHits(m, attrs)) score++;
    if (score > bestScore) {
      best = p;
      bestScore = score;
    }
  }
  return best;
}
