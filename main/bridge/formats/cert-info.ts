/**
 * What the CA assistants' certificate calls return, as strings (docs/compat.md「数据格式」):
 * BJCA XTXApp `SOF_GetCertInfo(cert, type)` / `SOF_GetCertInfoByOid`, `SOF_GetUserList`, and
 * HEBCA's `GetSubjectItem`/`GetCertList`. Pure functions over the certificate DER.
 *
 * Type numbers: XTXApp pages use BJCA's own item table (1 version … 11/12 validity … 17 CN …
 * 23 days left), which predates and partly collides with GM/T 0020's SGD_CERT_* codes; BJCA's
 * table wins for 1–23, GM/T 0020's codes are served where they do not collide (0x18–0x1C,
 * 0x21–0x23, 0x31–0x39).
 */
import { createHash } from 'node:crypto';
import { AssistantError } from '../../errors.ts';
import { parseCertificate, type NameAttribute, type ParsedCertificate } from '../../pki/certificate.ts';
import { children, expectTag, oidText, readTlv, stringValue, type Tlv } from '../../pki/der-reader.ts';
import { OID, OID_ARC } from '../../pki/oids.ts';
import { identityOf } from '../../login/verify-cache.ts';
import { TAG } from '../../pki/asn1-tags.ts';

/** Named item types, BJCA's table first, then the GM/T 0020 codes that do not collide with it. */
export const SOF_CERT_INFO = {
  version: 1,
  serialNumber: 2,
  signatureAlgorithm: 3,
  issuerC: 4,
  issuerO: 5,
  issuerOU: 6,
  issuerST: 7,
  issuerCN: 8,
  issuerL: 9,
  issuerEmail: 10,
  notBefore: 11,
  notAfter: 12,
  subjectC: 13,
  subjectO: 14,
  subjectOU: 15,
  subjectST: 16,
  subjectCN: 17,
  subjectL: 18,
  subjectEmail: 19,
  publicKey: 20,
  customLevel: 21,
  uniqueId: 22,
  daysLeft: 23,
  // GM/T 0020 SGD_* codes that BJCA's table leaves free.
  policyConstraints: 0x18,
  extKeyUsage: 0x19,
  crlDistributionPoints: 0x1a,
  netscapeCertType: 0x1b,
  selfDefinedExtensions: 0x1c,
  sgdIssuerCN: 0x21,
  sgdIssuerO: 0x22,
  sgdIssuerOU: 0x23,
  sgdSubjectCN: 0x31,
  sgdSubjectO: 0x32,
  sgdSubjectOU: 0x33,
  sgdSubjectEmail: 0x34,
  sgdNotBefore: 0x35,
  sgdNotAfter: 0x36,
  sgdUscc: 0x39,
  // Whole DNs and extensions: not in either table's 1–23, kept on free numbers of GM/T 0020's range.
  issuerDn: 0x100,
  subjectDn: 0x101,
  extensions: 0x102,
} as const;

export type SofCertInfoType = (typeof SOF_CERT_INFO)[keyof typeof SOF_CERT_INFO];

/** BJCA's SVS UniqueID extension, and BJCA's entity ID; the first one present is item 22. */
const UNIQUE_ID_OIDS = [OID.bjcaSvsUniqueId, OID.bjcaEntityId];
const EXT = {
  policyConstraints: OID.policyConstraints,
  crlDistributionPoints: OID.crlDistributionPoints,
  netscapeCertType: OID.netscapeCertType,
} as const;
/** The DN items of GM/T 0020's table, by the names BJCA's pages use (E: email). */
const DN = { C: OID.countryName, O: OID.organizationName, OU: OID.organizationalUnitName, ST: OID.stateOrProvinceName, CN: OID.commonName, L: OID.localityName, E: OID.emailAddress } as const;

function badInput(code: string, zh: string, en: string): AssistantError {
  return new AssistantError(code, zh, { en });
}

