/**
 * Digital envelopes and public-key encryption as the CA assistants exchange them
 * (docs/compat.md「数字信封与加解密」): BJCA SOF_EncryptData/SOF_DecryptData, SOF_PubKeyEncrypt/
 * SOF_PriKeyDecrypt, HEBCA EnvelopB64/UnEnvelopB64, EncryptB64/DecryptB64.
 *
 * - RSA recipients: CMS EnvelopedData (RFC 5652), KeyTransRecipientInfo with rsaEncryption
 *   (PKCS#1 v1.5) and AES-128-CBC content — what `openssl cms -decrypt` and Windows CSPs read.
 * - SM2 recipients: GM/T 0010 envelopedData (1.2.156.10197.6.1.4.2.3), SM2 key transport
 *   (1.2.156.10197.1.301.3, the key as GM/T 0009 DER SM2Cipher) and SM4-CBC content.
 * Reading also takes AES-192/256-CBC, 3DES-CBC, PKCS#7 content types with SM2/SM4, and
 * SubjectKeyIdentifier recipients. The private-key step is the caller's (consent 解密, key store).
 */
import { createCipheriv, createDecipheriv, publicEncrypt, constants, createPublicKey, randomBytes as nodeRandomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { sm4 } from 'sm-crypto-v2';
import { AssistantError } from '../../errors.ts';
import { CMS_OID, GM_CMS_OID } from '../../login/cms.ts';
import { parseCertificate } from '../../pki/certificate.ts';
import { parseBer } from '../../pki/der.ts';
import { OID } from '../../pki/oids.ts';
import { bytesToHex, sm2Encrypt, type Sm2CiphertextForm } from '../../pki/sm2.ts';
import type { EnvelopeContent } from '../../keystores/types.ts';

/** The envelope's identifiers, named from the one OID table. */
export const ENVELOPE_OID = {
  envelopedData: OID.pkcs7EnvelopedData,
  aes128Cbc: OID.aes128Cbc,
  aes192Cbc: OID.aes192Cbc,
  aes256Cbc: OID.aes256Cbc,
  desEde3Cbc: OID.desEde3Cbc,
  sm4Cbc: OID.sm4Cbc,
  sm2Encrypt: OID.sm2Encryption,
  sm2: OID.sm2Curve,
  subjectKeyIdentifier: OID.subjectKeyId,
} as const;

/** Content ciphers we read: OID → Node cipher name and key length (SM4 runs in JS). */
const CONTENT_CIPHERS: Record<string, { name: string; keyLength: number }> = {
  [ENVELOPE_OID.aes128Cbc]: { name: 'aes-128-cbc', keyLength: 16 },
  [ENVELOPE_OID.aes192Cbc]: { name: 'aes-192-cbc', keyLength: 24 },
  [ENVELOPE_OID.aes256Cbc]: { name: 'aes-256-cbc', keyLength: 32 },
  [ENVELOPE_OID.desEde3Cbc]: { name: 'des-ede3-cbc', keyLength: 24 },
  [ENVELOPE_OID.sm4Cbc]: { name: 'sm4-cbc', keyLength: 16 },
};

/** Largest envelope a page may hand us. */
export const MAX_ENVELOPE_BYTES = 8 * 1024 * 1024;

export type RecipientKeyKind = 'RSA' | 'SM2';

function bad(code: string, zh: string, en: string): AssistantError {
  return new AssistantError(code, zh, { en });
}
const malformed = (): AssistantError => bad('ENVELOPE_MALFORMED', '数字信封格式错误（不是 PKCS#7/CMS EnvelopedData）', 'not a PKCS#7/CMS EnvelopedData');
export const notForUs = (): AssistantError => bad('ENVELOPE_NOT_FOR_RECIPIENT', '该数字信封不是发给此证书的', 'the envelope is not addressed to this certificate');
const contentFailed = (): AssistantError => bad('DECRYPT_FAILED', '解密失败：数字信封已损坏或会话密钥不符', 'decryption failed: damaged envelope or wrong session key');

const u8 = (b: ArrayBuffer | Uint8Array): Uint8Array => (b instanceof Uint8Array ? b : new Uint8Array(b));

function recipientKeyKind(cert: pkijs.Certificate): RecipientKeyKind {
  const alg = cert.subjectPublicKeyInfo.algorithm;
  if (alg.algorithmId === CMS_OID.rsaEncryption) return 'RSA';
  const curve = (alg.algorithmParams as { valueBlock?: { toString(): string } } | undefined)?.valueBlock?.toString();
  if (alg.algorithmId === ENVELOPE_OID.sm2 || curve === ENVELOPE_OID.sm2) return 'SM2';
  throw bad('ENVELOPE_RECIPIENT_KEY', '收件人证书的密钥不能用于加密（仅支持 RSA 与 SM2）', 'recipient key cannot encrypt (RSA and SM2 only)');
}

function pkijsCertificate(der: Uint8Array): pkijs.Certificate {
  try {
    parseCertificate(der);
    return pkijs.Certificate.fromBER(new Uint8Array(der));
  } catch {
    throw bad('CERT_MALFORMED', '收件人证书格式错误', 'recipient certificate is malformed');
  }
}

/**
 * Public-key encryption with a certificate's key (SOF_PubKeyEncrypt, HEBCA EncryptB64).
 * RSA: PKCS#1 v1.5 (RSAES-PKCS1-v1_5), at most k − 11 bytes; SM2: GM/T 0003-4, DER (GM/T 0009)
 * unless `sm2Form` says C1C3C2.
 */
export function publicKeyEncrypt(certificate: Uint8Array, data: Uint8Array, sm2Form: Sm2CiphertextForm = 'der'): Uint8Array {
  const cert = parseCertificate(certificate);
  const pk = cert.publicKey;
  if (pk.kind === 'SM2') return sm2Encrypt(bytesToHex(pk.keyBytes), data, sm2Form);
  if (pk.kind !== 'RSA') throw bad('ENVELOPE_RECIPIENT_KEY', '该证书的密钥不能用于加密（仅支持 RSA 与 SM2）', 'this key cannot encrypt (RSA and SM2 only)');
  const key = createPublicKey({ key: Buffer.from(pk.spki), format: 'der', type: 'spki' });
  const k = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  if (data.length > k - 11) throw bad('INPUT_TOO_LARGE', `数据过长：RSA ${k * 8} 位密钥一次最多加密 ${k - 11} 字节`, `too long: at most ${k - 11} bytes for this RSA key`);
  return new Uint8Array(publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, data));
}

