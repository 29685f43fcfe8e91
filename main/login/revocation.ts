/**
 * Revocation from CRLs: given by the operator (DER or PEM), or fetched from the certificate's
 * CRL distribution point when the operator allows network access (timeout + size cap).
 * Parsed CRLs are cached (by content hash; fetched ones by URL until their nextUpdate), and a
 * CRL only counts after its signature verifies against the issuer found in the chain.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { AssistantError } from '../errors.ts';
import type { ParsedCertificate } from '../pki/certificate.ts';
import { checkDerStructure } from '../pki/der.ts';
import { verifySignedStructure } from './signature.ts';

export interface PreparedCrl {
  sha256: string;
  issuerDer: Uint8Array;
  issuer: string;
  thisUpdate: Date;
  nextUpdate: Date | null;
  /** Serial (lower-case hex, no leading zeros) -> revocation date. */
  revoked: Map<string, Date>;
  algorithmOid: string;
  tbs: Uint8Array;
  signature: Uint8Array;
  /** Fingerprints of issuer certificates whose key verified this CRL (memo). */
  verifiedBy: Set<string>;
}

export const DEFAULT_CRL_FETCH_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_CRL_BYTES = 10 * 1024 * 1024;
const OID_CRL_DP = '2.5.29.31';

function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function serialKey(bytes: Uint8Array): string {
  return hexOf(bytes).replace(/^(?:00)+(?=.)/, '');
}

function pemToDer(bytes: Uint8Array): Uint8Array {
  const text = Buffer.from(bytes).toString('latin1');
  const m = /-----BEGIN X509 CRL-----([A-Za-z0-9+/=\s]+)-----END X509 CRL-----/.exec(text);
  return m ? new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')) : bytes;
}

const parsedByHash = new Map<string, PreparedCrl>();
const MAX_PARSED = 64;

/** Parses a CRL (DER or PEM). Throws AssistantError CRL_MALFORMED. Cached by content hash. */
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
    throw new AssistantError('CRL_MALFORMED', '证书吊销列表（CRL）无法解析', { en: 'CRL cannot be parsed', cause: e });
  }
  const revoked = new Map<string, Date>();
  for (const r of crl.revokedCertificates ?? []) revoked.set(serialKey(r.userCertificate.valueBlock.valueHexView), r.revocationDate.value);
  const prepared: PreparedCrl = {
    sha256,
    issuerDer: new Uint8Array(crl.issuer.toSchema().toBER(false)),
    issuer: crl.issuer.typesAndValues.map((tv) => `${tv.type}=${String((tv.value as { valueBlock?: { value?: unknown } }).valueBlock?.value ?? '')}`).join(', '),
    thisUpdate: crl.thisUpdate.value,
    nextUpdate: crl.nextUpdate?.value ?? null,
    revoked,
    algorithmOid: crl.signatureAlgorithm.algorithmId,
    tbs: crl.tbsView,
    signature: crl.signatureValue.valueBlock.valueHexView,
    verifiedBy: new Set(),
  };
  if (parsedByHash.size >= MAX_PARSED) parsedByHash.delete(parsedByHash.keys().next().value as string);
  parsedByHash.set(sha256, prepared);
  return prepared;
}

const cdpMemo = new WeakMap<ParsedCertificate, string[]>();

/** HTTP(S) URLs from the certificate's CRL distribution points extension (memoised per certificate). */
export function crlDistributionUrls(cert: ParsedCertificate): string[] {
  let urls = cdpMemo.get(cert);
  if (!urls) {
    urls = readDistributionUrls(cert);
    cdpMemo.set(cert, urls);
  }
  return urls;
}

