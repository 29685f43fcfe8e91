/**
 * 统一社会信用代码 (USCC, GB 32100-2015): normalise, validate, decode.
 * Layout: [1] registration authority, [2] institution type, [3–8] GB/T 2260 region,
 * [9–17] GB 11714 organisation code (with its own check), [18] check char (ISO 7064 MOD 31-3 style).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkResidentId } from './resident-id.ts';
import { isKnownProvincePrefix, lookupRegion, regionSummary, type RegionInfo, type RegionSummary } from './regions.ts';

export const USCC_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;
const ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2] as const;

export type LegalPersonKind = '企业法人' | '机关/群体' | '事业单位' | '基金会' | '民办非企业' | '社会团体' | '其他';

/** The exact `uscc --json` object. */
export interface UsccAnalysis {
  input: string;
  normalized: string;
  valid: boolean;
  checkChar: string | null;
  expectedCheckChar: string | null;
  registrationAuthority: { code: string; name: string | null } | null;
  orgType: { code: string; name: string | null; legalPersonKind: LegalPersonKind } | null;
  region: RegionSummary | null;
  orgCode: { value: string; valid: boolean } | null;
  warnings: string[];
}

/** Richer result for callers inside the app (human report, identity extraction). */
export interface UsccDetails {
  analysis: UsccAnalysis;
  region: RegionInfo | null;
  /** All chars are the same (000…0): never an identity even if the arithmetic passes. */
  placeholder: boolean;
}

interface CodeTables {
  authorities: Record<string, { name: string; nameEn: string; types: Record<string, string> }>;
  legalPersonKinds: { map: Record<string, LegalPersonKind> };
}

let codeTables: CodeTables | null = null;
function tables(): CodeTables {
  codeTables ??= JSON.parse(readFileSync(fileURLToPath(new URL('./data/gb32100.json', import.meta.url)), 'utf8')) as CodeTables;
  return codeTables;
}

// Chars people paste around codes: ordinary/ideographic spaces (after NFKC: U+0020), hyphens and dashes, zero-width marks.
const SEPARATORS = /[\s\-‐‑‒–—―−_·・.]/gu;
const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF\u00AD]/gu;

/**
 * NFKC (full-width → ASCII), trim, upper-case, and remove inner spaces, hyphens and invisible marks
 * (codes are printed in groups, `9113-0100-…`; the certificate never carries them).
 */
export function normalizeUscc(s: string): string {
  return s.normalize('NFKC').replace(INVISIBLE, '').trim().toUpperCase().replace(SEPARATORS, '');
}

/** Check char for the first 17 chars, or null when they are not 17 chars of the charset. */
export function usccCheckChar(first17: string): string | null {
  if (first17.length !== 17) return null;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = USCC_CHARSET.indexOf(first17[i]!);
    if (v < 0) return null;
    sum += v * USCC_WEIGHTS[i]!;
  }
  return USCC_CHARSET[(31 - (sum % 31)) % 31]!;
}

/** GB 11714 check char for the first 8 chars of an organisation code, or null when they are not [0-9A-Z]{8}. */
export function orgCodeCheckChar(first8: string): string | null {
  if (!/^[0-9A-Z]{8}$/.test(first8)) return null;
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const c = first8.charCodeAt(i);
    const v = c <= 57 ? c - 48 : c - 55; // 0-9 → 0-9, A-Z → 10-35
    sum += v * ORG_CODE_WEIGHTS[i]!;
  }
  const r = 11 - (sum % 11);
  return r === 10 ? 'X' : r === 11 ? '0' : String(r);
}

export function isValidOrgCode(code9: string): boolean {
  return code9.length === 9 && orgCodeCheckChar(code9.slice(0, 8)) === code9[8] && !isPlaceholder(code9);
}

/** 000000000, 111…1, 1212…: placeholders some CAs write when they have no real value. */
export function isPlaceholder(s: string): boolean {
  return s.length > 0 && (/^(.)\1*$/.test(s) || (s.length >= 8 && /^(..)\1+.?$/.test(s)));
}

/** The portal's legal-person kind for a 2-char institution type code (`91` → 企业法人; anything unlisted → 其他). */
export function legalPersonKind(typeCode: string): LegalPersonKind {
  return tables().legalPersonKinds.map[typeCode.toUpperCase()] ?? '其他';
}

export function registrationAuthorityName(code: string): string | null {
  return tables().authorities[code]?.name ?? null;
}

export function institutionTypeName(typeCode: string): string | null {
  const a = tables().authorities[typeCode.charAt(0)];
  return a?.types[typeCode.charAt(1)] ?? null;
}

/**
 * Valid = 18 chars of the charset, a registration authority and institution type from the
 * GB 32100 tables, a known province in the region code, correct check char, not a placeholder. (A random 18-digit string passes the
 * arithmetic 1 time in 31; the structure checks keep ID numbers and junk out.)
 */
export function isValidUscc(s: string): boolean {
  return analyzeUsccDetailed(s).analysis.valid;
}

export function analyzeUscc(input: string): UsccAnalysis {
  return analyzeUsccDetailed(input).analysis;
}