function symmetric(oid: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array, encrypt: boolean): Uint8Array {
  const c = CONTENT_CIPHERS[oid];
  if (!c) throw bad('ENVELOPE_CIPHER', `不支持的数字信封对称算法 ${oid}`, `unsupported content cipher ${oid}`);
  if (key.length !== c.keyLength) throw contentFailed();
  if (oid === ENVELOPE_OID.sm4Cbc) {
    // Electron's BoringSSL has no SM4: sm-crypto-v2, like every other GM algorithm here.
    try {
      return u8(sm4.sm4(data, key, encrypt ? 1 : 0, { mode: 'cbc', iv, padding: 'pkcs#7', output: 'array' }) as Uint8Array);
    } catch {
      throw contentFailed();
    }
  }
  try {
    const cipher = encrypt ? createCipheriv(c.name, key, iv) : createDecipheriv(c.name, key, iv);
    return new Uint8Array(Buffer.concat([cipher.update(data), cipher.final()]));
  } catch {
    throw contentFailed();
  }
}

/**
 * SOF_EncryptData / HEBCA EnvelopB64: a DER ContentInfo(EnvelopedData) of `plaintext` for every
 * recipient certificate (all RSA, or all SM2).
 */
export function buildEnvelope(plaintext: Uint8Array, recipients: Uint8Array[], randomBytes: (n: number) => Uint8Array = (n) => new Uint8Array(nodeRandomBytes(n))): Uint8Array {
  if (recipients.length === 0) throw bad('ENVELOPE_NO_RECIPIENT', '没有收件人证书', 'no recipient certificate');
  const certs = recipients.map((der) => ({ der, cert: pkijsCertificate(der) }));
  const kinds = new Set(certs.map((c) => recipientKeyKind(c.cert)));
  if (kinds.size !== 1) throw bad('ENVELOPE_MIXED_RECIPIENTS', '收件人证书须同为 RSA 或同为 SM2', 'recipients must be all RSA or all SM2');
  const sm2 = kinds.has('SM2');
  const cipherOid = sm2 ? ENVELOPE_OID.sm4Cbc : ENVELOPE_OID.aes128Cbc;
  const cek = randomBytes(16);
  const iv = randomBytes(16);
  try {
    const infos = certs.map(({ der, cert }) => new pkijs.RecipientInfo({
      variant: 1,
      value: new pkijs.KeyTransRecipientInfo({
        version: 0,
        rid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
        keyEncryptionAlgorithm: sm2
          ? new pkijs.AlgorithmIdentifier({ algorithmId: ENVELOPE_OID.sm2Encrypt })
          : new pkijs.AlgorithmIdentifier({ algorithmId: CMS_OID.rsaEncryption, algorithmParams: new asn1js.Null() }),
        encryptedKey: new asn1js.OctetString({ valueHex: publicKeyEncrypt(der, cek, 'der') }),
      }),
    }));
    const env = new pkijs.EnvelopedData({
      version: 0,
      recipientInfos: infos,
      encryptedContentInfo: new pkijs.EncryptedContentInfo({
        contentType: sm2 ? GM_CMS_OID.data : CMS_OID.data,
        contentEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: cipherOid, algorithmParams: new asn1js.OctetString({ valueHex: iv }) }),
        encryptedContent: new asn1js.OctetString({ valueHex: symmetric(cipherOid, cek, iv, plaintext, true) }),
        // One primitive [0] value: the envelope stays DER (pkijs would otherwise chunk it into BER).
        disableSplit: true,
      }),
    });
    const ci = new pkijs.ContentInfo({ contentType: sm2 ? GM_CMS_OID.envelopedData : ENVELOPE_OID.envelopedData, content: env.toSchema() });
    return new Uint8Array(ci.toSchema().toBER(false));
  } finally {
    cek.fill(0);
  }
}

