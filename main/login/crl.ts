/**
 * Certificate revocation lists (RFC 5280 §5): parsed once, with their scope
 * (issuingDistributionPoint), delta-CRL numbers and per-entry reasons. A CRL carrying a critical
 * extension we do not understand is refused rather than read as complete.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { AssistantError } from '../errors.ts';
import type { ParsedCertificate } from '../pki/certificate.ts';
import { checkDerStructure } from '../pki/der.ts';
import { REVOCATION_OID } from '../pki/oids.ts';
import { verifySignedStructure } from './signature.ts';

/** RFC 5280 CRLReason values the checks act on. */
export const CRL_REASON = { certificateHold: 6, removeFromCRL: 8 } as const;

export interface RevokedEntry {
  revokedAt: Date;
  /** CRLReason code, null when the entry has none. */
  reason: number | null;
}

/** What part of the issuer's certificates a CRL speaks for (issuingDistributionPoint). */
export interface CrlScope {
  onlyUserCerts: boolean;
  onlyCaCerts: boolean;
  onlyAttributeCerts: boolean;
  /** Indirect CRLs (entries for other issuers) are not supported: such a CRL never covers a link. */
  indirect: boolean;
  /** onlySomeReasons: a partial CRL, never enough on its own to call a certificate good. */
  someReasons: boolean;
  /** URIs of the IDP's distribution point; 'other' for names we cannot compare; null when absent. */
  distributionPoint: string[] | 'other' | null;
}

export interface PreparedCrl {
  sha256: string;
  issuerDer: Uint8Array;
  issuer: string;
  thisUpdate: Date;
  nextUpdate: Date | null;
  /** Serial (lower-case hex, no leading zeros) -> entry. */
  revoked: Map<string, RevokedEntry>;
  crlNumber: bigint | null;
  /** deltaCRLIndicator's BaseCRLNumber; null for a complete (base) CRL. */
  deltaBase: bigint | null;
  scope: CrlScope;
  algorithmOid: string;
  tbs: Uint8Array;
  signature: Uint8Array;
  /** Fingerprints of issuer certificates whose key verified this CRL (memo). */
  verifiedBy: Set<string>;
}

const KNOWN_CRL_EXTENSIONS: ReadonlySet<string> = new Set([
  REVOCATION_OID.authorityKeyId,
  REVOCATION_OID.issuerAltName,
  REVOCATION_OID.crlNumber,
  REVOCATION_OID.deltaCrlIndicator,
  REVOCATION_OID.issuingDistributionPoint,
  REVOCATION_OID.freshestCrl,
]);
const KNOWN_ENTRY_EXTENSIONS: ReadonlySet<string> = new Set([
  REVOCATION_OID.reasonCode,
  REVOCATION_OID.holdInstructionCode,
  REVOCATION_OID.invalidityDate,
  REVOCATION_OID.certificateIssuer,
]);

function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Serial as the lookup key: lower-case hex without leading zero bytes. */
export function serialKey(hex: string): string {
  return hex.toLowerCase().replace(/^(?:00)+(?=.)/, '');
}

function pemToDer(bytes: Uint8Array): Uint8Array {
  const text = Buffer.from(bytes).toString('latin1');
  const m = /-----BEGIN X509 CRL-----([A-Za-z0-9+/=\s]+)-----END X509 CRL-----/.exec(text);
  return m ? new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')) : bytes;
}

function malformed(cause: unknown): AssistantError {
  return new AssistantError('CRL_MALFORMED', '证书吊销列表（CRL）无法解析', { en: 'CRL cannot be parsed', cause });
}

function unsupported(oid: string, where: 'crl' | 'entry'): AssistantError {
  const zh = where === 'crl' ? `证书吊销列表（CRL）含无法识别的关键扩展 ${oid}，不能使用` : `证书吊销列表（CRL）的条目含无法识别的关键扩展 ${oid}，不能使用`;
  return new AssistantError('CRL_UNSUPPORTED', zh, { en: `CRL carries an unrecognised critical ${where === 'crl' ? 'extension' : 'entry extension'} ${oid}`, details: { oid } });
}

function integerOf(der: Uint8Array): bigint {
  const asn = asn1js.fromBER(der);
  if (asn.offset === -1 || !(asn.result instanceof asn1js.Integer)) throw new Error('not an INTEGER');
  const bytes = asn.result.valueBlock.valueHexView;
  return bytes.length === 0 ? 0n : BigInt('0x' + hexOf(bytes));
}

