/**
 * 企业名称 from a certificate subject. Real CA certificates do not agree on where it sits:
 * CFCA puts its own CA name in subject O (`O=CFCA ACS OCA1`, `OCA31SM2`) and the enterprise in
 * one `@` segment of the CN (`041@N<USCC>@名称@1`, `051@名称@N<USCC>@1`); HEBCA personal
 * certificates carry `O=hebca`. Order: the CA profile's places (certs/ca-profiles.json
 * `enterpriseName`), else CN segment → O → name → CN; O values naming the issuing CA are skipped;
 * when nothing qualifies, the whole CN, then O even if it names the CA.
 */
import type { ParsedCertificate } from './certificate.ts';
import { loadCaProfiles, matchCaProfile, type CaProfile, type IssuerAttributes, type NamePlace } from './ca-profiles.ts';
import { issuerAttributes } from './identity.ts';
import { OID } from './oids.ts';

export interface EnterpriseName {
  value: string;
  /** `subject:CN` (a CN `@` segment or the whole CN), `subject:O`, `subject:name`. */
  source: string;
}

const OID_BY_PLACE: Record<Exclude<NamePlace, 'cnSegment'>, string> = { O: OID.organizationName, CN: OID.commonName, name: OID.name };
const DEFAULT_PLACES: NamePlace[] = ['cnSegment', 'O', 'name', 'CN'];
const HAN = /\p{Script=Han}/u;

function subjectValues(cert: ParsedCertificate, oid: string): string[] {
  const out: string[] = [];
  for (const a of cert.subjectAttributes) {
    if (a.type !== oid) continue;
    const text = a.text.trim();
    // `#hex` is how undecodable values come back: never a name.
    if (text && !text.startsWith('#')) out.push(text);
  }
  return out;
}

/** USCC, org code, ID number, serials, with or without CA prefixes (`N`, `[N]`, `XY`, `8`). */
export function looksLikeIdentifier(text: string): boolean {
  const t = text.normalize('NFKC').trim();
  return !HAN.test(t) && /^[[\]0-9A-Za-z@._-]{6,}$/.test(t) && /\d{4}/.test(t);
}

/** The CJK part of an `@`-separated CN that is not an identifier; null for other CNs. */
export function cnNameSegment(cn: string): string | null {
  if (!cn.includes('@')) return null;
  for (const part of cn.split('@')) {
    const p = part.trim();
    if (p && HAN.test(p) && !looksLikeIdentifier(p)) return p;
  }
  return null;
}

function isCaName(o: string, issuer: IssuerAttributes, profile: CaProfile | null): boolean {
  const lower = o.normalize('NFKC').toLowerCase();
  for (const values of issuer.values()) if (values.some((v) => v.normalize('NFKC').trim().toLowerCase() === lower)) return true;
  if (!profile) return false;
  if (o === profile.name || lower === profile.nameEn.toLowerCase()) return true;
  for (const r of profile.enterpriseName?.caSubjectO ?? []) if (new RegExp(r, 'iu').test(o)) return true;
  for (const m of profile.match.issuer) {
    if (m.attr !== 'O' && m.attr !== 'any') continue;
    if (m.contains !== undefined && lower.includes(m.contains.toLowerCase())) return true;
    if (m.regex !== undefined && new RegExp(m.regex, 'iu').test(o)) return true;
  }
  return false;
}

/**
 * The enterprise (or holder) name to show for a certificate, or null when the subject has no
 * CN, O or name at all. `profiles`: omitted → certs/ca-profiles.json; `[]` → no CA knowledge.
 */
export function enterpriseNameOf(cert: ParsedCertificate, profiles?: CaProfile[]): EnterpriseName | null {
  const list = profiles ?? loadCaProfiles();
  const issuer = issuerAttributes(cert);
  const profile = list.length ? matchCaProfile(issuer, list) : null;
  const places = profile?.enterpriseName?.places ?? DEFAULT_PLACES;
  const cns = subjectValues(cert, OID_BY_PLACE.CN);

  for (const place of places) {
    if (place === 'cnSegment') {
      for (const cn of cns) {
        const seg = cnNameSegment(cn);
        if (seg) return { value: seg, source: 'subject:CN' };
      }
      continue;
    }
    for (const v of subjectValues(cert, OID_BY_PLACE[place])) {
      if (looksLikeIdentifier(v)) continue;
      if (place === 'O' && isCaName(v, issuer, profile)) continue;
      // An `@` CN whose name segment was not found is a code string, not a name.
      if (place === 'CN' && v.includes('@') && places.includes('cnSegment')) continue;
      return { value: v, source: `subject:${place}` };
    }
  }
  // Nothing qualified: the raw CN before an O that names the CA (showing the CA as the company misleads).
  const cn = cns[0];
  if (cn) return { value: cn, source: 'subject:CN' };
  const o = subjectValues(cert, OID_BY_PLACE.O)[0];
  if (o) return { value: o, source: 'subject:O' };
  const name = subjectValues(cert, OID_BY_PLACE.name)[0];
  return name ? { value: name, source: 'subject:name' } : null;
}