function readDistributionUrls(cert: ParsedCertificate): string[] {
  const ext = cert.cert.extensions?.find((e) => e.extnID === OID_CRL_DP);
  if (!ext) return [];
  const out: string[] = [];
  try {
    const dps = new pkijs.CRLDistributionPoints({ schema: asn1js.fromBER(ext.extnValue.valueBlock.valueHexView).result });
    for (const dp of dps.distributionPoints) {
      const names = dp.distributionPoint;
      if (!Array.isArray(names)) continue;
      for (const n of names) if (n.type === 6 && typeof n.value === 'string' && /^https?:\/\//i.test(n.value)) out.push(n.value);
    }
  } catch {
    return [];
  }
  return out;
}

export type CrlFetcher = (url: string, limits: { timeoutMs: number; maxBytes: number }) => Promise<Uint8Array>;

/** Fetches one CRL with a hard timeout and size cap (no redirects to other schemes). */
export const fetchCrlOverHttp: CrlFetcher = async (url, { timeoutMs, maxBytes }) => {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw new Error('CRL too large');
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new Error('CRL too large');
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
};

export interface RevocationOptions {
  crls: PreparedCrl[];
  allowNetworkFetch?: boolean;
  fetchTimeoutMs?: number;
  maxCrlBytes?: number;
  fetchCrl?: CrlFetcher;
  clockSkewMs?: number;
}

export type RevocationOutcome =
  | { status: 'good' | 'not-checked' }
  | { status: 'revoked'; subject: string; revokedAt: Date }
  | { status: 'unknown'; subject: string; reason: 'CRL_STALE' | 'CRL_UNAVAILABLE' };

/** CRLs fetched from distribution points, by URL, kept until their nextUpdate. */
const fetchedByUrl = new Map<string, PreparedCrl>();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

function signedBy(crl: PreparedCrl, issuer: ParsedCertificate): boolean {
  if (!sameBytes(crl.issuerDer, issuer.subjectDer)) return false;
  if (crl.verifiedBy.has(issuer.fingerprintSha256)) return true;
  const ok = verifySignedStructure(issuer, crl.algorithmOid, crl.tbs, crl.signature);
  if (ok) crl.verifiedBy.add(issuer.fingerprintSha256);
  return ok;
}

async function fetchFor(cert: ParsedCertificate, issuer: ParsedCertificate, opts: RevocationOptions, now: Date): Promise<PreparedCrl[]> {
  const found: PreparedCrl[] = [];
  for (const url of crlDistributionUrls(cert)) {
    const cached = fetchedByUrl.get(url);
    if (cached && cached.nextUpdate && now <= cached.nextUpdate && signedBy(cached, issuer)) {
      found.push(cached);
      continue;
    }
    try {
      const fetcher = opts.fetchCrl ?? fetchCrlOverHttp;
      const bytes = await fetcher(url, { timeoutMs: opts.fetchTimeoutMs ?? DEFAULT_CRL_FETCH_TIMEOUT_MS, maxBytes: opts.maxCrlBytes ?? DEFAULT_MAX_CRL_BYTES });
      const crl = parseCrl(bytes);
      if (!signedBy(crl, issuer)) continue;
      if (fetchedByUrl.size >= MAX_PARSED) fetchedByUrl.delete(fetchedByUrl.keys().next().value as string);
      fetchedByUrl.set(url, crl);
      found.push(crl);
    } catch {
      // One unreachable distribution point is not fatal while another answers.
    }
  }
  return found;
}

/**
 * Checks every certificate of a verified path (leaf first, anchor last) against its issuer's
 * CRL. A CA with a configured or fetched CRL must have a current one (fail closed); a CA
 * without any is 'not-checked' for that link.
 */
export async function checkRevocation(path: ParsedCertificate[], opts: RevocationOptions, now: Date): Promise<RevocationOutcome> {
  const skew = opts.clockSkewMs ?? 0;
  let checkedAny = false;
  for (let i = 0; i + 1 < path.length; i++) {
    const cert = path[i]!;
    const issuer = path[i + 1]!;
    let crls = opts.crls.filter((c) => signedBy(c, issuer));
    let attemptedFetch = false;
    if (crls.length === 0 && opts.allowNetworkFetch) {
      attemptedFetch = crlDistributionUrls(cert).length > 0;
      crls = await fetchFor(cert, issuer, opts, now);
    }
    if (crls.length === 0) {
      if (attemptedFetch) return { status: 'unknown', subject: cert.subject, reason: 'CRL_UNAVAILABLE' };
      continue;
    }
    checkedAny = true;
    const serial = cert.serialNumber.replace(/^(?:00)+(?=.)/, '');
    for (const crl of crls) {
      const at = crl.revoked.get(serial);
      if (at && at.getTime() <= now.getTime() + skew) return { status: 'revoked', subject: cert.subject, revokedAt: at };
    }
    const current = crls.some((c) => c.thisUpdate.getTime() <= now.getTime() + skew && (c.nextUpdate === null || now.getTime() <= c.nextUpdate.getTime() + skew));
    if (!current) return { status: 'unknown', subject: cert.subject, reason: 'CRL_STALE' };
  }
  return { status: checkedAny ? 'good' : 'not-checked' };
}