function readScope(der: Uint8Array): CrlScope {
  const idp = new pkijs.IssuingDistributionPoint({ schema: asn1js.fromBER(der).result });
  let distributionPoint: CrlScope['distributionPoint'] = null;
  if (idp.distributionPoint !== undefined) {
    if (Array.isArray(idp.distributionPoint)) {
      const uris = idp.distributionPoint.filter((n) => n.type === 6 && typeof n.value === 'string').map((n) => String(n.value));
      distributionPoint = uris.length === idp.distributionPoint.length ? uris : 'other';
    } else {
      distributionPoint = 'other';
    }
  }
  return {
    onlyUserCerts: idp.onlyContainsUserCerts === true,
    onlyCaCerts: idp.onlyContainsCACerts === true,
    onlyAttributeCerts: idp.onlyContainsAttributeCerts === true,
    indirect: idp.indirectCRL === true,
    someReasons: idp.onlySomeReasons !== undefined,
    distributionPoint,
  };
}

const FULL_SCOPE: CrlScope = { onlyUserCerts: false, onlyCaCerts: false, onlyAttributeCerts: false, indirect: false, someReasons: false, distributionPoint: null };

const parsedByHash = new Map<string, PreparedCrl>();
const MAX_PARSED = 64;

/**
 * Parses a CRL (DER or PEM). Throws AssistantError CRL_MALFORMED, or CRL_UNSUPPORTED for a
 * critical extension we cannot honour. Cached by content hash.
 */
