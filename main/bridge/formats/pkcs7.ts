/**
 * PKCS#7 / CMS SignedData as the CA assistants exchange it (docs/compat.md「数据格式」):
 * SOF_SignMessage (flag 0 attached, 1 detached), SOF_VerifySignedMessage,
 * SOF_GetInfoFromSignedMessage, HEBCA P7SignB64/P7VerifyB64. One signer, signed attributes
 * (content-type, signing-time, message-digest); RSA with SHA-1 or SHA-256, SM2 with SM3
 * (GM/T 0010 algorithm OIDs; PKCS#7 content types unless GM/T 0010's are asked for).
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { AssistantError } from '../../errors.ts';
import { buildSignedData, CMS_OID, GM_CMS_OID, type CmsDigest } from '../../login/cms.ts';
import { parseCertificate, type ParsedCertificate } from '../../pki/certificate.ts';
import { checkDerStructure } from '../../pki/der.ts';
import { bytesToHex, sm2Verify, sm3 } from '../../pki/sm2.ts';
import { decodeBase64, DIGEST_OIDS, messageBytes, rsaSignedDigest, type SofHash, type SofKeyKind } from './signing.ts';
import { TAG } from '../../pki/asn1-tags.ts';

/** SOF_SignMessage's flag: 0 carries the content (attached), 1 leaves it out (detached). */
export const SOF_MESSAGE_ATTACHED = 0;
export const SOF_MESSAGE_DETACHED = 1;

/** Largest signed message a page may hand us to read. */
export const MAX_SIGNED_MESSAGE_BYTES = 8 * 1024 * 1024;

export interface MessageSignerWithCertificate {
  keyKind: SofKeyKind;
  certificate: Uint8Array;
  /** CA certificates put in the message as given; the bridge's own outputs carry the locally validated path (login/sent-chain.ts via the signing path). */
  intermediates?: Uint8Array[];
  /** Signs the DER signed attributes (the whole message handed in) with `hash`. */
  sign(message: Uint8Array, hash: SofHash): Promise<Uint8Array>;
}

function bad(code: string, zh: string, en: string): AssistantError {
  return new AssistantError(code, zh, { en });
}

/**
 * SOF_SignMessage(flag, certID, data) / HEBCA P7SignB64: base64 of a DER ContentInfo(SignedData).
 * `hash` is the page's sign method (SGD_SHA1_RSA → sha1, SGD_SHA256_RSA → sha256, SM2 → sm3).
 */
export async function sofSignMessage(signer: MessageSignerWithCertificate, flag: number, data: string | Uint8Array, hash: SofHash, opts: { now?: Date; gmContentTypes?: boolean } = {}): Promise<string> {
  if (flag !== SOF_MESSAGE_ATTACHED && flag !== SOF_MESSAGE_DETACHED) throw bad('SOF_MESSAGE_FLAG', '签名消息标志须为 0（含原文）或 1（不含原文）', 'flag must be 0 (attached) or 1 (detached)');
  if ((signer.keyKind === 'SM2') !== (hash === 'sm3')) throw bad('SOF_SIGN_METHOD', '签名算法与证书密钥不符', 'sign method does not fit the key');
  const der = await buildSignedData(
    messageBytes(data),
    {
      algorithm: signer.keyKind === 'SM2' ? 'SM2-SM3' : 'RS256',
      certificate: signer.certificate,
      intermediates: signer.intermediates ?? [],
      sign: (attrs: Uint8Array, digest: CmsDigest) => signer.sign(attrs, digest),
    },
    opts.now ?? new Date(),
    { attached: flag === SOF_MESSAGE_ATTACHED, digest: hash, ...(opts.gmContentTypes ? { gmContentTypes: true } : {}) },
  );
  return Buffer.from(der).toString('base64');
}

export interface ReadSignedMessage {
  signer: ParsedCertificate;
  /** Certificates the message carries, signer first. */
  certificates: ParsedCertificate[];
  /** The content when attached, else null. */
  content: Uint8Array | null;
  signature: Uint8Array;
  digestOid: string;
  signedAttrs: Uint8Array | null;
  messageDigest: Uint8Array | null;
  signingTime: Date | null;
}

const SIGNED_DATA_TYPES = new Set<string>([CMS_OID.signedData, GM_CMS_OID.signedData]);