/** Base64 (PEM armour and whitespace allowed, as pages paste it) → parsed certificate. */
export function certificateFromBase64(b64: string): ParsedCertificate {
  if (typeof b64 !== 'string' || b64.length === 0 || b64.length > 96 * 1024) throw badInput('SOF_CERT_INVALID', '证书数据为空或过大', 'certificate empty or too large');
  const body = b64.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/[\s]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw badInput('SOF_CERT_INVALID', '证书不是 Base64 编码', 'certificate is not base64');
  try {
    return parseCertificate(new Uint8Array(Buffer.from(body, 'base64')));
  } catch (e) {
    throw new AssistantError('SOF_CERT_INVALID', '证书无法解析', { en: 'certificate cannot be parsed', cause: e });
  }
}

/** Values of one attribute, joined with `,` when a name repeats it (several OUs). */
function attr(attrs: readonly NameAttribute[], oid: string): string {
  return attrs.filter((a) => a.type === oid).map((a) => a.text).join(',');
}

/** DN as BJCA prints it: `C=CN, O=…, CN=…` in certificate order (our certificate model's display form). */
function dn(cert: ParsedCertificate, which: 'subject' | 'issuer'): string {
  return which === 'subject' ? cert.subject : cert.issuer;
}

interface RawExtension { oid: string; critical: boolean; value: Uint8Array; whole: Uint8Array }

/** The certificate's extensions, read from the TBSCertificate. */
export function certificateExtensions(cert: ParsedCertificate): RawExtension[] {
  const b = cert.tbs;
  const tbs = readTlv(b, 0, b.length);
  const ext = children(b, tbs, 16).find((f) => f.tag === TAG.context3);
  if (!ext) return [];
  const list = expectTag(children(b, ext, 1)[0], TAG.sequence, '扩展');
  return children(b, list, 256).map((e: Tlv) => {
    const parts = children(b, expectTag(e, TAG.sequence, '扩展'), 3);
    const v = expectTag(parts[parts.length - 1], TAG.octetString, '扩展值');
    return {
      oid: oidText(b, parts[0]!),
      critical: parts[1]?.tag === TAG.boolean && b[parts[1].body] !== 0,
      value: b.subarray(v.body, v.end),
      whole: b.subarray(e.start, e.end),
    };
  });
}

const STRING_TAGS = new Set<number>([TAG.utf8String, TAG.printableString, TAG.ia5String, TAG.numericString, TAG.visibleString, TAG.teletexString, TAG.bmpString, TAG.universalString]);

/** An extension value as text: a bare string (or a string inside one SEQUENCE/OCTET STRING) as its text, anything else base64 of its DER. */
function extensionText(value: Uint8Array): string {
  try {
    let t = readTlv(value, 0, value.length);
    if (t.end === value.length) {
      if (STRING_TAGS.has(t.tag)) return stringValue(value, t);
      if (t.tag === TAG.sequence || t.tag === TAG.octetString) {
        const inner = t.tag === TAG.sequence ? children(value, t, 2) : [readTlv(value, t.body, t.end)];
        if (inner.length === 1 && STRING_TAGS.has(inner[0]!.tag) && inner[0]!.end === t.end) {
          t = inner[0]!;
          return stringValue(value, t);
        }
      }
    }
  } catch {
    // Not DER we can walk: fall through to base64.
  }
  return Buffer.from(value).toString('base64');
}