export function analyzeUsccDetailed(input: string): UsccDetails {
  const warnings: string[] = [];
  const raw = String(input);
  const nfkc = raw.normalize('NFKC').replace(INVISIBLE, '').trim().toUpperCase();
  const normalized = normalizeUscc(raw);
  if (nfkc !== normalized) warnings.push('输入含空格、连字符或不可见字符，已去除后校验');
  else if (raw !== normalized) {
    if (raw.trim() !== raw) warnings.push('输入首尾含空白，已去除');
    if (raw.normalize('NFKC') !== raw) warnings.push('输入含全角字符，已转为半角');
    if (raw.trim().toUpperCase() !== raw.trim() && raw.normalize('NFKC') === raw) warnings.push('输入含小写字母，已转为大写');
  }

  const analysis: UsccAnalysis = {
    input: raw, normalized, valid: false, checkChar: null, expectedCheckChar: null,
    registrationAuthority: null, orgType: null, region: null, orgCode: null, warnings,
  };
  const details: UsccDetails = { analysis, region: null, placeholder: false };

  if (normalized.length === 0) {
    warnings.push('输入为空');
    return details;
  }
  const bad = [...new Set([...normalized].filter((c) => !USCC_CHARSET.includes(c)))];
  if (bad.length) {
    const hints: string[] = [];
    if (bad.includes('O')) hints.push('字母 O 是否应为数字 0');
    if (bad.includes('I')) hints.push('字母 I 是否应为数字 1');
    if (bad.includes('Z')) hints.push('字母 Z 是否应为数字 2');
    if (bad.includes('S')) hints.push('字母 S 是否应为数字 5');
    warnings.push(`含统一社会信用代码不使用的字符：${bad.join(' ')}${hints.length ? `（${hints.join('；')}？）` : ''}`);
  }
  if (normalized.length !== 18) {
    warnings.push(`长度为 ${normalized.length} 位，统一社会信用代码应为 18 位${describeOtherKind(normalized)}`);
  }

  if (normalized.length >= 1) {
    const code = normalized[0]!;
    const name = registrationAuthorityName(code);
    analysis.registrationAuthority = { code, name };
    if (name === null) warnings.push(`登记管理部门代码 ${code} 不在 GB 32100 代码表中`);
  }
  if (normalized.length >= 2) {
    const code = normalized.slice(0, 2);
    const name = analysis.registrationAuthority?.name ? institutionTypeName(code) : null;
    analysis.orgType = { code, name, legalPersonKind: legalPersonKind(code) };
    if (analysis.registrationAuthority?.name && name === null) warnings.push(`机构类别代码 ${code} 不在 GB 32100 代码表中`);
  }
  let regionOk = false;
  if (normalized.length >= 8) {
    const code = normalized.slice(2, 8);
    if (/^\d{6}$/.test(code)) {
      const info = lookupRegion(code);
      details.region = info;
      analysis.region = regionSummary(info);
      warnings.push(...info.warnings);
      regionOk = isKnownProvincePrefix(code);
    } else {
      analysis.region = { code, name: null, province: null, city: null, county: null, retired: false };
      warnings.push(`第 3–8 位行政区划码 ${code} 应为 6 位数字`);
    }
  }
  if (normalized.length >= 17) {
    const value = normalized.slice(8, 17);
    const valid = isValidOrgCode(value);
    analysis.orgCode = { value, valid };
    if (!valid && normalized.length === 18) warnings.push(`第 9–17 位组织机构代码 ${value} 未通过 GB 11714 校验（部分赋码机构的主体标识码不按此校验，仅供参考）`);
  }
  if (normalized.length >= 18) analysis.checkChar = normalized[17]!;
  if (normalized.length === 18) analysis.expectedCheckChar = usccCheckChar(normalized.slice(0, 17));
  else if (normalized.length === 17) {
    analysis.expectedCheckChar = usccCheckChar(normalized);
    if (analysis.expectedCheckChar) warnings.push(`只有 17 位，缺少校验码（若补全应为 ${analysis.expectedCheckChar}）`);
  }

  details.placeholder = isPlaceholder(normalized);
  if (details.placeholder) warnings.push('全部为同一字符，是占位值而非真实代码');

  const checkOk = normalized.length === 18 && analysis.expectedCheckChar !== null && analysis.checkChar === analysis.expectedCheckChar;
  if (normalized.length === 18 && analysis.expectedCheckChar !== null && !checkOk) {
    warnings.push(`校验码错误：第 18 位为 ${analysis.checkChar}，按 GB 32100 应为 ${analysis.expectedCheckChar}（个别试点期代码不符合校验规则，只能与登记机关核对原件）`);
  }
  analysis.valid = checkOk && bad.length === 0 && analysis.registrationAuthority?.name != null && analysis.orgType?.name != null && regionOk && !details.placeholder;
  if (normalized.length === 18 && checkResidentId(normalized).valid) {
    warnings.push(analysis.valid
      ? '该值同时符合居民身份证号码的校验规则，请确认它确实是单位的代码'
      : '这是 18 位居民身份证号码（个人），不是统一社会信用代码');
  }
  return details;
}

/** Tells the user what a non-18-char input more likely is. */
function describeOtherKind(n: string): string {
  if (/^[0-9A-Z]{8}[0-9X]$/.test(n)) return '；这像是 9 位组织机构代码（GB 11714）';
  if (/^\d{15}$/.test(n)) return '；这像是 15 位工商注册号或旧版身份证号';
  if (n.length === 17) return '；可能少输入了一位';
  return '';
}