/** Reads a base64 (or DER) SignedData with one signer; throws SOF_MESSAGE_INVALID when it is not one. */
export function readSignedMessage(input: string | Uint8Array): ReadSignedMessage {
  const der = typeof input === 'string' ? decodeBase64(input, MAX_SIGNED_MESSAGE_BYTES) : input;
  if (!der || der.length === 0 || der.length > MAX_SIGNED_MESSAGE_BYTES) throw bad('SOF_MESSAGE_INVALID', '签名消息不是 Base64 编码或过大', 'signed message is not base64 or too large');
  try {
    const end = checkDerStructure(der, { code: 'SOF_MESSAGE_INVALID', allowIndefinite: true });
    const asn = asn1js.fromBER(der.subarray(0, end));
    if (asn.offset === -1) throw new Error('ber');
    const ci = new pkijs.ContentInfo({ schema: asn.result });
    if (!SIGNED_DATA_TYPES.has(ci.contentType)) throw new Error('not signed data');
    const sd = new pkijs.SignedData({ schema: ci.content });
    if (sd.signerInfos.length !== 1) throw new Error('signer count');
    const si = sd.signerInfos[0]!;
    const certs = (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate).map((c) => parseCertificate(new Uint8Array(c.toSchema().toBER(false))));
    if (!(si.sid instanceof pkijs.IssuerAndSerialNumber)) throw new Error('sid');
    const sid = si.sid;
    const wantSerial = Buffer.from(sid.serialNumber.valueBlock.valueHexView).toString('hex').replace(/^(00)+(?=.)/, '');
    const wantIssuer = Buffer.from(sid.issuer.toSchema().toBER(false));
    const signer = certs.find((c) => c.serialNumber.replace(/^(00)+(?=.)/, '') === wantSerial && Buffer.from(c.issuerDer).equals(wantIssuer));
    if (!signer) throw new Error('signer certificate missing');
    const eContent = sd.encapContentInfo.eContent;
    let signedAttrs: Uint8Array | null = null;
    let messageDigest: Uint8Array | null = null;
    let signingTime: Date | null = null;
    if (si.signedAttrs) {
      signedAttrs = new Uint8Array(si.signedAttrs.encodedValue.slice(0));
      signedAttrs[0] = TAG.set;
      for (const a of si.signedAttrs.attributes) {
        const v = a.values[0];
        if (a.type === CMS_OID.messageDigest && v instanceof asn1js.OctetString) messageDigest = new Uint8Array(v.valueBlock.valueHexView);
        if (a.type === CMS_OID.signingTime && (v instanceof asn1js.UTCTime || v instanceof asn1js.GeneralizedTime)) signingTime = v.toDate();
      }
    }
    return {
      signer,
      certificates: [signer, ...certs.filter((c) => c !== signer)],
      content: eContent ? new Uint8Array(eContent.getValue()) : null,
      signature: new Uint8Array(si.signature.valueBlock.valueHexView),
      digestOid: si.digestAlgorithm.algorithmId,
      signedAttrs,
      messageDigest,
      signingTime,
    };
  } catch (e) {
    if (e instanceof AssistantError && e.code === 'SOF_MESSAGE_INVALID') throw e;
    throw new AssistantError('SOF_MESSAGE_INVALID', '不是有效的 PKCS#7 签名消息', { en: 'not a PKCS#7 signed message', cause: e });
  }
}

function digest(hash: string, data: Uint8Array): Buffer {
  return hash === 'sm3' ? Buffer.from(sm3(data)) : createHash(hash).update(data).digest();
}

/** Checks the one signature of a read message over `content` (the attached one, or the page's for detached). Never throws. */
export function signedMessageValid(msg: ReadSignedMessage, content: Uint8Array): boolean {
  const hash = DIGEST_OIDS[msg.digestOid];
  if (!hash) return false;
  const pk = msg.signer.publicKey;
  try {
    const signedBytes = msg.signedAttrs ?? content;
    if (msg.signedAttrs && (!msg.messageDigest || !digest(hash, content).equals(Buffer.from(msg.messageDigest)))) return false;
    if (pk.kind === 'SM2') return hash === 'sm3' && sm2Verify(bytesToHex(pk.keyBytes), signedBytes, msg.signature);
    const inner = rsaSignedDigest(pk, msg.signature);
    return !!inner && inner.hash === hash && digest(hash, signedBytes).equals(Buffer.from(inner.digest));
  } catch {
    return false;
  }
}

/**
 * SOF_VerifySignedMessage(p7, data) / HEBCA P7VerifyB64: true when the message's signature is
 * valid over its attached content, or over `data` for a detached one. The signer's certificate
 * is not checked against trust anchors here (the call never was); relying parties use the verifier.
 */
export function sofVerifySignedMessage(p7: string, data?: string | Uint8Array): boolean {
  let msg: ReadSignedMessage;
  try {
    msg = readSignedMessage(p7);
  } catch {
    return false;
  }
  const content = msg.content ?? (data !== undefined && data !== '' ? messageBytes(data) : null);
  if (!content) return false;
  if (msg.content && data !== undefined && data !== '' && !Buffer.from(messageBytes(data)).equals(Buffer.from(msg.content))) return false;
  return signedMessageValid(msg, content);
}

/** SOF_GetInfoFromSignedMessage types (GM/T 0020): 1 content, 2 signer certificate, 3 signature value. */
export const SOF_SIGNED_MESSAGE_INFO = { content: 1, certificate: 2, signature: 3 } as const;

/**
 * SOF_GetInfoFromSignedMessage(p7, type): 1 → the attached content as UTF-8 text ('' when
 * detached), 2 → the signer's certificate (base64 DER), 3 → the signature value (base64).
 */
export function sofGetInfoFromSignedMessage(p7: string, type: number): string {
  const msg = readSignedMessage(p7);
  switch (type) {
    case SOF_SIGNED_MESSAGE_INFO.content:
      return msg.content ? new TextDecoder().decode(msg.content) : '';
    case SOF_SIGNED_MESSAGE_INFO.certificate:
      return Buffer.from(msg.signer.der).toString('base64');
    case SOF_SIGNED_MESSAGE_INFO.signature:
      return Buffer.from(msg.signature).toString('base64');
    default:
      throw bad('SOF_MESSAGE_INFO_TYPE', `不支持的签名消息信息类型 ${Number(type)}`, `unsupported signed message item ${Number(type)}`);
  }
}
