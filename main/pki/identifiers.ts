/**
 * The identifier kinds that show up where a USCC is expected, each recognised as itself:
 * USCC (GB 32100), 9-char organisation code (GB 11714), 15-digit business registration number
 * (GS 15-2006, ISO 7064 MOD 11,10) and resident ID number (GB 11643, MOD 11-2; 15-digit first generation).
 * ID numbers are personal data: human output shows them masked.
 */
import { analyzeUsccDetailed, isPlaceholder, normalizeUscc, orgCodeCheckChar, type UsccAnalysis } from './uscc.ts';
import { lookupRegion, regionDisplayName } from './regions.ts';
import { checkResidentId, maskResidentId, plausibleBirthDate } from './resident-id.ts';

export type IdentifierKind = 'uscc' | 'orgCode' | 'regNumber15' | 'residentId' | 'unknown';

export interface ClassifiedIdentifier {
  kind: IdentifierKind;
  input: string;
  normalized: string;
  valid: boolean;
  /** Safe to print: ID numbers masked, everything else as normalized. */
  display: string;
  /** What else the value could be (e.g. an all-digit value that passes both the USCC and the ID check). */
  alsoValidAs: IdentifierKind[];
  /** Readable facts (zh-CN), no personal data beyond what `display` shows. */
  facts: string[];
  warnings: string[];
  uscc?: UsccAnalysis;
}

/** ISO 7064 MOD 11,10 over all 15 digits (the last one is the check digit). */
export function isValidRegNumber15(s: string): boolean {
  if (!/^\d{15}$/.test(s)) return false;
  let p = 10;
  for (let i = 0; i < 14; i++) {
    const sum = (p + (s.charCodeAt(i) - 48)) % 10;
    p = ((sum === 0 ? 10 : sum) * 2) % 11;
  }
  return (p + (s.charCodeAt(14) - 48)) % 10 === 1;
}

/** The check digit that completes 14 digits under MOD 11,10 (for tests and messages). */
export function regNumber15CheckDigit(first14: string): string | null {
  if (!/^\d{14}$/.test(first14)) return null;
  for (let d = 0; d <= 9; d++) if (isValidRegNumber15(first14 + d)) return String(d);
  return null;
}

/** Accepts `XXXXXXXX-X` and `XXXXXXXXX`; returns the 9 chars without the hyphen, or null. */
export function parseOrgCode(s: string): string | null {
  const n = s.normalize('NFKC').trim().toUpperCase();
  const m = /^([0-9A-Z]{8})-?([0-9X])$/.exec(n);
  return m ? m[1]! + m[2]! : null;
}

export function classifyIdentifier(input: string, now: Date = new Date()): ClassifiedIdentifier {
  const nfkc = String(input).normalize('NFKC').trim().toUpperCase();
  const normalized = normalizeUscc(input);
  const base: ClassifiedIdentifier = { kind: 'unknown', input: String(input), normalized, valid: false, display: normalized, alsoValidAs: [], facts: [], warnings: [] };

  // Organisation code: 9 chars, optionally `XXXXXXXX-X`.
  const org = parseOrgCode(nfkc) ?? (normalized.length === 9 ? parseOrgCode(normalized) : null);
  if (org) {
    const expected = orgCodeCheckChar(org.slice(0, 8));
    const placeholder = isPlaceholder(org);
    const valid = expected === org[8] && !placeholder;
    const out: ClassifiedIdentifier = { ...base, kind: 'orgCode', normalized: org, display: `${org.slice(0, 8)}-${org[8]}`, valid };
    out.facts.push('组织机构代码（GB 11714，9 位）；2015 年起已并入统一社会信用代码第 9–17 位');
    if (placeholder) out.warnings.push('全部为同一字符，是占位值');
    else if (!valid) out.warnings.push(`校验码错误：应为 ${expected ?? '?'}`);
    return out;
  }

  if (/^\d{15}$/.test(normalized)) {
    if (isValidRegNumber15(normalized)) {
      const out: ClassifiedIdentifier = { ...base, kind: 'regNumber15', valid: true };
      out.facts.push('15 位工商注册号（GS 15-2006，ISO 7064 MOD 11,10 校验）；2015 年后由统一社会信用代码取代');
      const region = lookupRegion(normalized.slice(0, 6));
      const name = regionDisplayName(region);
      if (name) out.facts.push(`登记机关所在地：${name}（${normalized.slice(0, 6)}）`);
      return out;
    }
    const idDateOk = plausibleBirthDate(1900 + +normalized.slice(6, 8), +normalized.slice(8, 10), +normalized.slice(10, 12), now);
    if (idDateOk && lookupRegion(normalized.slice(0, 6)).province !== null) {
      const out: ClassifiedIdentifier = { ...base, kind: 'residentId', valid: true, display: maskResidentId(normalized) };
      out.facts.push('第一代 15 位居民身份证号码（无校验位）；个人证件号码，不能作为企业身份');
      out.warnings.push('也可能是校验位错误的 15 位工商注册号');
      return out;
    }
    const out: ClassifiedIdentifier = { ...base, kind: 'regNumber15', valid: false };
    out.warnings.push(`15 位工商注册号校验失败（MOD 11,10；按前 14 位应为 ${regNumber15CheckDigit(normalized.slice(0, 14)) ?? '?'}）`);
    return out;
  }

  const u = analyzeUsccDetailed(input);
  const id = normalized.length === 18 ? checkResidentId(normalized, now) : null;
  if (normalized.length === 18) {
    if (id?.valid && !u.analysis.valid) {
      const out: ClassifiedIdentifier = { ...base, kind: 'residentId', valid: true, display: maskResidentId(normalized) };
      out.facts.push('18 位居民身份证号码（GB 11643，MOD 11-2 校验通过）；个人证件号码，不能作为企业身份');
      const region = regionDisplayName(lookupRegion(normalized.slice(0, 6)));
      if (region) out.facts.push(`发证地：${region}`);
      return out;
    }
    const out: ClassifiedIdentifier = { ...base, kind: 'uscc', valid: u.analysis.valid, uscc: u.analysis, warnings: [...u.analysis.warnings] };
    if (id?.valid) {
      out.alsoValidAs.push('residentId');
      out.warnings.push('该值同时符合居民身份证号码的校验规则，请确认它确实是单位的统一社会信用代码');
    } else if (!u.analysis.valid && id && (id.checkOk || (id.birthDateOk && id.provinceOk))) {
      // Looks like a personal ID number (right shape plus check digit, or plus birth date and region): treat and mask it as one.
      out.kind = 'residentId';
      out.display = maskResidentId(normalized);
      delete out.uscc;
      out.warnings = [id.checkOk ? '符合身份证号码校验位，但出生日期或地区码不合理' : '形似居民身份证号码（出生日期、地区码合理），但校验位错误'];
    }
    return out;
  }
  if (normalized.length === 17 || u.analysis.registrationAuthority?.name) {
    return { ...base, kind: normalized.length === 17 ? 'uscc' : 'unknown', uscc: u.analysis, warnings: [...u.analysis.warnings] };
  }
  base.warnings.push('无法识别：不是统一社会信用代码、组织机构代码、15 位注册号或身份证号码');
  return base;
}