export function parseCrl(bytes: Uint8Array): PreparedCrl {
  const der = pemToDer(bytes);
  const sha256 = createHash('sha256').update(der).digest('hex');
  const hit = parsedByHash.get(sha256);
  if (hit) return hit;
  let crl: pkijs.CertificateRevocationList;
  try {
    if (checkDerStructure(der, { code: 'CRL_MALFORMED' }) !== der.length) throw new Error('trailing bytes');
    const asn = asn1js.fromBER(der);
    if (asn.offset === -1) throw new Error('bad DER');
    crl = new pkijs.CertificateRevocationList({ schema: asn.result });
  } catch (e) {
    throw malformed(e);
  }
  let crlNumber: bigint | null = null;
  let deltaBase: bigint | null = null;
  let scope = FULL_SCOPE;
  const seen = new Set<string>();
  for (const ext of crl.crlExtensions?.extensions ?? []) {
    if (seen.has(ext.extnID)) throw malformed(new Error(`duplicate extension ${ext.extnID}`));
    seen.add(ext.extnID);
    if (!KNOWN_CRL_EXTENSIONS.has(ext.extnID)) {
      if (ext.critical) throw unsupported(ext.extnID, 'crl');
      continue;
    }
    const value = ext.extnValue.valueBlock.valueHexView;
    try {
      if (ext.extnID === REVOCATION_OID.crlNumber) crlNumber = integerOf(value);
      else if (ext.extnID === REVOCATION_OID.deltaCrlIndicator) deltaBase = integerOf(value);
      else if (ext.extnID === REVOCATION_OID.issuingDistributionPoint) scope = readScope(value);
    } catch (e) {
      throw malformed(e);
    }
  }
  const revoked = new Map<string, RevokedEntry>();
  for (const r of crl.revokedCertificates ?? []) {
    let reason: number | null = null;
    for (const ext of r.crlEntryExtensions?.extensions ?? []) {
      if (!KNOWN_ENTRY_EXTENSIONS.has(ext.extnID)) {
        if (ext.critical) throw unsupported(ext.extnID, 'entry');
        continue;
      }
      // An entry naming another issuer belongs to an indirect CRL, which never covers a link here.
      if (ext.extnID === REVOCATION_OID.certificateIssuer) scope = { ...scope, indirect: true };
      if (ext.extnID === REVOCATION_OID.reasonCode) {
        const asn = asn1js.fromBER(ext.extnValue.valueBlock.valueHexView);
        if (asn.result instanceof asn1js.Enumerated) reason = asn.result.valueBlock.valueDec;
      }
    }
    revoked.set(serialKey(hexOf(r.userCertificate.valueBlock.valueHexView)), { revokedAt: r.revocationDate.value, reason });
  }
  const prepared: PreparedCrl = {
    sha256,
    issuerDer: new Uint8Array(crl.issuer.toSchema().toBER(false)),
    issuer: crl.issuer.typesAndValues.map((tv) => `${tv.type}=${String((tv.value as { valueBlock?: { value?: unknown } }).valueBlock?.value ?? '')}`).join(', '),
    thisUpdate: crl.thisUpdate.value,
    nextUpdate: crl.nextUpdate?.value ?? null,
    revoked,
    crlNumber,
    deltaBase,
    scope,
    algorithmOid: crl.signatureAlgorithm.algorithmId,
    tbs: crl.tbsView,
    signature: crl.signatureValue.valueBlock.valueHexView,
    verifiedBy: new Set(),
  };
  if (parsedByHash.size >= MAX_PARSED) parsedByHash.delete(parsedByHash.keys().next().value as string);
  parsedByHash.set(sha256, prepared);
  return prepared;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

/** True when `issuer`'s key signed this CRL under its exact name. */
export function crlSignedBy(crl: PreparedCrl, issuer: ParsedCertificate): boolean {
  if (!sameBytes(crl.issuerDer, issuer.subjectDer)) return false;
  if (crl.verifiedBy.has(issuer.fingerprintSha256)) return true;
  const ok = verifySignedStructure(issuer, crl.algorithmOid, crl.tbs, crl.signature);
  if (ok) crl.verifiedBy.add(issuer.fingerprintSha256);
  return ok;
}

/**
 * Whether a CRL speaks for `cert` (RFC 5280 §6.3.3 b): 'complete' when it lists every reason for
 * certificates like this one, 'partial' for deltas and onlySomeReasons CRLs, 'no' outside its scope.
 */
export function crlCoverage(crl: PreparedCrl, cert: ParsedCertificate, certDistributionUrls: string[]): 'complete' | 'partial' | 'no' {
  const s = crl.scope;
  if (s.indirect || s.onlyAttributeCerts) return 'no';
  if (s.onlyUserCerts && cert.isCA) return 'no';
  if (s.onlyCaCerts && !cert.isCA) return 'no';
  if (s.distributionPoint === 'other') return 'no';
  if (s.distributionPoint !== null && !s.distributionPoint.some((u) => certDistributionUrls.includes(u))) return 'no';
  return crl.deltaBase !== null || s.someReasons ? 'partial' : 'complete';
}

export function crlIsCurrent(crl: PreparedCrl, now: Date, skewMs: number): boolean {
  return crl.thisUpdate.getTime() <= now.getTime() + skewMs && (crl.nextUpdate === null || now.getTime() <= crl.nextUpdate.getTime() + skewMs);
}

export type CrlVerdict =
  | { status: 'good' }
  | { status: 'revoked'; revokedAt: Date; reason: number | null }
  | { status: 'stale' }
  | { status: 'no-coverage' };

/**
 * The status of `cert` from CRLs already proven to be its issuer's. A listed serial revokes
 * (unless a newer current delta removes a certificateHold); "good" needs a current complete CRL.
 */
export function crlVerdict(cert: ParsedCertificate, crls: PreparedCrl[], certDistributionUrls: string[], now: Date, skewMs: number): CrlVerdict {
  const applicable = crls.map((crl) => ({ crl, coverage: crlCoverage(crl, cert, certDistributionUrls) })).filter((x) => x.coverage !== 'no');
  const serial = serialKey(cert.serialNumber);
  const deltas = applicable.filter((x) => x.crl.deltaBase !== null && crlIsCurrent(x.crl, now, skewMs)).map((x) => x.crl);
  for (const { crl } of applicable) {
    const entry = crl.revoked.get(serial);
    if (!entry || entry.reason === CRL_REASON.removeFromCRL) continue;
    if (entry.revokedAt.getTime() > now.getTime() + skewMs) continue;
    if (entry.reason === CRL_REASON.certificateHold && crl.crlNumber !== null) {
      const released = deltas.some((d) => d.crlNumber !== null && d.crlNumber > crl.crlNumber! && d.revoked.get(serial)?.reason === CRL_REASON.removeFromCRL);
      if (released) continue;
    }
    return { status: 'revoked', revokedAt: entry.revokedAt, reason: entry.reason };
  }
  const complete = applicable.filter((x) => x.coverage === 'complete').map((x) => x.crl);
  if (complete.some((c) => crlIsCurrent(c, now, skewMs))) return { status: 'good' };
  return complete.length > 0 ? { status: 'stale' } : { status: 'no-coverage' };
}
