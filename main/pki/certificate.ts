/**
 * One X.509 certificate, parsed once into the fields every check and screen needs.
 * pkijs/asn1js do the parsing (node-forge rejects SM2 keys); a bounded pre-pass guards them.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { AssistantError } from '../errors.ts';
import { checkDerStructure } from './der.ts';
import { children, derError, expectTag, oidText, readTlv, stringValue, timeValue, type Tlv } from './der-reader.ts';
import { CURVE_NAMES, dnDisplayKey, KEY_USAGE_BITS, OID, SIGNATURE_ALGORITHMS, type KeyUsageName } from './oids.ts';
import { TAG } from './asn1-tags.ts';

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
  /** Full pkijs parse for CMS, made on first access (most callers never need it). */
  readonly cert: pkijs.Certificate;
  /** Display DN, attributes in certificate order: `C=CN, ST=河北省, O=…, CN=…`. */
  subject: string;
  issuer: string;
  /** The subject's and issuer's attributes in certificate order (what identity extraction reads). */
  subjectAttributes: readonly NameAttribute[];
  issuerAttributes: readonly NameAttribute[];
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
  /** X.509 version (1, 2 or 3). */
  version: number;
  /** Every extension in certificate order (each OID at most once: duplicates fail the parse). */
  extensions: readonly CertificateExtension[];
}

export interface CertificateExtension {
  oid: string;
  critical: boolean;
  /** The extnValue contents (the DER inside the OCTET STRING). */
  value: Uint8Array;
}

