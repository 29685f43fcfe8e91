/**
 * Who does the certificate belong to: find the enterprise USCC (or at least the org code).
 * Order: the issuing CA's known places (certs/ca-profiles.json), then a generic scan of every
 * subject attribute and every non-standard extension (DER strings of any type, recursively, and
 * the raw bytes), with known prefixes (`XY`, `JJ`, `N`, `[N]`, `SF`…) stripped.
 * Never reported as a valid USCC: resident ID numbers, placeholders, 17-char values, bare org codes.
 */
import * as asn1js from 'asn1js';
import type { NameAttribute, ParsedCertificate } from './certificate.ts';
import { analyzeUsccDetailed, isPlaceholder, isValidOrgCode, USCC_CHARSET, usccCheckChar } from './uscc.ts';
import { isValidRegNumber15 } from './identifiers.ts';
import { checkResidentId, maskResidentId } from './resident-id.ts';
import { dnShortName, OID_ARC } from './oids.ts';
import { loadCaProfiles, loadKnownFields, matchCaProfile, type CaProfile, type FieldMeaning, type IssuerAttributes, type KnownField, type UsccLocation } from './ca-profiles.ts';
import { TAG } from './asn1-tags.ts';
import { memoized } from '../memo.ts';

export type Confidence = 'high' | 'medium' | 'low';
export type CandidateKind = 'uscc' | 'orgCode' | 'residentId' | 'regNumber15' | 'placeholder' | 'partial';

export interface IdentityCandidate {
  value: string;
  kind: CandidateKind;
  /** `subject:CN`, `subject:1.2.156.112586.1.10`, `ext:1.2.156.112562.2.1.1.17`, … */
  source: string;
  valid: boolean;
}

/** Why the certificate cannot carry a 法人 login identity although identifiers were found. */
export type IdentityRefusal =
  | { code: 'IDENTITY_AMBIGUOUS'; values: string[]; sources: string[] }
  | { code: 'PERSONAL_CERTIFICATE'; source: string };

export interface CertificateIdentity {
  /**
   * The login identity: only from the CA profile's places or the identity fields (subject
   * serialNumber / organizationIdentifier / CA-private attributes, GM/T 0015 and CA-private
   * extensions), never from e-mail addresses, free text or windows in glued bytes (those stay in
   * `candidates`). Null when `refusal` says why none can count.
   */
  uscc: { value: string; valid: boolean; source: string; confidence: Confidence } | null;
  orgCode: { value: string; source: string } | null;
  /** Two different USCCs in identity fields, or a resident ID number there (personal certificate). */
  refusal?: IdentityRefusal;
  candidates: IdentityCandidate[];
}

export interface ExtractOptions {
  /** Field meanings for the generic scan; default from certs/ca-profiles.json. */
  knownFields?: KnownField[];
}

// Bounds for hostile input: a certificate is at most a few KB of identity data.
const MAX_VALUE_BYTES = 64 * 1024;
const MAX_TEXT_CHARS = 8 * 1024;
const MAX_STRINGS_PER_VALUE = 64;
const MAX_EXTENSIONS = 64;
const MAX_CANDIDATES = 200;
const BER_LIMITS = { maxDepth: 16, maxNodes: 2000, maxContentLength: MAX_VALUE_BYTES, parseEmbedded: false };

/** Prefixes CAs glue to identifiers, and what they announce. Longest first. */
const GENERIC_PREFIXES: { prefix: string; meaning: FieldMeaning }[] = [
  { prefix: 'XY', meaning: 'uscc' },
  { prefix: 'JJ', meaning: 'orgCodeOrUscc' },
  { prefix: 'SF0', meaning: 'idNumber' },
  { prefix: 'SF', meaning: 'idNumber' },
  { prefix: 'N', meaning: 'orgCodeOrUscc' },
];

/** GENERIC_PREFIXES as tokensOf uses them when a place adds none: computed once. */
const SORTED_GENERIC_PREFIXES = [...GENERIC_PREFIXES].sort((a, b) => b.prefix.length - a.prefix.length);

