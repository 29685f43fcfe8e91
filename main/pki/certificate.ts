/**
 * One X.509 certificate, parsed once into the fields every check and screen needs.
 * pkijs/asn1js do the parsing (node-forge rejects SM2 keys); a bounded pre-pass guards them.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { AssistantError } from '../errors.ts';
import { checkDerStructure, parseBer } from './der.ts';
import { CURVE_NAMES, DN_ATTRIBUTE_NAMES, KEY_USAGE_BITS, OID, SIGNATURE_ALGORITHMS, type KeyUsageName } from './oids.ts';

/** Largest certificate we accept; real ones are a few KB. */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;

export interface PublicKeyInfo {
  /** Key family: RSA, EC (NIST curves), SM2 (EC on the SM2 curve), or another algorithm. */
  kind: 'RSA' | 'EC' | 'SM2' | 'other';
  /** SubjectPublicKeyInfo algorithm OID. */
  algorithmOid: string;
  /** Named curve OID for EC/SM2 keys. */
  curveOid: string | null;
  /** Key size in bits (RSA modulus length, EC field size). */
  bits: number | null;
  /** Whole SubjectPublicKeyInfo, DER. */
  spki: Uint8Array;
  /** The subjectPublicKey bits: RSAPublicKey DER for RSA, the uncompressed point for EC/SM2. */
  keyBytes: Uint8Array;
}

export interface ParsedCertificate {
  der: Uint8Array;
  cert: pkijs.Certificate;
  /** Display DN, attributes in certificate order: `C=CN, ST=河北省, O=…, CN=…`. */
  subject: string;
  issuer: string;
  /** Raw DER of the subject/issuer Name, for exact matching in path building. */
  subjectDer: Uint8Array;
  issuerDer: Uint8Array;
  /** Lower-case hex, no leading zero padding beyond DER. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** 'RSA-2048' | 'EC-P256' | 'SM2' | … */
  keyAlgorithm: string;
  /** 'sha256WithRSAEncryption' | 'ecdsa-with-SHA256' | 'SM2-with-SM3' | OID when unknown. */
  signatureAlgorithm: string;
  signatureAlgorithmOid: string;
  /** Lower-case hex SHA-256 of the DER. */
  fingerprintSha256: string;
  /** Bits set in the keyUsage extension; null when the extension is absent (any use allowed). */
  keyUsage: KeyUsageName[] | null;
  /** Extended key usage OIDs; null when absent. */
  extendedKeyUsage: string[] | null;
  isCA: boolean;
  pathLenConstraint: number | null;
  /** Subject and issuer DN are byte-identical. */
  selfIssued: boolean;
  subjectKeyIdentifier: string | null;
  authorityKeyIdentifier: string | null;
  publicKey: PublicKeyInfo;
  /** The signed part (TBSCertificate DER) and the signature bits. */
  tbs: Uint8Array;
  signature: Uint8Array;
}