function malformed(why: string, en: string, cause?: unknown): AssistantError {
  return new AssistantError('CERT_MALFORMED', `证书格式错误：${why}`, { en: `malformed certificate: ${en}`, cause });
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** One attribute of a Name (subject or issuer). */
export interface NameAttribute {
  /** Attribute type OID. */
  type: string;
  /** The value's whole TLV (tag, length, contents). */
  value: Uint8Array;
  /** The value as text (any string type decoded); `#<hex of the TLV>` when it is not a string. */
  text: string;
}

type RawExtension = CertificateExtension;

function readName(b: Uint8Array, t: Tlv): NameAttribute[] {
  const out: NameAttribute[] = [];
  for (const rdn of children(b, expectTag(t, TAG.sequence, '名称'), 256)) {
    for (const atv of children(b, expectTag(rdn, TAG.set, '名称'), 64)) {
      const [type, value] = children(b, expectTag(atv, TAG.sequence, '名称属性'), 2);
      if (!type || !value) throw derError('名称属性结构错误', 'bad attribute');
      out.push({ type: oidText(b, type), value: b.subarray(value.start, value.end), text: stringValue(b, value) });
    }
  }
  return out;
}

function displayName(attrs: readonly NameAttribute[]): string {
  return attrs.map((a) => `${dnDisplayKey(a.type)}=${a.text.replace(/([,+"\\<>;])/g, '\\$1')}`).join(', ');
}

function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function parseKeyUsage(v: Uint8Array): KeyUsageName[] {
  const t = expectTag(readTlv(v, 0, v.length), TAG.bitString, '密钥用法');
  const out: KeyUsageName[] = [];
  KEY_USAGE_BITS.forEach((name, i) => {
    const byte = t.body + 1 + (i >> 3) < t.end ? v[t.body + 1 + (i >> 3)] : undefined;
    if (byte !== undefined && byte & (0x80 >> (i & 7))) out.push(name);
  });
  return out;
}

function parseBasicConstraints(v: Uint8Array): { ca: boolean; pathLen: number | null } {
  const seq = expectTag(readTlv(v, 0, v.length), TAG.sequence, '基本约束');
  let ca = false;
  let pathLen: number | null = null;
  for (const c of children(v, seq, 4)) {
    if (c.tag === TAG.boolean) ca = c.end > c.body && v[c.body] !== 0;
    else if (c.tag === TAG.integer && c.end - c.body <= 4) {
      pathLen = 0;
      for (let i = c.body; i < c.end; i++) pathLen = pathLen * 256 + v[i]!;
    }
  }
  return { ca, pathLen };
}

function parseExtKeyUsage(v: Uint8Array): string[] {
  const seq = expectTag(readTlv(v, 0, v.length), TAG.sequence, '扩展密钥用法');
  return children(v, seq, 64).filter((c) => c.tag === TAG.objectIdentifier).map((c) => oidText(v, c));
}

function parseSubjectKeyId(v: Uint8Array): string | null {
  const t = readTlv(v, 0, v.length);
  return t.tag === TAG.octetString ? hexOf(v.subarray(t.body, t.end)) : null;
}

function parseAuthorityKeyId(v: Uint8Array): string | null {
  const seq = readTlv(v, 0, v.length);
  if (seq.tag !== TAG.sequence) return null;
  const keyId = children(v, seq, 8).find((c) => c.tag === TAG.contextPrimitive0);
  return keyId ? hexOf(v.subarray(keyId.body, keyId.end)) : null;
}

/** Number of significant bits in a big-endian unsigned integer. */
function bitLength(b: Uint8Array): number {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  if (i === b.length) return 0;
  return (b.length - i - 1) * 8 + (32 - Math.clz32(b[i]!));
}

function parsePublicKey(b: Uint8Array, spkiTlv: Tlv): PublicKeyInfo {
  const [alg, key] = children(b, expectTag(spkiTlv, TAG.sequence, '公钥'), 2);
  const algParts = children(b, expectTag(alg, TAG.sequence, '公钥算法'), 2);
  const algorithmOid = oidText(b, algParts[0]!);
  const curveOid = algParts[1]?.tag === TAG.objectIdentifier ? oidText(b, algParts[1]) : null;
  const bits = expectTag(key, TAG.bitString, '公钥');
  if (bits.end - bits.body < 1) throw derError('公钥为空', 'empty public key');
  const keyBytes = b.subarray(bits.body + 1, bits.end);
  const spki = b.subarray(spkiTlv.start, spkiTlv.end);
  if (algorithmOid === OID.rsaEncryption) {
    const seq = expectTag(readTlv(keyBytes, 0, keyBytes.length), TAG.sequence, 'RSA 公钥');
    const n = expectTag(children(keyBytes, seq, 2)[0], TAG.integer, 'RSA 公钥');
    return { kind: 'RSA', algorithmOid, curveOid: null, bits: bitLength(keyBytes.subarray(n.body, n.end)), spki, keyBytes };
  }
  if (algorithmOid === OID.sm2Curve || (algorithmOid === OID.ecPublicKey && curveOid === OID.sm2Curve)) {
    return { kind: 'SM2', algorithmOid, curveOid: OID.sm2Curve, bits: 256, spki, keyBytes };
  }
  if (algorithmOid === OID.ecPublicKey) {
    const size = curveOid === OID.p256 ? 256 : curveOid === OID.p384 ? 384 : curveOid === OID.p521 ? 521 : null;
    return { kind: 'EC', algorithmOid, curveOid, bits: size, spki, keyBytes };
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

/** Full pkijs parse, done on first use of `cert` only. */
function pkijsCertificate(der: Uint8Array): pkijs.Certificate {
  try {
    const asn = asn1js.fromBER(der);
    if (asn.offset === -1) throw new Error(asn.result.error);
    return new pkijs.Certificate({ schema: asn.result });
  } catch (e) {
    throw malformed('无法解析 X.509 结构', 'not an X.509 certificate', e);
  }
}

/** Parses one DER certificate; throws AssistantError CERT_MALFORMED / CERT_TOO_LARGE. */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  if (der.length > MAX_CERTIFICATE_BYTES) {
    throw new AssistantError('CERT_TOO_LARGE', '证书数据过大', { en: 'certificate too large', details: { bytes: der.length } });
  }
  const end = checkDerStructure(der);
  if (end !== der.length) throw malformed('证书后有多余数据', 'trailing data after certificate');
  try {
    return readCertificate(der);
  } catch (e) {
    if (e instanceof AssistantError) throw e;
    throw malformed('证书字段无效', 'invalid certificate field', e);
  }
}

function readCertificate(der: Uint8Array): ParsedCertificate {
  const b = der;
  const top = expectTag(readTlv(b, 0, b.length), TAG.sequence, '证书');
  const [tbsTlv, sigAlgTlv, sigTlv, extra] = children(b, top, 4);
  if (extra) throw derError('证书结构多余元素', 'extra element');
  expectTag(tbsTlv, TAG.sequence, 'TBSCertificate');
  const sigAlgParts = children(b, expectTag(sigAlgTlv, TAG.sequence, '签名算法'), 2);
  const sigOid = oidText(b, sigAlgParts[0]!);
  expectTag(sigTlv, TAG.bitString, '签名');
  if (sigTlv!.end - sigTlv!.body < 1) throw derError('签名为空', 'empty signature');
  // Unused bits in the signature BIT STRING would be another encoding of the same signature.
  if (b[sigTlv!.body] !== 0) throw derError('签名位串无效', 'signature bit string has unused bits');

  const fields = children(b, tbsTlv!, 16);
  let i = 0;
  let version = 0;
  if (fields[0]?.tag === TAG.context0) {
    const v = expectTag(children(b, fields[0], 1)[0], TAG.integer, '版本');
    version = v.end - v.body === 1 ? b[v.body]! : -1;
    if (version < 0 || version > 2) throw derError('版本无效', 'bad version');
    i = 1;
  }
  const serialTlv = expectTag(fields[i++], TAG.integer, '序列号');
  if (serialTlv.end === serialTlv.body || serialTlv.end - serialTlv.body > 64) throw derError('序列号无效', 'bad serial number');
  const innerSigAlg = expectTag(fields[i++], TAG.sequence, '签名算法');
  const innerSigOid = oidText(b, children(b, innerSigAlg, 2)[0]!);
  if (innerSigOid !== sigOid) throw derError('签名算法前后不一致', 'signature algorithm mismatch');
  const issuerTlv = expectTag(fields[i++], TAG.sequence, '颁发者');
  const validity = children(b, expectTag(fields[i++], TAG.sequence, '有效期'), 2);
  if (validity.length !== 2) throw derError('有效期结构错误', 'bad validity');
  const subjectTlv = expectTag(fields[i++], TAG.sequence, '使用者');
  const spkiTlv = expectTag(fields[i++], TAG.sequence, '公钥');
  let extensionsTlv: Tlv | undefined;
  for (const f of fields.slice(i)) {
    if (f.tag === TAG.context3) extensionsTlv = f;
    else if (f.tag !== TAG.contextPrimitive1 && f.tag !== TAG.contextPrimitive2 && f.tag !== TAG.context1 && f.tag !== TAG.context2) throw derError('TBSCertificate 含未知元素', 'unknown TBS element');
  }

  const subjectAttrs = readName(b, subjectTlv);
  const issuerAttrs = readName(b, issuerTlv);
  const notBefore = timeValue(b, validity[0]!);
  const notAfter = timeValue(b, validity[1]!);
  const publicKey = parsePublicKey(b, spkiTlv);

  const extensions: RawExtension[] = [];
  let keyUsage: KeyUsageName[] | null = null;
  let extendedKeyUsage: string[] | null = null;
  let isCA = false;
  let pathLenConstraint: number | null = null;
  let subjectKeyIdentifier: string | null = null;
  let authorityKeyIdentifier: string | null = null;
  if (extensionsTlv) {
    const list = expectTag(children(b, extensionsTlv, 1)[0], TAG.sequence, '扩展');
    for (const ext of children(b, list, 256)) {
      const parts = children(b, expectTag(ext, TAG.sequence, '扩展'), 3);
      const oid = oidText(b, parts[0]!);
      const critical = parts[1]?.tag === TAG.boolean && b[parts[1].body] !== 0;
      const valueTlv = expectTag(parts[parts.length - 1], TAG.octetString, '扩展值');
      const value = b.subarray(valueTlv.body, valueTlv.end);
      // RFC 5280 4.2: an extension appears at most once. Otherwise "the last one wins" lets a
      // second basicConstraints or keyUsage say something else to another reader.
      if (extensions.some((e) => e.oid === oid)) {
        throw new AssistantError('CERT_DUPLICATE_EXTENSION', `证书格式错误：扩展 ${oid} 重复出现`, { en: `malformed certificate: extension ${oid} appears twice`, details: { oid } });
      }
      extensions.push({ oid, critical, value });
      switch (oid) {
        case OID.keyUsage:
          keyUsage = parseKeyUsage(value);
          break;
        case OID.extKeyUsage:
          extendedKeyUsage = parseExtKeyUsage(value);
          break;
        case OID.basicConstraints: {
          const bc = parseBasicConstraints(value);
          isCA = bc.ca;
          pathLenConstraint = bc.pathLen;
          break;
        }
        case OID.subjectKeyId:
          subjectKeyIdentifier = parseSubjectKeyId(value);
          break;
        case OID.authorityKeyId:
          authorityKeyIdentifier = parseAuthorityKeyId(value);
          break;
      }
    }
  }

  let serial = hexOf(b.subarray(serialTlv.body, serialTlv.end));
  if (serial.length > 2 && serial.startsWith('00')) serial = serial.slice(2);
  const subjectDer = b.subarray(subjectTlv.start, subjectTlv.end);
  const issuerDer = b.subarray(issuerTlv.start, issuerTlv.end);

  let full: pkijs.Certificate | undefined;
  const parsed = {
    der,
    subject: displayName(subjectAttrs),
    issuer: displayName(issuerAttrs),
    subjectAttributes: subjectAttrs,
    issuerAttributes: issuerAttrs,
    subjectDer,
    issuerDer,
    serialNumber: serial,
    notBefore,
    notAfter,
    keyAlgorithm: keyAlgorithmLabel(publicKey),
    signatureAlgorithm: SIGNATURE_ALGORITHMS[sigOid]?.name ?? sigOid,
    signatureAlgorithmOid: sigOid,
    fingerprintSha256: createHash('sha256').update(der).digest('hex'),
    keyUsage,
    extendedKeyUsage,
    isCA,
    pathLenConstraint,
    selfIssued: Buffer.compare(Buffer.from(subjectDer), Buffer.from(issuerDer)) === 0,
    subjectKeyIdentifier,
    authorityKeyIdentifier,
    publicKey,
    tbs: b.subarray(tbsTlv!.start, tbsTlv!.end),
    signature: b.subarray(sigTlv!.body + 1, sigTlv!.end),
    version: version + 1,
    extensions,
  } as Omit<ParsedCertificate, 'cert'> as ParsedCertificate;
  Object.defineProperty(parsed, 'cert', {
    enumerable: false,
    get(): pkijs.Certificate {
      full ??= pkijsCertificate(der);
      return full;
    },
  });
  return parsed;
}

/** PEM armour for one DER certificate. */
export function certificateToPem(der: Uint8Array): string {
  const b64 = asBuffer(der).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
}