// analyzeUsccDetailed per value within one extractIdentity call (the same run is analysed by
// tokensOf and classify, in the profile pass and the generic pass); emptied at each call.
const analyses = new Map<string, ReturnType<typeof analyzeUsccDetailed>['analysis']>();
function usccAnalysis(v: string): ReturnType<typeof analyzeUsccDetailed>['analysis'] {
  let a = analyses.get(v);
  if (!a) {
    a = analyzeUsccDetailed(v).analysis;
    if (analyses.size < 4 * MAX_CANDIDATES) analyses.set(v, a);
  }
  return a;
}

/** Cheap necessary condition of a valid USCC (charset and check char) before the full analysis. */
function usccCheckCharOk(v: string): boolean {
  return v.length === 18 && usccCharsetOnly(v) && usccCheckChar(v.slice(0, 17)) === v[17];
}

/** Standard extensions (id-ce, id-pe, CT) hold no identity: the generic scan skips them. */
const STANDARD_EXTENSION_ARCS = [OID_ARC.certificateExtension, OID_ARC.pkixExtension, OID_ARC.googleCertificateTransparency].map((arc) => `${arc}.`);
const isStandardExtension = (oid: string): boolean => STANDARD_EXTENSION_ARCS.some((arc) => oid.startsWith(arc));

interface Field {
  source: string;
  where: 'subject' | 'extension';
  oid: string;
  /** Texts decoded from the value, most specific first. */
  texts: string[];
}

interface Found extends IdentityCandidate {
  fromProfile: boolean;
  /** Valid both as USCC and as ID number, or several different USCCs: confidence drops. */
  ambiguous: boolean;
  /** Only the check char is wrong (authority, type, region plausible). */
  nearMiss: boolean;
  meaning: FieldMeaning;
  /** Cut out of a longer glued run (a raw scan), not a value standing on its own. */
  window: boolean;
}

// ---------- decoding values ----------

/** Strings inside an asn1js tree (any string type, OCTET STRINGs and primitive context tags decoded again). */
function collectStrings(node: asn1js.AsnType, out: string[], depth: number): void {
  if (out.length >= MAX_STRINGS_PER_VALUE || depth > BER_LIMITS.maxDepth) return;
  if (node instanceof asn1js.BaseStringBlock) {
    out.push(node.getValue().slice(0, MAX_TEXT_CHARS));
    return;
  }
  const block = node as asn1js.BaseBlock;
  const vb = block.valueBlock as { value?: unknown; valueHexView?: Uint8Array };
  if (Array.isArray(vb.value) && vb.value.length > 0) {
    for (const child of vb.value as asn1js.AsnType[]) collectStrings(child, out, depth + 1);
    return;
  }
  const primitiveBytes =
    node instanceof asn1js.OctetString || node instanceof asn1js.BitString || (block.idBlock?.tagClass === 3 && !block.idBlock.isConstructed)
      ? vb.valueHexView
      : undefined;
  if (primitiveBytes && primitiveBytes.length > 0) textsFromBytes(primitiveBytes, 'any', out, depth + 1);
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

const utf16le = new TextDecoder('utf-16le', { fatal: false });
const utf16be = new TextDecoder('utf-16be', { fatal: false });

/** Bytes as text: UTF-8, or UTF-16 when every other byte is zero (some vendors write wide strings raw). */
function rawText(bytes: Uint8Array): string {
  if (bytes.length >= 4) {
    let evenZero = 0, oddZero = 0;
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      if (bytes[i] === 0) evenZero++;
      if (bytes[i + 1] === 0) oddZero++;
    }
    const pairs = Math.floor(bytes.length / 2);
    if (oddZero >= pairs * 0.8 && evenZero === 0) return utf16le.decode(bytes).slice(0, MAX_TEXT_CHARS);
    if (evenZero >= pairs * 0.8 && oddZero === 0) return utf16be.decode(bytes).slice(0, MAX_TEXT_CHARS);
  }
  return utf8.decode(bytes.subarray(0, MAX_TEXT_CHARS));
}

