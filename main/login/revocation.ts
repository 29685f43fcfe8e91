/**
 * Revocation status of every link of a verified path (leaf first, anchor last), each link on
 * its own: CRLs the operator gives (DER or PEM), then OCSP, then CRLs fetched from the
 * certificate's distribution points (network sources only when allowed; timeouts and size caps).
 * A CRL counts only after its signature verifies against the issuer found in the chain and only
 * inside its scope (issuingDistributionPoint, deltas). A link no source speaks for is
 * 'not-checked'; a link whose source exists but cannot answer is 'unknown' (fail closed).
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { ParsedCertificate } from '../pki/certificate.ts';
import { REVOCATION_OID } from '../pki/oids.ts';
import { memoized } from '../memo.ts';
import { fetchBounded } from './bounded-fetch.ts';
import { crlSignedBy, crlVerdict, parseCrl, type PreparedCrl } from './crl.ts';
import { checkOcsp, type OcspFailure, type OcspOptions } from './ocsp.ts';

export { parseCrl, type PreparedCrl } from './crl.ts';

export const DEFAULT_CRL_FETCH_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_CRL_BYTES = 10 * 1024 * 1024;

/** HTTP(S) URLs from the certificate's CRL distribution points extension (memoised per certificate). */
export const crlDistributionUrls: (cert: ParsedCertificate) => string[] = memoized(readDistributionUrls, new WeakMap());

