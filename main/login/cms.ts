/**
 * The `cms` token variant: a detached CMS SignedData (RFC 5652) over tbs, built with pkijs
 * around an external signer (the key store), and its strict reader for the verifier.
 * Signed attributes: content-type (id-data), signing-time, message-digest = H(tbs).
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { SignatureAlgorithm } from '../pki/signature-algorithm.ts';
import { parseCertificate } from '../pki/certificate.ts';
import { checkDerStructure } from '../pki/der.ts';
import { OID } from '../pki/oids.ts';
import { LoginTokenRejection } from './codes.ts';
import { tbsHash } from './tbs.ts';
import type { CertificateRef, ParsedLoginToken } from './token-format.ts';
import { TAG } from '../pki/asn1-tags.ts';

/** The identifiers a CMS login token uses, from the OID table. */
export const CMS_OID = {
  data: OID.pkcs7Data,
  signedData: OID.pkcs7SignedData,
  contentType: OID.contentType,
  messageDigest: OID.messageDigest,
  signingTime: OID.signingTime,
  sha256: OID.sha256,
  sm3: OID.sm3,
  rsaEncryption: OID.rsaEncryption,
  sha256WithRSA: OID.sha256WithRSA,
  ecdsaWithSha256: OID.ecdsaWithSha256,
  sm2Sign: OID.sm2Sign,
  sm2WithSm3: OID.sm2WithSm3,
} as const;

/** Algorithm identifiers written for each token algorithm (what OpenSSL itself writes). */
const WRITE_ALGS: Record<SignatureAlgorithm, { digest: string; digestNullParams: boolean; signature: string; signatureNullParams: boolean }> = {
  RS256: { digest: CMS_OID.sha256, digestNullParams: false, signature: CMS_OID.rsaEncryption, signatureNullParams: true },
  ES256: { digest: CMS_OID.sha256, digestNullParams: false, signature: CMS_OID.ecdsaWithSha256, signatureNullParams: false },
  'SM2-SM3': { digest: CMS_OID.sm3, digestNullParams: false, signature: CMS_OID.sm2Sign, signatureNullParams: false },
};

function derInteger(unsigned: Uint8Array): Uint8Array {
  let i = 0;
  while (i < unsigned.length - 1 && unsigned[i] === 0) i++;
  const body = unsigned.subarray(i);
  const pad = (body[0] ?? 0) & 0x80 ? 1 : 0;
  const out = new Uint8Array(2 + pad + body.length);
  out[0] = TAG.integer;
  out[1] = pad + body.length;
  out.set(body, 2 + pad);
  return out;
}

/** IEEE P1363 r||s (as JWS ES256 carries it) -> DER SEQUENCE{r,s} (as CMS and OpenSSL want it). */
export function ecdsaP1363ToDer(sig: Uint8Array): Uint8Array {
  if (sig.length === 0 || sig.length % 2 !== 0 || sig.length > 132) throw new RangeError('bad P1363 signature length');
  const half = sig.length / 2;
  const r = derInteger(sig.subarray(0, half));
  const s = derInteger(sig.subarray(half));
  const len = r.length + s.length;
  const head = len < 128 ? [TAG.sequence, len] : [TAG.sequence, 0x81, len];
  const out = new Uint8Array(head.length + len);
  out.set(head, 0);
  out.set(r, head.length);
  out.set(s, head.length + r.length);
  return out;
}

function algId(oid: string, nullParams: boolean): pkijs.AlgorithmIdentifier {
  return new pkijs.AlgorithmIdentifier(nullParams ? { algorithmId: oid, algorithmParams: new asn1js.Null() } : { algorithmId: oid });
}

/** The certificate core's parser (bounded pre-pass; far faster than pkijs' own fromBER). */
function parseCert(der: Uint8Array): pkijs.Certificate {
  return parseCertificate(der).cert;
}

export type CmsDigest = 'sha1' | 'sha256' | 'sm3';

export interface CmsSignerInput {
  algorithm: SignatureAlgorithm;
  certificate: Uint8Array;
  intermediates: Uint8Array[];
  /** Signs the DER signed attributes with `digest`; returns the key store's format (ES256: P1363). */
  sign(data: Uint8Array, digest: CmsDigest): Promise<Uint8Array>;
}

/** GM/T 0010 content types, written instead of PKCS#7's when a relying party asks for them. */
export const GM_CMS_OID = { data: OID.gmData, signedData: OID.gmSignedData, envelopedData: OID.gmEnvelopedData } as const;