/** DER strings (when the bytes are exactly one DER value) and/or the bytes read as text. */
function textsFromBytes(bytes: Uint8Array, encoding: 'der' | 'raw' | 'any', out: string[], depth = 0): void {
  const view = bytes.length > MAX_VALUE_BYTES ? bytes.subarray(0, MAX_VALUE_BYTES) : bytes;
  const before = out.length;
  if (encoding !== 'raw' && depth <= BER_LIMITS.maxDepth) {
    try {
      const parsed = asn1js.fromBER(view, BER_LIMITS);
      if (parsed.offset === view.length && !(parsed.result as asn1js.BaseBlock).error) collectStrings(parsed.result, out, depth);
    } catch {
      // Malformed or too deep: fall through to raw text.
    }
  }
  if (encoding === 'raw' || encoding === 'any' || out.length === before) {
    if (out.length < MAX_STRINGS_PER_VALUE) out.push(rawText(view.subarray(0, MAX_TEXT_CHARS * 2)));
  }
}

// ---------- reading the certificate ----------

/** Tags of the string types the certificate reader already decoded (`NameAttribute.text`). */
const DECODED_STRING_TAGS = new Set<number>([TAG.utf8String, TAG.printableString, TAG.ia5String, TAG.bmpString]);

/** The strings in one attribute value: the decoded text for plain strings, else every string inside. */
function attributeTexts(a: NameAttribute): string[] {
  const texts: string[] = [];
  if (DECODED_STRING_TAGS.has(a.value[0]!)) {
    texts.push(a.text.slice(0, MAX_TEXT_CHARS));
    return texts;
  }
  try {
    collectStrings(asn1js.fromBER(a.value).result, texts, 0);
  } catch {
    // An attribute value we cannot read contributes nothing.
  }
  return texts;
}

function subjectFields(cert: ParsedCertificate): Field[] {
  return cert.subjectAttributes.map((a) => ({ source: `subject:${dnShortName(a.type)}`, where: 'subject' as const, oid: a.type, texts: attributeTexts(a) }));
}

function extensionFields(cert: ParsedCertificate, encodingFor: (oid: string) => 'der' | 'raw' | 'any' = () => 'any'): Field[] {
  const fields: Field[] = [];
  for (const ext of cert.extensions.slice(0, MAX_EXTENSIONS)) {
    const oid = ext.oid;
    if (isStandardExtension(oid)) continue;
    const texts: string[] = [];
    try {
      textsFromBytes(ext.value, encodingFor(oid), texts);
    } catch {
      // Unreadable value: nothing to find there.
    }
    fields.push({ source: `ext:${oid}`, where: 'extension', oid, texts });
  }
  return fields;
}

export function issuerAttributes(cert: ParsedCertificate): IssuerAttributes {
  const attrs: IssuerAttributes = new Map();
  for (const a of cert.issuerAttributes) {
    const key = dnShortName(a.type);
    const list = attrs.get(key) ?? [];
    list.push(...attributeTexts(a));
    attrs.set(key, list);
  }
  return attrs;
}

// ---------- recognising identifiers in text ----------

interface Token { value: string; meaning: FieldMeaning; wholeField: boolean; delimited: boolean; window?: boolean }