/** yyyyMMddHHmmss in Beijing time (UTC+8), as the CA assistants return validity dates. */
export function sofTime(d: Date): string {
  const t = new Date(d.getTime() + 8 * 3600_000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(t.getUTCFullYear(), 4)}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}${p(t.getUTCHours())}${p(t.getUTCMinutes())}${p(t.getUTCSeconds())}`;
}

const SIGNATURE_NAMES: Record<string, string> = {
  [OID.sha1WithRSA]: 'SHA1withRSA',
  [OID.sha256WithRSA]: 'SHA256withRSA',
  [OID.sha384WithRSA]: 'SHA384withRSA',
  [OID.sha512WithRSA]: 'SHA512withRSA',
  [OID.md5WithRSA]: 'MD5withRSA',
  [OID.sm2WithSm3]: 'SM3withSM2',
  [OID.ecdsaWithSha256]: 'SHA256withECDSA',
  [OID.ecdsaWithSha384]: 'SHA384withECDSA',
};

/** The items that are one attribute of the issuer or subject name: [attribute, its issuer items, its subject items]. */
const NAME_ITEMS = new Map<number, { name: 'issuer' | 'subject'; attribute: string }>();
for (const [attribute, issuerItems, subjectItems] of [
  [DN.C, [SOF_CERT_INFO.issuerC], [SOF_CERT_INFO.subjectC]],
  [DN.O, [SOF_CERT_INFO.issuerO, SOF_CERT_INFO.sgdIssuerO], [SOF_CERT_INFO.subjectO, SOF_CERT_INFO.sgdSubjectO]],
  [DN.OU, [SOF_CERT_INFO.issuerOU, SOF_CERT_INFO.sgdIssuerOU], [SOF_CERT_INFO.subjectOU, SOF_CERT_INFO.sgdSubjectOU]],
  [DN.ST, [SOF_CERT_INFO.issuerST], [SOF_CERT_INFO.subjectST]],
  [DN.CN, [SOF_CERT_INFO.issuerCN, SOF_CERT_INFO.sgdIssuerCN], [SOF_CERT_INFO.subjectCN, SOF_CERT_INFO.sgdSubjectCN]],
  [DN.L, [SOF_CERT_INFO.issuerL], [SOF_CERT_INFO.subjectL]],
  [DN.E, [SOF_CERT_INFO.issuerEmail], [SOF_CERT_INFO.subjectEmail, SOF_CERT_INFO.sgdSubjectEmail]],
] as Array<[string, number[], number[]]>) {
  for (const item of issuerItems) NAME_ITEMS.set(item, { name: 'issuer', attribute });
  for (const item of subjectItems) NAME_ITEMS.set(item, { name: 'subject', attribute });
}

function uniqueId(cert: ParsedCertificate): string {
  const exts = certificateExtensions(cert);
  for (const oid of UNIQUE_ID_OIDS) {
    const e = exts.find((x) => x.oid === oid);
    if (e) return extensionText(e.value);
  }
  return '';
}

/**
 * SOF_GetCertEntity(cert): the certificate's unique entity identifier, as BJCA's pages read it
 * (JJ… for an organisation, SF… for a person): the same extensions as item 22, whichever the CA
 * used (its test and production hierarchies use different OIDs). Throws when there is none.
 */
export function sofGetCertEntity(certB64: string): string {
  const id = uniqueId(certificateFromBase64(certB64));
  if (id === '') throw badInput('SOF_CERT_NO_ENTITY', '该证书没有唯一实体标识', 'the certificate carries no unique entity identifier');
  return id;
}

function oneExtension(cert: ParsedCertificate, oid: string): string {
  const e = certificateExtensions(cert).find((x) => x.oid === oid);
  return e ? Buffer.from(e.value).toString('base64') : '';
}

/**
 * `SOF_GetCertInfo(cert, type)`: the item as a string; '' when the certificate lacks it.
 * Throws SOF_CERT_INFO_TYPE for a type neither table defines (the bridge answers it with the
 * protocol's error shape).
 */
export function sofGetCertInfo(certB64: string, type: number, now: Date = new Date()): string {
  const cert = certificateFromBase64(certB64);
  const named = NAME_ITEMS.get(type);
  if (named) return attr(named.name === 'issuer' ? cert.issuerAttributes : cert.subjectAttributes, named.attribute);
  const T = SOF_CERT_INFO;
  switch (type) {
    case T.version: return `V${cert.version}`;
    case T.serialNumber: return cert.serialNumber.toUpperCase();
    case T.signatureAlgorithm: return SIGNATURE_NAMES[cert.signatureAlgorithmOid] ?? cert.signatureAlgorithmOid;
    case T.notBefore: case T.sgdNotBefore: return sofTime(cert.notBefore);
    case T.notAfter: case T.sgdNotAfter: return sofTime(cert.notAfter);
    case T.publicKey: return Buffer.from(cert.publicKey.spki).toString('base64');
    case T.customLevel: return '';
    case T.uniqueId: return uniqueId(cert);
    case T.daysLeft: return String(Math.max(0, Math.floor((cert.notAfter.getTime() - now.getTime()) / 86_400_000)));
    case T.policyConstraints: return oneExtension(cert, EXT.policyConstraints);
    case T.extKeyUsage: return (cert.extendedKeyUsage ?? []).join(',');
    case T.crlDistributionPoints: return oneExtension(cert, EXT.crlDistributionPoints);
    case T.netscapeCertType: return oneExtension(cert, EXT.netscapeCertType);
    case T.selfDefinedExtensions: return certificateExtensions(cert).filter((e) => !e.oid.startsWith(`${OID_ARC.certificateExtension}.`)).map((e) => Buffer.from(e.whole).toString('base64')).join(',');
    case T.sgdUscc: return identityOf(cert).uscc?.value ?? '';
    case T.issuerDn: return dn(cert, 'issuer');
    case T.subjectDn: return dn(cert, 'subject');
    case T.extensions: {
      const exts = certificateExtensions(cert);
      return exts.length ? Buffer.concat(exts.map((e) => Buffer.from(e.whole))).toString('base64') : '';
    }
    default:
      throw badInput('SOF_CERT_INFO_TYPE', `不支持的证书信息类型 ${Number(type)}`, `unsupported certificate item type ${Number(type)}`);
  }
}

/**
 * `SOF_GetCertInfoByOid(cert, oid)`: an extension's value (a string value as its text, anything
 * else base64 of its DER), else a subject attribute with that OID; '' when neither exists.
 */
export function sofGetCertInfoByOid(certB64: string, oid: string): string {
  if (typeof oid !== 'string' || !/^[0-2](\.\d{1,9}){1,30}$/.test(oid)) throw badInput('SOF_OID_INVALID', '对象标识符格式错误', 'malformed OID');
  const cert = certificateFromBase64(certB64);
  const e = certificateExtensions(cert).find((x) => x.oid === oid);
  if (e) return extensionText(e.value);
  return attr(cert.subjectAttributes, oid);
}

/** HEBCA `GetSubjectItem`: the whole subject DN, as the P11 assistant's pages display it. */
export function hebcaSubject(cert: ParsedCertificate): string {
  return cert.subject;
}

/**
 * The certificate ID a page sees (SOF `certID`, BJCA's container name): a GUID-shaped digest of
 * the certificate, so the same key shows the same ID on every connection and no device path or
 * serial leaks to the page.
 */
export function sofCertId(certificateDer: Uint8Array): string {
  const h = createHash('sha256').update(certificateDer).digest('hex').toUpperCase();
  return `{${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}}`;
}

/** Removes the list separators (`||`, `&&&`) and control characters a name could carry. */
function listSafe(s: string): string {
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  return s.replace(/[\u0000-\u001f]/g, '').replace(/\|\|/g, '|').replace(/&&&/g, '&&');
}

/** `SOF_GetUserList`: `name||certID&&&name2||certID2&&&` (each entry ends with `&&&`); '' when empty. */
export function formatSofUserList(entries: { name: string; certId: string }[]): string {
  return entries.map((e) => `${listSafe(e.name)}||${listSafe(e.certId)}&&&`).join('');
}

/** The name a user list shows for a certificate: its CN, else the whole subject. */
export function userListName(cert: ParsedCertificate): string {
  return attr(cert.subjectAttributes, DN.CN) || cert.subject;
}

/** HEBCA `GetCertList` → `certSnList`: serial numbers (upper-case hex) joined by `;`. */
export function formatHebcaCertSnList(certs: ParsedCertificate[]): string {
  return certs.map((c) => c.serialNumber.toUpperCase()).join(';');
}

/** HEBCA `GetSignCertNotAfter` → `certnotafter`: `yyyy-MM-dd HH:mm:ss` in Beijing time. */
export function hebcaNotAfter(cert: ParsedCertificate): string {
  const s = sofTime(cert.notAfter);
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)} ${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}`;
}
