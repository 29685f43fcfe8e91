/**
 * OCSP (RFC 6960) for one link of a verified path: a request with a nonce, POSTed with a hard
 * timeout and size cap; the answer counts only when signed by the issuer itself or by a
 * responder certificate the issuer signed for id-kp-OCSPSigning, names our CertID, echoes our
 * nonce (when the responder uses nonces) and is inside its thisUpdate/nextUpdate window.
 * Answers are cached per (issuer key, serial, responder) until their nextUpdate.
 */
import { createHash, randomBytes as nodeRandomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { parseCertificate, type ParsedCertificate } from '../pki/certificate.ts';
import { verifyCertificateSignature } from '../pki/chain.ts';
import { REVOCATION_OID } from '../pki/oids.ts';
import { memoized } from '../memo.ts';
import { fetchBounded } from './bounded-fetch.ts';
import { serialKey } from './crl.ts';
import { verifySignedStructure } from './signature.ts';

export const DEFAULT_OCSP_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_OCSP_RESPONSE_BYTES = 64 * 1024;
/** Without nextUpdate (and without our nonce echoed) an answer is fresh for this long after thisUpdate. */
export const DEFAULT_OCSP_MAX_AGE_MS = 60 * 60 * 1000;
const NONCE_BYTES = 16;

export type OcspFetcher = (url: string, request: Uint8Array, limits: { timeoutMs: number; maxBytes: number }) => Promise<Uint8Array>;

export interface OcspOptions {
  /** The operator's responder URL, used instead of the certificates' authorityInfoAccess. */
  responderUrl?: string;
  timeoutMs?: number;
  maxResponseBytes?: number;
  /** Replaces the HTTP POST (tests, proxies). */
  fetch?: OcspFetcher;
  /** Refuse answers that do not echo our nonce (many CA responders pre-sign and omit it). */
  requireNonce?: boolean;
  maxAgeMs?: number;
  randomBytes?: (n: number) => Uint8Array;
}

/** Why an OCSP answer could not be used: each a stable reason code. */
export type OcspFailure =
  | 'OCSP_NO_RESPONDER'
  | 'OCSP_UNAVAILABLE'
  | 'OCSP_MALFORMED'
  | 'OCSP_ERROR_STATUS'
  | 'OCSP_BAD_RESPONDER'
  | 'OCSP_BAD_SIGNATURE'
  | 'OCSP_NONCE_MISMATCH'
  | 'OCSP_NO_ANSWER'
  | 'OCSP_STALE'
  | 'OCSP_UNKNOWN_CERT';

export type OcspOutcome =
  | { status: 'good'; thisUpdate: Date; nextUpdate: Date | null; url: string }
  | { status: 'revoked'; revokedAt: Date; reason: number | null; url: string }
  | { status: 'failed'; reason: OcspFailure; url: string | null; detail?: string };

/** HTTP(S) OCSP responder URLs from the certificate's authorityInfoAccess (memoised). */
export const ocspResponderUrls: (cert: ParsedCertificate) => string[] = memoized(readOcspUrls, new WeakMap());

function readOcspUrls(cert: ParsedCertificate): string[] {
  const ext = cert.cert.extensions?.find((e) => e.extnID === REVOCATION_OID.authorityInfoAccess);
  if (!ext) return [];
  try {
    const aia = new pkijs.InfoAccess({ schema: asn1js.fromBER(ext.extnValue.valueBlock.valueHexView).result });
    return aia.accessDescriptions
      .filter((d) => d.accessMethod === REVOCATION_OID.adOcsp && d.accessLocation.type === 6 && typeof d.accessLocation.value === 'string' && /^https?:\/\//i.test(d.accessLocation.value))
      .map((d) => String(d.accessLocation.value));
  } catch {
    return [];
  }
}

/** POSTs one request (application/ocsp-request) with a hard timeout and a size cap. */
export const postOcspRequest: OcspFetcher = (url, request, limits) =>
  fetchBounded(url, {
    method: 'POST',
    headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' },
    body: toArrayBuffer(request),
    redirect: 'error',
  }, limits, 'OCSP response');

function sha1(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(b).digest());
}

function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** The CertID (SHA-1, what every responder understands) naming `cert` under `issuer`. */
interface CertIdParts {
  nameHash: string;
  keyHash: string;
  serial: string;
}

function certIdOf(cert: ParsedCertificate, issuer: ParsedCertificate): CertIdParts {
  return { nameHash: hexOf(sha1(issuer.subjectDer)), keyHash: hexOf(sha1(issuer.publicKey.keyBytes)), serial: serialKey(cert.serialNumber) };
}

/** DER of an OCSPRequest for one certificate, with a nonce extension when `nonce` is given. */
export function buildOcspRequest(cert: ParsedCertificate, issuer: ParsedCertificate, nonce: Uint8Array | null): Uint8Array {
  const id = certIdOf(cert, issuer);
  const serialHex = cert.serialNumber.length % 2 ? '0' + cert.serialNumber : cert.serialNumber;
  const reqCert = new pkijs.CertID({
    hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: REVOCATION_OID.sha1, algorithmParams: new asn1js.Null() }),
    issuerNameHash: new asn1js.OctetString({ valueHex: toArrayBuffer(Buffer.from(id.nameHash, 'hex')) }),
    issuerKeyHash: new asn1js.OctetString({ valueHex: toArrayBuffer(Buffer.from(id.keyHash, 'hex')) }),
    serialNumber: new asn1js.Integer({ valueHex: toArrayBuffer(Buffer.from(serialHex, 'hex')) }),
  });
  const request = new pkijs.OCSPRequest();
  request.tbsRequest.requestList = [new pkijs.Request({ reqCert })];
  if (nonce) {
    request.tbsRequest.requestExtensions = [
      new pkijs.Extension({ extnID: REVOCATION_OID.ocspNonce, extnValue: new asn1js.OctetString({ valueHex: toArrayBuffer(nonce) }).toBER(false) }),
    ];
  }
  return new Uint8Array(request.toSchema(true).toBER(false));
}