export interface SignedDataOptions {
  /** Carry the content inside (SOF_SignMessage flag 0); default detached. */
  attached?: boolean;
  /** Digest for RSA keys (SGD_SHA1_RSA pages); SM2 always uses SM3. Default SHA-256. */
  digest?: CmsDigest;
  /** GM/T 0010 content-type OIDs instead of PKCS#7's (OpenSSL does not know them). */
  gmContentTypes?: boolean;
  /** false: no `certificates` at all (JIT P7Sign isIncludeCert=false); the verifier brings the signer's certificate. Default true. */
  includeCertificates?: boolean;
}

const DIGEST_OID: Record<CmsDigest, string> = { sha1: OID.sha1, sha256: CMS_OID.sha256, sm3: CMS_OID.sm3 };

function digestBytes(digest: CmsDigest, content: Uint8Array): Uint8Array {
  return digest === 'sm3' ? tbsHash('SM2-SM3', content) : new Uint8Array(createHash(digest).update(content).digest());
}

/** Builds a detached SignedData over `content` (tbs); returns ContentInfo DER. */
export function buildDetachedCms(content: Uint8Array, signer: CmsSignerInput, signingTime: Date): Promise<Uint8Array> {
  return buildSignedData(content, signer, signingTime, {});
}

/** Builds a SignedData (one signer, signed attributes) over `content`; returns ContentInfo DER. */
export async function buildSignedData(content: Uint8Array, signer: CmsSignerInput, signingTime: Date, opts: SignedDataOptions): Promise<Uint8Array> {
  const base = WRITE_ALGS[signer.algorithm];
  const digest: CmsDigest = signer.algorithm === 'SM2-SM3' ? 'sm3' : signer.algorithm === 'RS256' ? (opts.digest ?? 'sha256') : 'sha256';
  const algs = { ...base, digest: DIGEST_OID[digest] };
  const dataOid = opts.gmContentTypes ? GM_CMS_OID.data : CMS_OID.data;
  const cert = parseCert(signer.certificate);
  const extra = signer.intermediates.map(parseCert);
  const signedAttrs = new pkijs.SignedAndUnsignedAttributes({
    type: 0,
    attributes: [
      new pkijs.Attribute({ type: CMS_OID.contentType, values: [new asn1js.ObjectIdentifier({ value: dataOid })] }),
      // RFC 5652 11.3: UTCTime for 1950-2049.
      new pkijs.Attribute({ type: CMS_OID.signingTime, values: [new asn1js.UTCTime({ valueDate: signingTime })] }),
      new pkijs.Attribute({ type: CMS_OID.messageDigest, values: [new asn1js.OctetString({ valueHex: digestBytes(digest, content) })] }),
    ],
  });
  // The signature covers the attributes re-tagged as SET OF (RFC 5652 5.4).
  const attrsDer = new Uint8Array(signedAttrs.toSchema().toBER(false));
  attrsDer[0] = TAG.set;
  let signature = await signer.sign(attrsDer, digest);
  if (signer.algorithm === 'ES256') signature = ecdsaP1363ToDer(signature);
  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
    digestAlgorithm: algId(algs.digest, algs.digestNullParams),
    signedAttrs,
    signatureAlgorithm: algId(algs.signature, algs.signatureNullParams),
    signature: new asn1js.OctetString({ valueHex: signature }),
  });
  const signedData = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [algId(algs.digest, algs.digestNullParams)],
    encapContentInfo: new pkijs.EncapsulatedContentInfo(
      opts.attached ? { eContentType: dataOid, eContent: new asn1js.OctetString({ valueHex: content }) } : { eContentType: dataOid },
    ),
    ...(opts.includeCertificates === false ? {} : { certificates: [cert, ...extra] }),
    signerInfos: [signerInfo],
  });
  const contentInfo = new pkijs.ContentInfo({ contentType: opts.gmContentTypes ? GM_CMS_OID.signedData : CMS_OID.signedData, content: signedData.toSchema(true) });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}

function malformed(zh: string, en: string): LoginTokenRejection {
  return new LoginTokenRejection('TOKEN_MALFORMED', zh, en);
}

/** One DER TLV: tag byte, where it starts, where its body starts and ends. */
interface Tlv {
  tag: number;
  start: number;
  body: number;
  end: number;
}

/** Reads a DER TLV (single-byte tags, definite lengths) inside [at, limit); throws on anything else. */
function readTlv(b: Uint8Array, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new Error('truncated');
  const tag = b[at]!;
  if ((tag & 0x1f) === 0x1f) throw new Error('multi-byte tag');
  let len = b[at + 1]!;
  let body = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || body + n > limit) throw new Error('bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[body + i]!;
    body += n;
  }
  if (body + len > limit) throw new Error('length past end');
  return { tag, start: at, body, end: body + len };
}