function readDistributionUrls(cert: ParsedCertificate): string[] {
  const ext = cert.cert.extensions?.find((e) => e.extnID === REVOCATION_OID.crlDistributionPoints);
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
export const fetchCrlOverHttp: CrlFetcher = (url, limits) => fetchBounded(url, { redirect: 'follow' }, limits, 'CRL');

export interface RevocationOptions {
  crls: PreparedCrl[];
  /** Fetch CRLs from distribution points (and ask OCSP responders unless `ocsp` is false). */
  allowNetworkFetch?: boolean;
  /** OCSP settings; `false` turns OCSP off. Given options turn it on even without allowNetworkFetch. */
  ocsp?: OcspOptions | false;
  fetchTimeoutMs?: number;
  maxCrlBytes?: number;
  fetchCrl?: CrlFetcher;
  clockSkewMs?: number;
}

/** Why a link's status is not known. */
export type RevocationReason = 'NO_SOURCE' | 'CRL_STALE' | 'CRL_UNAVAILABLE' | 'CRL_UNSUPPORTED' | OcspFailure;

export interface LinkRevocation {
  /** 0 = the leaf. */
  depth: number;
  subject: string;
  serialNumber: string;
  status: 'good' | 'revoked' | 'unknown' | 'not-checked';
  source?: 'crl' | 'ocsp';
  reason?: RevocationReason;
  revokedAt?: Date;
  /** The CRLReason code of a revocation, when the source gives one. */
  revocationReason?: number | null;
}

export interface RevocationReport {
  /** revoked > unknown > not-checked (some link has no source) > good (every link checked). */
  status: 'good' | 'revoked' | 'unknown' | 'not-checked';
  links: LinkRevocation[];
}

/** CRLs fetched from distribution points, by URL, kept until their nextUpdate. */
const fetchedByUrl = new Map<string, PreparedCrl>();
const MAX_FETCHED = 64;

async function fetchCrls(cert: ParsedCertificate, issuer: ParsedCertificate, opts: RevocationOptions, now: Date): Promise<{ crls: PreparedCrl[]; unsupported: boolean }> {
  const crls: PreparedCrl[] = [];
  let unsupported = false;
  for (const url of crlDistributionUrls(cert)) {
    const cached = fetchedByUrl.get(url);
    if (cached && cached.nextUpdate && now <= cached.nextUpdate && crlSignedBy(cached, issuer)) {
      crls.push(cached);
      continue;
    }
    try {
      const fetcher = opts.fetchCrl ?? fetchCrlOverHttp;
      const bytes = await fetcher(url, { timeoutMs: opts.fetchTimeoutMs ?? DEFAULT_CRL_FETCH_TIMEOUT_MS, maxBytes: opts.maxCrlBytes ?? DEFAULT_MAX_CRL_BYTES });
      const crl = parseCrl(bytes);
      if (!crlSignedBy(crl, issuer)) continue;
      if (fetchedByUrl.size >= MAX_FETCHED) fetchedByUrl.delete(fetchedByUrl.keys().next().value as string);
      fetchedByUrl.set(url, crl);
      crls.push(crl);
    } catch (e) {
      // One unreachable distribution point is not fatal while another answers.
      if ((e as { code?: string }).code === 'CRL_UNSUPPORTED') unsupported = true;
    }
  }
  return { crls, unsupported };
}

function ocspSettings(opts: RevocationOptions): OcspOptions | null {
  if (opts.ocsp === false) return null;
  if (opts.ocsp) return opts.ocsp;
  return opts.allowNetworkFetch ? {} : null;
}

async function checkLink(depth: number, cert: ParsedCertificate, issuer: ParsedCertificate, opts: RevocationOptions, now: Date): Promise<LinkRevocation> {
  const skew = opts.clockSkewMs ?? 0;
  const base = { depth, subject: cert.subject, serialNumber: cert.serialNumber };
  const urls = crlDistributionUrls(cert);
  let unknown: RevocationReason | null = null;
  let uncovered: RevocationReason = 'NO_SOURCE';

  // 1. CRLs the operator configured.
  const given = opts.crls.filter((c) => crlSignedBy(c, issuer));
  if (given.length > 0) {
    const v = crlVerdict(cert, given, urls, now, skew);
    if (v.status === 'revoked') return { ...base, status: 'revoked', source: 'crl', revokedAt: v.revokedAt, revocationReason: v.reason };
    if (v.status === 'good') return { ...base, status: 'good', source: 'crl' };
    if (v.status === 'stale') unknown = 'CRL_STALE';
  }

  // 2. OCSP.
  const ocsp = ocspSettings(opts);
  if (ocsp) {
    const o = await checkOcsp(cert, issuer, ocsp, now, skew);
    if (o.status === 'revoked') return { ...base, status: 'revoked', source: 'ocsp', revokedAt: o.revokedAt, revocationReason: o.reason };
    if (o.status === 'good') return { ...base, status: 'good', source: 'ocsp' };
    // The operator's responder answering "unknown" serves other CAs, not this link; the
    // certificate's own responder must know it (fail closed).
    if (o.reason === 'OCSP_UNKNOWN_CERT' && ocsp.responderUrl) uncovered = 'OCSP_UNKNOWN_CERT';
    else if (o.reason !== 'OCSP_NO_RESPONDER') unknown ??= o.reason;
  }

  // 3. CRLs from the distribution points.
  if (opts.allowNetworkFetch && urls.length > 0) {
    const { crls, unsupported } = await fetchCrls(cert, issuer, opts, now);
    const v = crls.length > 0 ? crlVerdict(cert, crls, urls, now, skew) : null;
    if (v?.status === 'revoked') return { ...base, status: 'revoked', source: 'crl', revokedAt: v.revokedAt, revocationReason: v.reason };
    if (v?.status === 'good') return { ...base, status: 'good', source: 'crl' };
    unknown ??= v?.status === 'stale' ? 'CRL_STALE' : unsupported ? 'CRL_UNSUPPORTED' : 'CRL_UNAVAILABLE';
  }

  return unknown ? { ...base, status: 'unknown', reason: unknown } : { ...base, status: 'not-checked', reason: uncovered };
}

/** Checks every link (certificate → its issuer) of a verified path. Never throws for network trouble. */
export async function checkRevocation(path: ParsedCertificate[], opts: RevocationOptions, now: Date): Promise<RevocationReport> {
  const links: LinkRevocation[] = [];
  for (let i = 0; i + 1 < path.length; i++) {
    const link = await checkLink(i, path[i]!, path[i + 1]!, opts, now);
    links.push(link);
    // A revoked CA (or leaf) decides the path; asking about the rest is wasted I/O.
    if (link.status === 'revoked') break;
  }
  const status = links.some((l) => l.status === 'revoked')
    ? 'revoked'
    : links.some((l) => l.status === 'unknown')
      ? 'unknown'
      : links.every((l) => l.status === 'good') && links.length > 0
        ? 'good'
        : 'not-checked';
  return { status, links };
}

/** zh-CN / English words for why a link's status is unknown (for messages). */
export const REVOCATION_REASON_TEXT: Record<RevocationReason, { zh: string; en: string }> = {
  NO_SOURCE: { zh: '未配置吊销列表或 OCSP，未检查', en: 'no CRL or OCSP source; not checked' },
  CRL_STALE: { zh: '吊销列表已过期', en: 'the CRL is out of date' },
  CRL_UNAVAILABLE: { zh: '无法获取吊销列表', en: 'the CRL could not be fetched' },
  CRL_UNSUPPORTED: { zh: '吊销列表含无法识别的关键扩展', en: 'the CRL carries an unrecognised critical extension' },
  OCSP_NO_RESPONDER: { zh: '证书未提供 OCSP 地址', en: 'no OCSP responder for this certificate' },
  OCSP_UNAVAILABLE: { zh: 'OCSP 服务无法访问', en: 'the OCSP responder could not be reached' },
  OCSP_MALFORMED: { zh: 'OCSP 应答无法解析', en: 'the OCSP answer cannot be parsed' },
  OCSP_ERROR_STATUS: { zh: 'OCSP 服务返回错误', en: 'the OCSP responder returned an error' },
  OCSP_BAD_RESPONDER: { zh: 'OCSP 应答不是由签发者或其授权的 OCSP 服务签名', en: 'the OCSP answer is not signed by the issuer or a responder it authorised' },
  OCSP_BAD_SIGNATURE: { zh: 'OCSP 应答签名验证失败', en: 'the OCSP answer signature does not verify' },
  OCSP_NONCE_MISMATCH: { zh: 'OCSP 应答的随机数与请求不符（疑似重放）', en: 'the OCSP answer does not carry our nonce (replay?)' },
  OCSP_NO_ANSWER: { zh: 'OCSP 应答未包含该证书', en: 'the OCSP answer does not name this certificate' },
  OCSP_STALE: { zh: 'OCSP 应答已过期或时间无效', en: 'the OCSP answer is out of date' },
  OCSP_UNKNOWN_CERT: { zh: 'OCSP 服务不认识该证书', en: 'the OCSP responder does not know this certificate' },
};