class OcspRefusal extends Error {
  constructor(readonly reason: OcspFailure, detail?: string) {
    super(detail ?? reason);
  }
}

function certIdMatches(id: pkijs.CertID, want: CertIdParts): boolean {
  return (
    id.hashAlgorithm.algorithmId === REVOCATION_OID.sha1 &&
    hexOf(id.issuerNameHash.valueBlock.valueHexView) === want.nameHash &&
    hexOf(id.issuerKeyHash.valueBlock.valueHexView) === want.keyHash &&
    serialKey(hexOf(id.serialNumber.valueBlock.valueHexView)) === want.serial
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

/** Whether a ResponderID (byName or byKey) names this certificate. */
function responderIdNames(responderId: unknown, c: ParsedCertificate): boolean {
  if (responderId instanceof pkijs.RelativeDistinguishedNames) return sameBytes(new Uint8Array(responderId.toSchema().toBER(false)), c.subjectDer);
  if (responderId instanceof asn1js.OctetString) return hexOf(responderId.valueBlock.valueHexView) === hexOf(sha1(c.publicKey.keyBytes));
  return false;
}

/** The certificate whose key must have signed the answer: the issuer, or a delegated responder it authorised. */
function responderFor(basic: pkijs.BasicOCSPResponse, issuer: ParsedCertificate, now: Date, skewMs: number): ParsedCertificate {
  const id = basic.tbsResponseData.responderID;
  if (responderIdNames(id, issuer)) return issuer;
  for (const raw of basic.certs ?? []) {
    let c: ParsedCertificate;
    try {
      c = parseCertificate(new Uint8Array(raw.toSchema().toBER(false)));
    } catch {
      continue;
    }
    if (!responderIdNames(id, c)) continue;
    if (!sameBytes(c.issuerDer, issuer.subjectDer) || !verifyCertificateSignature(c, issuer)) {
      throw new OcspRefusal('OCSP_BAD_RESPONDER', `responder "${c.subject}" is not certified by "${issuer.subject}"`);
    }
    if (!c.extendedKeyUsage?.includes(REVOCATION_OID.kpOcspSigning)) {
      throw new OcspRefusal('OCSP_BAD_RESPONDER', `responder "${c.subject}" lacks id-kp-OCSPSigning`);
    }
    if (now.getTime() + skewMs < c.notBefore.getTime() || now.getTime() - skewMs > c.notAfter.getTime()) {
      throw new OcspRefusal('OCSP_BAD_RESPONDER', `responder "${c.subject}" is outside its validity period`);
    }
    return c;
  }
  throw new OcspRefusal('OCSP_BAD_RESPONDER', 'the answer is signed neither by the issuer nor by a responder it certified');
}

function nonceOf(extensions: pkijs.Extension[] | undefined): Uint8Array | null {
  const ext = extensions?.find((e) => e.extnID === REVOCATION_OID.ocspNonce);
  if (!ext) return null;
  const inner = asn1js.fromBER(ext.extnValue.valueBlock.valueHexView);
  // RFC 8954: an OCTET STRING inside extnValue; some responders put the raw bytes there instead.
  return inner.offset !== -1 && inner.result instanceof asn1js.OctetString ? inner.result.valueBlock.valueHexView : ext.extnValue.valueBlock.valueHexView;
}

interface Decoded {
  outcome: Extract<OcspOutcome, { status: 'good' | 'revoked' }> | { status: 'unknown' };
  thisUpdate: Date;
  nextUpdate: Date | null;
  nonced: boolean;
}

/** Checks one DER OCSPResponse for (cert, issuer); throws OcspRefusal with the reason. */
function decodeResponse(der: Uint8Array, cert: ParsedCertificate, issuer: ParsedCertificate, nonce: Uint8Array | null, url: string, opts: OcspOptions, now: Date, skewMs: number): Decoded {
  let basic: pkijs.BasicOCSPResponse;
  try {
    const asn = asn1js.fromBER(der);
    if (asn.offset === -1 || asn.offset !== der.length) throw new Error('bad DER');
    const res = new pkijs.OCSPResponse({ schema: asn.result });
    const status = res.responseStatus.valueBlock.valueDec;
    if (status !== 0) throw new OcspRefusal('OCSP_ERROR_STATUS', `responseStatus ${status}`);
    if (!res.responseBytes || res.responseBytes.responseType !== REVOCATION_OID.ocspBasic) throw new Error('not a basic OCSP response');
    basic = new pkijs.BasicOCSPResponse({ schema: asn1js.fromBER(res.responseBytes.response.valueBlock.valueHexView).result });
  } catch (e) {
    if (e instanceof OcspRefusal) throw e;
    throw new OcspRefusal('OCSP_MALFORMED', e instanceof Error ? e.message : String(e));
  }
  const signer = responderFor(basic, issuer, now, skewMs);
  if (!verifySignedStructure(signer, basic.signatureAlgorithm.algorithmId, basic.tbsResponseData.tbsView, basic.signature.valueBlock.valueHexView)) {
    throw new OcspRefusal('OCSP_BAD_SIGNATURE');
  }
  const echoed = nonceOf(basic.tbsResponseData.responseExtensions);
  if (echoed && (!nonce || !sameBytes(echoed, nonce))) throw new OcspRefusal('OCSP_NONCE_MISMATCH', 'the answer carries another nonce than ours');
  if (!echoed && opts.requireNonce) throw new OcspRefusal('OCSP_NONCE_MISMATCH', 'the responder did not echo our nonce');
  const want = certIdOf(cert, issuer);
  const single = basic.tbsResponseData.responses.find((r) => certIdMatches(r.certID, want));
  if (!single) throw new OcspRefusal('OCSP_NO_ANSWER', 'the answer does not name this certificate');
  const thisUpdate = single.thisUpdate;
  const nextUpdate = single.nextUpdate ?? null;
  const t = now.getTime();
  if (thisUpdate.getTime() > t + skewMs) throw new OcspRefusal('OCSP_STALE', 'thisUpdate is in the future');
  if (nextUpdate !== null && t > nextUpdate.getTime() + skewMs) throw new OcspRefusal('OCSP_STALE', 'past nextUpdate');
  if (nextUpdate === null && !echoed && t - thisUpdate.getTime() > (opts.maxAgeMs ?? DEFAULT_OCSP_MAX_AGE_MS) + skewMs) {
    throw new OcspRefusal('OCSP_STALE', 'no nextUpdate, no nonce and older than the allowed age');
  }
  const status = single.certStatus as asn1js.BaseBlock;
  const tag = status.idBlock.tagNumber;
  let outcome: Decoded['outcome'];
  if (tag === 0) outcome = { status: 'good', thisUpdate, nextUpdate, url };
  else if (tag === 1) outcome = revokedInfo(status, url);
  else outcome = { status: 'unknown' };
  return { outcome, thisUpdate, nextUpdate, nonced: echoed !== null };
}

function revokedInfo(status: asn1js.BaseBlock, url: string): Extract<OcspOutcome, { status: 'revoked' }> {
  // RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
  // (pkijs keeps it as an implicitly tagged constructed block.)
  const parts = (status as unknown as { valueBlock: { value: asn1js.BaseBlock[] } }).valueBlock.value ?? [];
  let revokedAt: Date | null = null;
  let reason: number | null = null;
  for (const p of parts) {
    if (p instanceof asn1js.GeneralizedTime) revokedAt = p.toDate();
    else if (p.idBlock.tagClass === 3 && p.idBlock.tagNumber === 0) {
      const inner = (p as unknown as { valueBlock: { value: asn1js.BaseBlock[] } }).valueBlock.value?.[0];
      if (inner instanceof asn1js.Enumerated) reason = inner.valueBlock.valueDec;
    } else if (p.idBlock.tagClass === 1 && p.idBlock.tagNumber === 24) {
      // Raw GeneralizedTime bytes left undecoded by the implicit schema.
      const text = Buffer.from((p as unknown as { valueBlock: { valueHexView: Uint8Array } }).valueBlock.valueHexView).toString('latin1');
      const m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)/.exec(text);
      if (m) revokedAt = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
    }
  }
  if (!revokedAt) throw new OcspRefusal('OCSP_MALFORMED', 'revoked status without a time');
  return { status: 'revoked', revokedAt, reason, url };
}

interface CacheEntry {
  until: number;
  outcome: Extract<OcspOutcome, { status: 'good' | 'revoked' }>;
}
const cache = new Map<string, CacheEntry>();
const MAX_CACHED = 1000;

/** Forgets cached OCSP answers (tests; an operator reloading its configuration). */
export function clearOcspCache(): void {
  cache.clear();
}

/**
 * Asks the responder(s) about `cert` (issued by `issuer`, already proven by the path). Never
 * throws: a failed attempt is an outcome with its reason.
 */
export async function checkOcsp(cert: ParsedCertificate, issuer: ParsedCertificate, opts: OcspOptions, now: Date, skewMs: number): Promise<OcspOutcome> {
  const urls = opts.responderUrl ? [opts.responderUrl] : ocspResponderUrls(cert);
  if (urls.length === 0) return { status: 'failed', reason: 'OCSP_NO_RESPONDER', url: null };
  const id = certIdOf(cert, issuer);
  let last: OcspOutcome = { status: 'failed', reason: 'OCSP_UNAVAILABLE', url: urls[0]! };
  for (const url of urls) {
    const key = `${id.keyHash}:${id.serial}:${url}`;
    const hit = cache.get(key);
    if (hit && now.getTime() <= hit.until) return hit.outcome;
    const random = opts.randomBytes ?? ((n: number) => new Uint8Array(nodeRandomBytes(n)));
    const nonce = random(NONCE_BYTES);
    let der: Uint8Array;
    try {
      der = await (opts.fetch ?? postOcspRequest)(url, buildOcspRequest(cert, issuer, nonce), {
        timeoutMs: opts.timeoutMs ?? DEFAULT_OCSP_TIMEOUT_MS,
        maxBytes: opts.maxResponseBytes ?? DEFAULT_MAX_OCSP_RESPONSE_BYTES,
      });
    } catch (e) {
      last = { status: 'failed', reason: 'OCSP_UNAVAILABLE', url, detail: e instanceof Error ? e.message : String(e) };
      continue;
    }
    try {
      const d = decodeResponse(der, cert, issuer, nonce, url, opts, now, skewMs);
      if (d.outcome.status === 'unknown') {
        last = { status: 'failed', reason: 'OCSP_UNKNOWN_CERT', url, detail: 'the responder does not know this certificate' };
        continue;
      }
      // Cached until nextUpdate; an answer without one is used for this request only.
      if (d.nextUpdate !== null) {
        if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
        cache.set(key, { until: d.nextUpdate.getTime(), outcome: d.outcome });
      }
      return d.outcome;
    } catch (e) {
      last = e instanceof OcspRefusal ? { status: 'failed', reason: e.reason, url, detail: e.message } : { status: 'failed', reason: 'OCSP_MALFORMED', url };
    }
  }
  return last;
}