/** Identifier-looking runs in a text: NFKC, upper-case, split on anything not [0-9A-Z], prefixes stripped. */
function tokensOf(text: string, fieldMeaning: FieldMeaning, extraPrefixes: string[]): Token[] {
  const norm = text.normalize('NFKC').toUpperCase();
  const joined = norm;
  const prefixes = extraPrefixes.length === 0
    ? SORTED_GENERIC_PREFIXES
    : [...extraPrefixes.map((p) => ({ prefix: p.replace(/[^0-9A-Z]/gi, '').toUpperCase(), meaning: fieldMeaning })), ...GENERIC_PREFIXES]
      .filter((p) => p.prefix.length > 0)
      .sort((a, b) => b.prefix.length - a.prefix.length);
  const out: Token[] = [];
  const compact = joined.replace(/[^0-9A-Z]/g, '');
  // Org codes printed as XXXXXXXX-X: a token of their own (the 8 chars may sit at the end of a prefixed run).
  for (const m of joined.matchAll(/([0-9A-Z]{8})-([0-9X])(?![0-9A-Z])/g)) {
    const value = m[1]! + m[2]!;
    const before = joined[(m.index ?? 0) - 1];
    out.push({ value, meaning: fieldMeaning, wholeField: compact === value || (compact.endsWith(value) && compact.length - value.length <= 3), delimited: before === undefined || !/[0-9A-Z]/.test(before) || prefixes.some((p) => joined.slice(0, m.index).endsWith(p.prefix)) });
  }
  // No closures here: the TS loader wraps each one in a naming helper every time it is made.
  const runs = /[0-9A-Z]+/g;
  for (let m = runs.exec(joined); m !== null; m = runs.exec(joined)) {
    const run = m[0];
    const start = m.index;
    const before = joined[start - 1];
    const after = joined[start + run.length];
    const delimited = (before === undefined || before === '@' || before === ']') && (after === undefined || after === '@');
    if (run.length === 18 || run.length === 17 || run.length === 9 || run.length === 15) out.push({ value: run, meaning: fieldMeaning, wholeField: isWholeField(compact, run), delimited });
    const selfValid = run.length === 18 && usccCheckCharOk(run) && usccAnalysis(run).valid;
    if (!selfValid && run.length > 9 && run.length <= 22) {
      for (const p of prefixes) {
        const rest = run.length - p.prefix.length;
        if ((rest === 18 || rest === 17 || rest === 9) && run.startsWith(p.prefix)) {
          const value = run.slice(p.prefix.length);
          out.push({ value, meaning: p.meaning === 'orgCodeOrUscc' && fieldMeaning !== 'unknown' ? fieldMeaning : p.meaning, wholeField: isWholeField(compact, value), delimited });
          break;
        }
      }
    }
    if (run.length > 18) {
      // Unknown glued text: keep only windows that are fully valid USCCs.
      for (let i = 0; i + 18 <= Math.min(run.length, MAX_TEXT_CHARS); i++) {
        const w = run.slice(i, i + 18);
        // Cheap check char first: a long run has thousands of windows.
        const a = usccCharsetOnly(w) && usccCheckChar(w.slice(0, 17)) === w[17] ? usccAnalysis(w) : null;
        if (a?.valid && a.orgType?.name != null) out.push({ value: w, meaning: fieldMeaning, wholeField: isWholeField(compact, w), delimited, window: true });
      }
    }
  }
  return out;
}

/** The value is the whole field, or all of it but a short prefix. */
function isWholeField(compact: string, s: string): boolean {
  return compact === s || (compact.endsWith(s) && compact.length - s.length <= 3);
}

function usccCharsetOnly(s: string): boolean {
  for (const c of s) if (!USCC_CHARSET.includes(c)) return false;
  return true;
}

function classify(tok: Token, source: string, fromProfile: boolean, now: Date): Found | null {
  const v = tok.value;
  const base = { value: v, source, fromProfile, ambiguous: false, nearMiss: false, meaning: tok.meaning, window: tok.window === true };
  const identityField = tok.meaning !== 'unknown' || fromProfile;
  if (v.length === 18) {
    if (isPlaceholder(v)) return identityField || tok.wholeField ? { ...base, kind: 'placeholder', valid: false } : null;
    const u = usccAnalysis(v);
    const id = checkResidentId(v, now);
    // In certificates only a fully decodable code counts: known authority AND known institution type.
    const usccOk = u.valid && u.orgType?.name != null;
    if (id.valid && (!usccOk || tok.meaning === 'idNumber')) return { ...base, kind: 'residentId', valid: true };
    if (usccOk) return { ...base, kind: 'uscc', valid: true, ambiguous: id.valid };
    if (/^\d{17}[\dX]$/.test(v) && (id.checkOk || (tok.meaning === 'idNumber' && id.birthDateOk))) return { ...base, kind: 'residentId', valid: false };
    const plausible = usccCharsetOnly(v) && u.registrationAuthority?.name != null && u.region?.province != null;
    if (plausible && (identityField || tok.wholeField || tok.delimited)) return { ...base, kind: 'uscc', valid: false, nearMiss: u.orgType?.name != null };
    return null;
  }
  if (v.length === 17) {
    const plausible = usccCharsetOnly(v) && usccAnalysis(v).registrationAuthority?.name != null;
    return plausible && (identityField || tok.wholeField) ? { ...base, kind: 'partial', valid: false } : null;
  }
  if (v.length === 9) {
    if (!/^[0-9A-Z]{8}[0-9X]$/.test(v)) return null;
    if (isPlaceholder(v)) return identityField || tok.wholeField ? { ...base, kind: 'placeholder', valid: false } : null;
    const valid = isValidOrgCode(v) && /\d/.test(v.slice(0, 8));
    // Free text is full of 9-letter words: only accept an org code where one is expected or it stands alone.
    if (!(identityField || tok.wholeField || tok.delimited)) return null;
    return valid ? { ...base, kind: 'orgCode', valid: true } : identityField && tok.wholeField ? { ...base, kind: 'orgCode', valid: false } : null;
  }
  if (v.length === 15) {
    // Pre-2015 tax numbers: 6-digit region + 9-char org code.
    if (tok.meaning === 'taxNumber' && /^\d{6}/.test(v) && isValidOrgCode(v.slice(6))) return { ...base, value: v.slice(6), kind: 'orgCode', valid: true };
    if (/^\d{15}$/.test(v) && isValidRegNumber15(v) && (identityField || tok.wholeField)) return { ...base, kind: 'regNumber15', valid: true };
  }
  return null;
}

