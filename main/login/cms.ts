/**
 * The `cms` token variant: a detached CMS SignedData (RFC 5652) over tbs, built with pkijs
 * around an external signer (the key store), and its strict reader for the verifier.
 * Signed attributes: content-type (id-data), signing-time, message-digest = H(tbs).
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { SignatureAlgorithm } from '../keystores/types.ts';
import { checkDerStructure } from '../pki/der.ts';
import { LoginTokenRejection } from './codes.ts';
import { tbsHash } from './tbs.ts';
import type { ParsedLoginToken } from './token-format.ts';

export const CMS_OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  sha256: '2.16.840.1.101.3.4.2.1',
  sm3: '1.2.156.10197.1.401',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sm2Sign: '1.2.156.10197.1.301.1',
  sm2WithSm3: '1.2.156.10197.1.501',
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
  out[0] = 0x02;
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
  const head = len < 128 ? [0x30, len] : [0x30, 0x81, len];
  const out = new Uint8Array(head.length + len);
  out.set(head, 0);
  out.set(r, head.length);
  out.set(s, head.length + r.length);
  return out;
}

function algId(oid: string, nullParams: boolean): pkijs.AlgorithmIdentifier {
  return new pkijs.AlgorithmIdentifier(nullParams ? { algorithmId: oid, algorithmParams: new asn1js.Null() } : { algorithmId: oid });
}

function parseCert(der: Uint8Array): pkijs.Certificate {
  return pkijs.Certificate.fromBER(new Uint8Array(der));
}

export interface CmsSignerInput {
  algorithm: SignatureAlgorithm;
  certificate: Uint8Array;
  intermediates: Uint8Array[];
  /** Signs the DER signed attributes; returns the key store's format (ES256: P1363). */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** Builds a detached SignedData over `content` (tbs); returns ContentInfo DER. */
export async function buildDetachedCms(content: Uint8Array, signer: CmsSignerInput, signingTime: Date): Promise<Uint8Array> {
  const algs = WRITE_ALGS[signer.algorithm];
  const cert = parseCert(signer.certificate);
  const extra = signer.intermediates.map(parseCert);
  const digest = tbsHash(signer.algorithm, content);
  const signedAttrs = new pkijs.SignedAndUnsignedAttributes({
    type: 0,
    attributes: [
      new pkijs.Attribute({ type: CMS_OID.contentType, values: [new asn1js.ObjectIdentifier({ value: CMS_OID.data })] }),
      // RFC 5652 11.3: UTCTime for 1950-2049.
      new pkijs.Attribute({ type: CMS_OID.signingTime, values: [new asn1js.UTCTime({ valueDate: signingTime })] }),
      new pkijs.Attribute({ type: CMS_OID.messageDigest, values: [new asn1js.OctetString({ valueHex: digest })] }),
    ],
  });
  // The signature covers the attributes re-tagged as SET OF (RFC 5652 5.4).
  const attrsDer = new Uint8Array(signedAttrs.toSchema().toBER(false));
  attrsDer[0] = 0x31;
  let signature = await signer.sign(attrsDer);
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
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: CMS_OID.data }),
    certificates: [cert, ...extra],
    signerInfos: [signerInfo],
  });
  const contentInfo = new pkijs.ContentInfo({ contentType: CMS_OID.signedData, content: signedData.toSchema(true) });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}

function malformed(zh: string, en: string): LoginTokenRejection {
  return new LoginTokenRejection('TOKEN_MALFORMED', zh, en);
}

function readAlgorithm(si: pkijs.SignerInfo): SignatureAlgorithm {
  const d = si.digestAlgorithm.algorithmId;
  const s = si.signatureAlgorithm.algorithmId;
  if (d === CMS_OID.sha256 && (s === CMS_OID.rsaEncryption || s === CMS_OID.sha256WithRSA)) return 'RS256';
  if (d === CMS_OID.sha256 && s === CMS_OID.ecdsaWithSha256) return 'ES256';
  if (d === CMS_OID.sm3 && (s === CMS_OID.sm2Sign || s === CMS_OID.sm2WithSm3)) return 'SM2-SM3';
  throw new LoginTokenRejection('FORMAT_UNSUPPORTED', `CMS 算法 ${d}/${s}`, `CMS algorithms ${d}/${s}`);
}