function malformed(why: string, en: string, cause?: unknown): AssistantError {
  return new AssistantError('CERT_MALFORMED', `证书格式错误：${why}`, { en: `malformed certificate: ${en}`, cause });
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function hex(b: Uint8Array): string {
  return asBuffer(b).toString('hex');
}

/** Text of a DN attribute value, whatever string type the CA chose. */
export function attributeValueText(value: unknown): string {
  const v = value as { valueBlock?: { value?: unknown; valueHexView?: Uint8Array } };
  const s = v?.valueBlock?.value;
  if (typeof s === 'string') return s;
  const raw = v?.valueBlock?.valueHexView;
  return raw ? '#' + hex(raw) : '';
}

/** Display form of a Name: `C=CN, O=…, CN=…` in certificate order, values escaped RFC 4514-style. */
export function formatName(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((tv) => {
      const key = DN_ATTRIBUTE_NAMES[tv.type] ?? tv.type;
      const text = attributeValueText(tv.value).replace(/([,+"\\<>;])/g, '\\$1');
      return `${key}=${text}`;
    })
    .join(', ');
}

function parseKeyUsage(ext: pkijs.Extension): KeyUsageName[] {
  const parsed = { offset: 0, result: parseBer(ext.extnValue.valueBlock.valueHexView) };
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.BitString)) throw malformed('密钥用法扩展无效', 'bad keyUsage extension');
  const bytes = parsed.result.valueBlock.valueHexView;
  const out: KeyUsageName[] = [];
  KEY_USAGE_BITS.forEach((name, i) => {
    const byte = bytes[i >> 3];
    if (byte !== undefined && byte & (0x80 >> (i & 7))) out.push(name);
  });
  return out;
}

function parseBasicConstraints(ext: pkijs.Extension): { ca: boolean; pathLen: number | null } {
  const parsed = { offset: 0, result: parseBer(ext.extnValue.valueBlock.valueHexView) };
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) throw malformed('基本约束扩展无效', 'bad basicConstraints extension');
  let ca = false;
  let pathLen: number | null = null;
  for (const item of parsed.result.valueBlock.value) {
    if (item instanceof asn1js.Boolean) ca = item.valueBlock.value;
    else if (item instanceof asn1js.Integer) pathLen = item.valueBlock.valueDec;
  }
  return { ca, pathLen };
}

function parseExtKeyUsage(ext: pkijs.Extension): string[] {
  const parsed = { offset: 0, result: parseBer(ext.extnValue.valueBlock.valueHexView) };
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) throw malformed('扩展密钥用法无效', 'bad extKeyUsage extension');
  return parsed.result.valueBlock.value.filter((x) => x instanceof asn1js.ObjectIdentifier).map((x) => (x as asn1js.ObjectIdentifier).valueBlock.toString());
}

function parseSubjectKeyId(ext: pkijs.Extension): string | null {
  const parsed = { offset: 0, result: parseBer(ext.extnValue.valueBlock.valueHexView) };
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.OctetString)) return null;
  return hex(parsed.result.valueBlock.valueHexView);
}

function parseAuthorityKeyId(ext: pkijs.Extension): string | null {
  const parsed = { offset: 0, result: parseBer(ext.extnValue.valueBlock.valueHexView) };
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) return null;
  for (const item of parsed.result.valueBlock.value) {
    // [0] IMPLICIT KeyIdentifier
    if (item.idBlock.tagClass === 3 && item.idBlock.tagNumber === 0) {
      const view = (item as asn1js.Primitive).valueBlock.valueHexView;
      return view ? hex(view) : null;
    }
  }
  return null;
}

/** Number of significant bits in a big-endian unsigned integer. */
function bitLength(b: Uint8Array): number {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  if (i === b.length) return 0;
  return (b.length - i - 1) * 8 + (32 - Math.clz32(b[i]!));
}

function parsePublicKey(cert: pkijs.Certificate): PublicKeyInfo {
  const info = cert.subjectPublicKeyInfo;
  const algorithmOid = info.algorithm.algorithmId;
  const keyBytes = info.subjectPublicKey.valueBlock.valueHexView;
  const spki = new Uint8Array(info.toSchema().toBER(false));
  let curveOid: string | null = null;
  const params = info.algorithm.algorithmParams as unknown;
  if (params instanceof asn1js.ObjectIdentifier) curveOid = params.valueBlock.toString();
  if (algorithmOid === OID.rsaEncryption) {
    const parsed = { offset: 0, result: parseBer(keyBytes) };
    const seq = parsed.result;
    if (parsed.offset === -1 || !(seq instanceof asn1js.Sequence) || !(seq.valueBlock.value[0] instanceof asn1js.Integer)) {
      throw malformed('RSA 公钥无效', 'bad RSA public key');
    }
    return { kind: 'RSA', algorithmOid, curveOid: null, bits: bitLength(seq.valueBlock.value[0].valueBlock.valueHexView), spki, keyBytes };
  }
  if (algorithmOid === OID.sm2Curve || (algorithmOid === OID.ecPublicKey && curveOid === OID.sm2Curve)) {
    return { kind: 'SM2', algorithmOid, curveOid: OID.sm2Curve, bits: 256, spki, keyBytes };
  }
  if (algorithmOid === OID.ecPublicKey) {
    const bits = curveOid === OID.p256 ? 256 : curveOid === OID.p384 ? 384 : curveOid === OID.p521 ? 521 : null;
    return { kind: 'EC', algorithmOid, curveOid, bits, spki, keyBytes };
  }
  return { kind: 'other', algorithmOid, curveOid, bits: null, spki, keyBytes };
}