function childrenOf(b: Uint8Array, t: Tlv, max = 64): Tlv[] {
  const out: Tlv[] = [];
  for (let at = t.body; at < t.end; ) {
    if (out.length >= max) throw new Error('too many elements');
    const c = readTlv(b, at, t.end);
    out.push(c);
    at = c.end;
  }
  return out;
}

function expect(t: Tlv | undefined, tag: number): Tlv {
  if (!t || t.tag !== tag) throw new Error(`expected tag ${tag}`);
  return t;
}

function oidOf(b: Uint8Array, t: Tlv): string {
  expect(t, TAG.objectIdentifier);
  const parts: number[] = [];
  let v = 0;
  for (let i = t.body; i < t.end; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

function timeOf(b: Uint8Array, t: Tlv): Date | null {
  const s = Buffer.from(b.subarray(t.body, t.end)).toString('latin1');
  const m = t.tag === TAG.utcTime ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : t.tag === TAG.generalizedTime ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : null;
  if (!m) return null;
  let year = Number(m[1]);
  if (t.tag === TAG.utcTime) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

function readAlgorithmPair(digest: string, signature: string): SignatureAlgorithm {
  if (digest === CMS_OID.sha256 && (signature === CMS_OID.rsaEncryption || signature === CMS_OID.sha256WithRSA)) return 'RS256';
  if (digest === CMS_OID.sha256 && signature === CMS_OID.ecdsaWithSha256) return 'ES256';
  if (digest === CMS_OID.sm3 && (signature === CMS_OID.sm2Sign || signature === CMS_OID.sm2WithSm3)) return 'SM2-SM3';
  throw new LoginTokenRejection('FORMAT_UNSUPPORTED', `CMS 算法 ${digest}/${signature}`, `CMS algorithms ${digest}/${signature}`);
}

const MAX_CMS_CERTS = 7;

function refOf(der: Uint8Array): CertificateRef {
  return { b64: Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64'), der };
}

/** Issuer Name and serial INTEGER of a certificate, as raw TLV bytes. */
function issuerAndSerialOf(b: Uint8Array): { issuer: Buffer; serial: Buffer } {
  const top = expect(readTlv(b, 0, b.length), TAG.sequence);
  const tbs = expect(childrenOf(b, top, 3)[0], TAG.sequence);
  const f = childrenOf(b, tbs, 16);
  const i = f[0]?.tag === TAG.context0 ? 1 : 0;
  const serial = expect(f[i], TAG.integer);
  const issuer = expect(f[i + 2], TAG.sequence);
  return { issuer: Buffer.from(b.subarray(issuer.start, issuer.end)), serial: Buffer.from(b.subarray(serial.start, serial.end)) };
}

/**
 * Reads a detached CMS token (DER ContentInfo) into the verifier's token model; checks its
 * shape, not trust. A small DER walk (bounded lengths and counts) rather than pkijs' schema
 * matching, which costs tens of milliseconds per token.
 */
export function parseCmsToken(der: Uint8Array): ParsedLoginToken {
  try {
    return readCms(der);
  } catch (e) {
    if (e instanceof LoginTokenRejection) throw e;
    throw malformed('不是有效的 CMS SignedData', 'not a CMS SignedData');
  }
}

function readCms(b: Uint8Array): ParsedLoginToken {
  if (checkDerStructure(b, { code: 'TOKEN_MALFORMED' }) !== b.length) throw new Error('trailing bytes');
  const ci = expect(readTlv(b, 0, b.length), TAG.sequence);
  const [ctype, explicit] = childrenOf(b, ci, 2);
  if (oidOf(b, expect(ctype, TAG.objectIdentifier)) !== CMS_OID.signedData) throw new Error('not SignedData');
  const sd = expect(childrenOf(b, expect(explicit, TAG.context0), 1)[0], TAG.sequence);
  const parts = childrenOf(b, sd, 6);
  let k = 0;
  expect(parts[k++], TAG.integer); // version
  expect(parts[k++], TAG.set); // digestAlgorithms
  const encap = childrenOf(b, expect(parts[k++], TAG.sequence), 2);
  if (oidOf(b, expect(encap[0], TAG.objectIdentifier)) !== CMS_OID.data) throw malformed('CMS 内容类型必须是 id-data', 'CMS content type must be id-data');
  if (encap.length > 1) throw malformed('CMS 必须是分离式签名（不含内容）', 'CMS must be detached');
  let certs: Tlv[] = [];
  if (parts[k]?.tag === TAG.context0) certs = childrenOf(b, parts[k++]!, MAX_CMS_CERTS + 1);
  if (parts[k]?.tag === TAG.context1) k++; // crls: ignored
  const infos = childrenOf(b, expect(parts[k++], TAG.set), 2);
  if (k !== parts.length) throw new Error('extra SignedData element');
  if (infos.length !== 1) throw malformed('CMS 必须恰有一个签名者', 'CMS must have exactly one signer');
  if (certs.length === 0 || certs.length > MAX_CMS_CERTS || certs.some((c) => c.tag !== TAG.sequence)) throw malformed('CMS 证书数量无效', 'CMS certificate count invalid');

  const si = childrenOf(b, infos[0]!, 7);
  let j = 0;
  expect(si[j++], TAG.integer);
  const sid = si[j++];
  if (!sid || sid.tag !== TAG.sequence) throw malformed('CMS 签名者标识必须是颁发者和序列号', 'CMS sid must be issuerAndSerialNumber');
  const [sidIssuer, sidSerial] = childrenOf(b, sid, 2);
  const wantIssuer = Buffer.from(b.subarray(expect(sidIssuer, TAG.sequence).start, sidIssuer!.end));
  const wantSerial = Buffer.from(b.subarray(expect(sidSerial, TAG.integer).start, sidSerial!.end));
  const digestOid = oidOf(b, expect(childrenOf(b, expect(si[j++], TAG.sequence), 2)[0], TAG.objectIdentifier));
  const attrsTlv = si[j]?.tag === TAG.context0 ? si[j++]! : null;
  const sigOid = oidOf(b, expect(childrenOf(b, expect(si[j++], TAG.sequence), 2)[0], TAG.objectIdentifier));
  const sigTlv = expect(si[j], TAG.octetString);
  const algorithm = readAlgorithmPair(digestOid, sigOid);
  if (!attrsTlv) throw malformed('CMS 缺少签名属性', 'CMS lacks signed attributes');

  const values = new Map<string, Tlv[]>();
  for (const a of childrenOf(b, attrsTlv, 32)) {
    const [type, set] = childrenOf(b, expect(a, TAG.sequence), 2);
    const oid = oidOf(b, expect(type, TAG.objectIdentifier));
    if (values.has(oid)) throw malformed(`CMS 属性 ${oid} 重复`, `CMS attribute ${oid} repeated`);
    values.set(oid, childrenOf(b, expect(set, TAG.set), 2));
  }
  const one = (oid: string): Tlv | undefined => {
    const v = values.get(oid);
    if (v && v.length !== 1) throw malformed(`CMS 属性 ${oid} 须恰有一个值`, `CMS attribute ${oid} must have one value`);
    return v?.[0];
  };
  const ct = one(CMS_OID.contentType);
  if (!ct || ct.tag !== TAG.objectIdentifier || oidOf(b, ct) !== CMS_OID.data) throw malformed('CMS 内容类型必须是 id-data', 'CMS content-type must be id-data');
  const md = one(CMS_OID.messageDigest);
  if (!md || md.tag !== TAG.octetString) throw malformed('CMS 缺少消息摘要', 'CMS lacks message-digest');
  const st = one(CMS_OID.signingTime);

  const ders = certs.map((c) => new Uint8Array(b.subarray(c.start, c.end)));
  const signerIndex = ders.findIndex((d) => {
    try {
      const { issuer, serial } = issuerAndSerialOf(d);
      return issuer.equals(wantIssuer) && serial.equals(wantSerial);
    } catch {
      return false;
    }
  });
  if (signerIndex < 0) throw malformed('CMS 中没有签名者证书', 'signer certificate not in CMS');
  // The signature covers the attributes re-tagged as SET OF (RFC 5652 5.4).
  const signedAttrs = new Uint8Array(b.subarray(attrsTlv.start, attrsTlv.end));
  signedAttrs[0] = TAG.set;
  return {
    kind: 'cms',
    algorithm,
    certificate: refOf(ders[signerIndex]!),
    intermediates: ders.filter((_, i) => i !== signerIndex).map(refOf),
    signature: new Uint8Array(b.subarray(sigTlv.body, sigTlv.end)),
    appVersion: null,
    originHint: null,
    challengeHint: null,
    cms: { signedAttrs, messageDigest: new Uint8Array(b.subarray(md.body, md.end)), signingTime: st ? timeOf(b, st) : null, certificates: ders },
  };
}