const MAX_CMS_CERTS = 7;

/** Reads a detached CMS token (DER) into the verifier's token model; checks shape, not trust. */
export function parseCmsToken(der: Uint8Array): ParsedLoginToken {
  let signedData: pkijs.SignedData;
  try {
    // Bounded pre-pass first: asn1js trusts lengths and recurses without limit.
    if (checkDerStructure(der, { code: 'TOKEN_MALFORMED' }) !== der.length) throw new Error('trailing bytes');
    const ci = pkijs.ContentInfo.fromBER(new Uint8Array(der));
    if (ci.contentType !== CMS_OID.signedData) throw new Error('not SignedData');
    signedData = new pkijs.SignedData({ schema: ci.content });
  } catch {
    throw malformed('不是有效的 CMS SignedData', 'not a CMS SignedData');
  }
  if (signedData.signerInfos.length !== 1) throw malformed('CMS 必须恰有一个签名者', 'CMS must have exactly one signer');
  if (signedData.encapContentInfo.eContent) throw malformed('CMS 必须是分离式签名（不含内容）', 'CMS must be detached');
  const si = signedData.signerInfos[0]!;
  const algorithm = readAlgorithm(si);
  const attrs = si.signedAttrs;
  if (!attrs || attrs.encodedValue.byteLength === 0) throw malformed('CMS 缺少签名属性', 'CMS lacks signed attributes');
  const signedAttrs = new Uint8Array(attrs.encodedValue.slice(0));
  signedAttrs[0] = 0x31;
  const one = (oid: string): asn1js.AsnType | undefined => {
    const found = attrs.attributes.filter((a) => a.type === oid);
    if (found.length > 1 || (found[0] && found[0].values.length !== 1)) throw malformed(`CMS 属性 ${oid} 重复`, `CMS attribute ${oid} repeated`);
    return found[0]?.values[0] as asn1js.AsnType | undefined;
  };
  const ct = one(CMS_OID.contentType);
  if (!(ct instanceof asn1js.ObjectIdentifier) || ct.valueBlock.toString() !== CMS_OID.data) throw malformed('CMS 内容类型必须是 id-data', 'CMS content-type must be id-data');
  const md = one(CMS_OID.messageDigest);
  if (!(md instanceof asn1js.OctetString)) throw malformed('CMS 缺少消息摘要', 'CMS lacks message-digest');
  const st = one(CMS_OID.signingTime);
  const signingTime = st instanceof asn1js.UTCTime || st instanceof asn1js.GeneralizedTime ? st.toDate() : null;
  const certs = (signedData.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  if (certs.length === 0 || certs.length > MAX_CMS_CERTS) throw malformed('CMS 证书数量无效', 'CMS certificate count invalid');
  const sid = si.sid;
  if (!(sid instanceof pkijs.IssuerAndSerialNumber)) throw malformed('CMS 签名者标识必须是颁发者和序列号', 'CMS sid must be issuerAndSerialNumber');
  const signerIndex = certs.findIndex((c) => c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber));
  if (signerIndex < 0) throw malformed('CMS 中没有签名者证书', 'signer certificate not in CMS');
  const ders = certs.map((c) => new Uint8Array(c.toSchema().toBER(false)));
  return {
    kind: 'cms',
    algorithm,
    certificate: ders[signerIndex]!,
    intermediates: ders.filter((_, i) => i !== signerIndex),
    signature: new Uint8Array(si.signature.valueBlock.valueHexView),
    appVersion: null,
    originHint: null,
    challengeHint: null,
    cms: { signedAttrs, messageDigest: new Uint8Array(md.valueBlock.valueHexView), signingTime, certificates: ders },
  };
}