// ---------- profile places ----------

function locationMatches(loc: UsccLocation, f: Field): boolean {
  if (loc.source === 'subjectCN') return f.source === 'subject:CN';
  if ((loc.source === 'extension') !== (f.where === 'extension')) return false;
  if (loc.oid !== undefined) return f.oid === loc.oid;
  return loc.oidPrefix !== undefined && f.oid.startsWith(loc.oidPrefix + '.');
}

// Profile regexes compiled once (no g/y flag: exec keeps no state between calls).
const locationRegex = memoized((source: string) => new RegExp(source, 'iu'));

function profileFinds(profile: CaProfile, cert: ParsedCertificate, subject: Field[], now: Date): Found[] {
  const finds: Found[] = [];
  const extEncodings = new Map<string, 'der' | 'raw' | 'any'>();
  for (const loc of profile.usccLocations) if (loc.source === 'extension' && loc.oid) extEncodings.set(loc.oid, loc.encoding ?? 'any');
  const exts = extensionFields(cert, (oid) => extEncodings.get(oid) ?? 'any');
  for (const loc of profile.usccLocations) {
    const fields = (loc.source === 'extension' ? exts : subject).filter((f) => locationMatches(loc, f));
    for (const f of fields) {
      let texts = f.texts;
      if (loc.source === 'subjectCN' && loc.regex) {
        const rx = locationRegex(loc.regex);
        texts = texts.map((t) => rx.exec(t.normalize('NFKC'))?.groups?.['value']).filter((t): t is string => typeof t === 'string');
      }
      for (const t of texts) {
        for (const tok of tokensOf(t, loc.meaning, loc.prefixes ?? [])) {
          const c = classify(tok, f.source, true, now);
          if (c) finds.push(c);
        }
      }
    }
  }
  return finds;
}

// ---------- public API ----------

export function detectCaProfile(cert: ParsedCertificate, profiles?: CaProfile[]): { id: string; name: string } | null {
  const p = matchCaProfile(issuerAttributes(cert), profiles ?? loadCaProfiles());
  return p ? { id: p.id, name: p.name } : null;
}

/**
 * `profiles`: omitted → certs/ca-profiles.json; `[]` → generic scan only.
 * `now` only matters for the ID-number birth-date sanity check.
 */