/** What an envelope holds for one recipient certificate, before its key is used. */
export interface EnvelopeForRecipient {
  /** Exactly what the recipient's private key decrypts (RSA block, or SM2 DER/C1C3C2). */
  encryptedKey: Uint8Array;
  keyKind: RecipientKeyKind;
  /** The encrypted content (cipher OID, IV, bytes): what a device opens with the session key it unwrapped. */
  content: EnvelopeContent;
}

/** Decrypts an envelope's content with the session key a private key gave back. */
export function openEnvelopeContent(content: EnvelopeContent, sessionKey: Uint8Array): Uint8Array {
  return symmetric(content.cipher, sessionKey, content.iv, content.ciphertext, false);
}

function ridMatches(rid: pkijs.IssuerAndSerialNumber | asn1js.OctetString, cert: pkijs.Certificate): boolean {
  if (rid instanceof pkijs.IssuerAndSerialNumber) return rid.issuer.isEqual(cert.issuer) && rid.serialNumber.isEqual(cert.serialNumber);
  const ski = cert.extensions?.find((e) => e.extnID === ENVELOPE_OID.subjectKeyIdentifier);
  if (!ski) return false;
  const skiValue = (ski.parsedValue as asn1js.OctetString | undefined)?.valueBlock.valueHexView;
  return !!skiValue && Buffer.compare(Buffer.from(skiValue), Buffer.from(rid.valueBlock.valueHexView)) === 0;
}

/**
 * Reads an envelope (DER or BER ContentInfo, PKCS#7 or GM/T 0010 content type) and picks the
 * recipient info addressed to `certificate`. Throws ENVELOPE_MALFORMED / ENVELOPE_NOT_FOR_RECIPIENT.
 */
export function envelopeFor(envelope: Uint8Array, certificate: Uint8Array): EnvelopeForRecipient {
  if (envelope.length === 0 || envelope.length > MAX_ENVELOPE_BYTES) throw malformed();
  let env: pkijs.EnvelopedData;
  try {
    const asn = parseBer(envelope, 'ENVELOPE_MALFORMED', { allowIndefinite: true });
    const ci = new pkijs.ContentInfo({ schema: asn });
    if (ci.contentType !== ENVELOPE_OID.envelopedData && ci.contentType !== GM_CMS_OID.envelopedData) throw malformed();
    env = new pkijs.EnvelopedData({ schema: ci.content });
  } catch (e) {
    if (e instanceof AssistantError && e.code !== 'ENVELOPE_MALFORMED') throw e;
    throw malformed();
  }
  const cert = pkijsCertificate(certificate);
  const keyKind = recipientKeyKind(cert);
  const info = env.recipientInfos.map((r) => r.value).find((v): v is pkijs.KeyTransRecipientInfo => v instanceof pkijs.KeyTransRecipientInfo && ridMatches(v.rid as pkijs.IssuerAndSerialNumber | asn1js.OctetString, cert));
  if (!info) throw notForUs();
  const kea = info.keyEncryptionAlgorithm.algorithmId;
  const fits = keyKind === 'RSA' ? kea === CMS_OID.rsaEncryption : kea === ENVELOPE_OID.sm2Encrypt || kea === ENVELOPE_OID.sm2;
  if (!fits) throw bad('ENVELOPE_KEY_TRANSPORT', `数字信封的密钥加密算法 ${kea} 与证书不符`, `key transport ${kea} does not fit the certificate`);
  const eci = env.encryptedContentInfo;
  const cipherOid = eci.contentEncryptionAlgorithm.algorithmId;
  if (!CONTENT_CIPHERS[cipherOid]) throw bad('ENVELOPE_CIPHER', `不支持的数字信封对称算法 ${cipherOid}`, `unsupported content cipher ${cipherOid}`);
  const ivParam = eci.contentEncryptionAlgorithm.algorithmParams;
  const iv = ivParam instanceof asn1js.OctetString ? u8(ivParam.valueBlock.valueHexView.slice()) : null;
  // Constructed (BER, chunked) encrypted content is joined by pkijs into one value.
  const ct = eci.encryptedContent ? u8(eci.getEncryptedContent().slice(0)) : null;
  if (!iv || !ct) throw malformed();
  return {
    encryptedKey: u8(info.encryptedKey.valueBlock.valueHexView.slice()),
    keyKind,
    content: { cipher: cipherOid, iv, ciphertext: ct },
  };
}