function keyAlgorithmLabel(pk: PublicKeyInfo): string {
  switch (pk.kind) {
    case 'RSA':
      return `RSA-${pk.bits}`;
    case 'SM2':
      return 'SM2';
    case 'EC':
      return `EC-${(pk.curveOid && CURVE_NAMES[pk.curveOid]) ?? pk.curveOid ?? 'unknown'}`;
    default:
      return pk.algorithmOid === OID.ed25519 ? 'Ed25519' : pk.algorithmOid;
  }
}

/** Parses one DER certificate; throws AssistantError CERT_MALFORMED / CERT_TOO_LARGE. */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  if (der.length > MAX_CERTIFICATE_BYTES) {
    throw new AssistantError('CERT_TOO_LARGE', '证书数据过大', { en: 'certificate too large', details: { bytes: der.length } });
  }
  const end = checkDerStructure(der);
  if (end !== der.length) throw malformed('证书后有多余数据', 'trailing data after certificate');
  let cert: pkijs.Certificate;
  try {
    const asn = asn1js.fromBER(der);
    if (asn.offset === -1) throw new Error(asn.result.error);
    cert = new pkijs.Certificate({ schema: asn.result });
  } catch (e) {
    throw malformed('无法解析 X.509 结构', 'not an X.509 certificate', e);
  }
  try {
    return buildParsed(der, cert);
  } catch (e) {
    if (e instanceof AssistantError) throw e;
    throw malformed('证书字段无效', 'invalid certificate field', e);
  }
}

function buildParsed(der: Uint8Array, cert: pkijs.Certificate): ParsedCertificate {
  let keyUsage: KeyUsageName[] | null = null;
  let extendedKeyUsage: string[] | null = null;
  let isCA = false;
  let pathLenConstraint: number | null = null;
  let subjectKeyIdentifier: string | null = null;
  let authorityKeyIdentifier: string | null = null;
  for (const ext of cert.extensions ?? []) {
    switch (ext.extnID) {
      case OID.keyUsage:
        keyUsage = parseKeyUsage(ext);
        break;
      case OID.extKeyUsage:
        extendedKeyUsage = parseExtKeyUsage(ext);
        break;
      case OID.basicConstraints: {
        const bc = parseBasicConstraints(ext);
        isCA = bc.ca;
        pathLenConstraint = bc.pathLen;
        break;
      }
      case OID.subjectKeyId:
        subjectKeyIdentifier = parseSubjectKeyId(ext);
        break;
      case OID.authorityKeyId:
        authorityKeyIdentifier = parseAuthorityKeyId(ext);
        break;
    }
  }
  const publicKey = parsePublicKey(cert);
  const sigOid = cert.signatureAlgorithm.algorithmId;
  const subjectDer = new Uint8Array(cert.subject.toSchema().toBER(false));
  const issuerDer = new Uint8Array(cert.issuer.toSchema().toBER(false));
  let serial = hex(cert.serialNumber.valueBlock.valueHexView);
  if (serial.length > 2 && serial.startsWith('00')) serial = serial.slice(2);
  const tbs = cert.tbsView;
  return {
    der,
    cert,
    subject: formatName(cert.subject),
    issuer: formatName(cert.issuer),
    subjectDer,
    issuerDer,
    serialNumber: serial,
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    keyAlgorithm: keyAlgorithmLabel(publicKey),
    signatureAlgorithm: SIGNATURE_ALGORITHMS[sigOid]?.name ?? sigOid,
    signatureAlgorithmOid: sigOid,
    fingerprintSha256: createHash('sha256').update(der).digest('hex'),
    keyUsage,
    extendedKeyUsage,
    isCA,
    pathLenConstraint,
    selfIssued: Buffer.compare(asBuffer(subjectDer), asBuffer(issuerDer)) === 0,
    subjectKeyIdentifier,
    authorityKeyIdentifier,
    publicKey,
    tbs,
    signature: cert.signatureValue.valueBlock.valueHexView,
  };
}

/** PEM armour for one DER certificate. */
export function certificateToPem(der: Uint8Array): string {
  const b64 = asBuffer(der).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
}