export function extractIdentity(cert: ParsedCertificate, profiles?: CaProfile[], opts: ExtractOptions & { now?: Date } = {}): CertificateIdentity {
  const now = opts.now ?? new Date();
  analyses.clear();
  const list = profiles ?? loadCaProfiles();
  let known: KnownField[];
  try {
    known = opts.knownFields ?? loadKnownFields();
  } catch {
    known = [];
  }

  const subject = subjectFields(cert);
  const profile = list.length ? matchCaProfile(issuerAttributes(cert), list) : null;
  const found: Found[] = profile ? profileFinds(profile, cert, subject, now) : [];

  for (const f of [...subject, ...extensionFields(cert)]) {
    let meaning: FieldMeaning = 'unknown';
    for (const k of known) {
      if (k.oid === f.oid && k.where === f.where) {
        meaning = k.meaning;
        break;
      }
    }
    for (const t of f.texts) {
      for (const tok of tokensOf(t, meaning, [])) {
        const c = classify(tok, f.source, false, now);
        if (c) found.push(c);
        if (found.length >= MAX_CANDIDATES) break;
      }
    }
  }

  // One candidate per (value, kind, source); the profile's sighting wins over the generic one.
  const seen = new Set<string>();
  const unique: Found[] = [];
  for (const c of found) {
    const key = `${c.kind}|${c.value}|${c.source}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(c);
  }

  // Only identity places count for login; everything else is shown, never trusted.
  const eligible = unique.filter(countsForLogin);
  const validUscc = eligible.filter((c) => c.kind === 'uscc' && c.valid);
  const distinct = new Set(validUscc.map((c) => c.value));
  let uscc: CertificateIdentity['uscc'] = null;
  let refusal: IdentityRefusal | undefined;
  const personal = eligible.find((c) => c.kind === 'residentId' && c.valid);
  const best = validUscc.find((c) => c.fromProfile && !c.ambiguous) ?? validUscc.find((c) => !c.ambiguous) ?? validUscc[0];
  if (personal) {
    refusal = { code: 'PERSONAL_CERTIFICATE', source: personal.source };
  } else if (best && (distinct.size > 1 || unique.some((c) => c.kind === 'uscc' && c.valid && !c.window && c.value !== best.value))) {
    // A second enterprise anywhere in the certificate (an applicant-chosen OU, an e-mail) makes it ambiguous.
    const others = unique.filter((c) => c.kind === 'uscc' && c.valid && !c.window);
    refusal = { code: 'IDENTITY_AMBIGUOUS', values: [...new Set(others.map((c) => c.value))], sources: [...new Set(others.map((c) => c.source))] };
  } else if (best) {
    const confidence: Confidence = best.ambiguous ? 'low' : best.fromProfile ? 'high' : 'medium';
    uscc = { value: best.value, valid: true, source: best.source, confidence };
  } else {
    // Report a USCC that is wrong only in its check char, so the user learns why login will fail.
    const miss = eligible.find((c) => c.kind === 'uscc' && !c.valid && (c.fromProfile || c.meaning === 'uscc' || c.meaning === 'orgCodeOrUscc' || c.meaning === 'taxNumber' || c.nearMiss));
    if (miss) uscc = { value: miss.value, valid: false, source: miss.source, confidence: 'low' };
  }

  const org = unique.find((c) => c.kind === 'orgCode' && c.valid);
  const orgCode = org ? { value: org.value, source: org.source } : null;

  return {
    uscc,
    orgCode,
    ...(refusal ? { refusal } : {}),
    candidates: unique.map(({ value, kind, source, valid }) => ({ value, kind, source, valid })),
  };
}

/** Subject attributes that name the holder's registered identifier (not free text, not e-mail). */
const IDENTITY_SUBJECT_FIELDS: ReadonlySet<string> = new Set(['subject:serialNumber', 'subject:organizationIdentifier']);
/** GM/T 0015 (1.2.156.10260.4), legacy 1.2.86.11.7, and the CAs' private arcs under China's 1.2.156 / 2.16.156. */
const IDENTITY_OID = /^(?:1\.2\.156\.|2\.16\.156\.|1\.2\.86\.11\.7\.)/;

/** Whether a sighting may be the login identity: a profile place, or an identity field with the value standing on its own. */
function countsForLogin(c: Found): boolean {
  if (c.fromProfile) return true;
  if (c.window) return false;
  if (IDENTITY_SUBJECT_FIELDS.has(c.source)) return true;
  const m = /^(?:subject|ext):(.+)$/.exec(c.source);
  return m !== null && IDENTITY_OID.test(m[1]!);
}

/** A candidate as it may be shown to people: resident ID numbers masked (`130102********1234`). */
export function candidateDisplay(c: IdentityCandidate): string {
  return c.kind === 'residentId' ? maskResidentId(c.value) : c.value;
}
