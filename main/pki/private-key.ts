/**
 * Private keys from PKCS#8 (and the PEM encodings OpenSSL writes), parsed with asn1js so
 * SM2 keys work too (node-forge and BoringSSL do not know the SM2 curve).
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AssistantError } from '../errors.ts';
import { parseBer } from './der.ts';
import { OID } from './oids.ts';
import { bytesToHex, sm2PublicKeyFromPrivate } from './sm2.ts';

export interface PrivateKeyMaterial {
  kind: 'RSA' | 'EC' | 'SM2' | 'other';
  /** 'RSA-2048' | 'EC-P256' | 'SM2' | OID */
  keyAlgorithm: string;
  /** Unencrypted PKCS#8 PrivateKeyInfo, DER. Callers drop it as soon as they are done. */
  pkcs8: Uint8Array;
  /** PKCS#12 bag attributes, when the key came from a PFX. */
  friendlyName?: string;
  localKeyId?: string;
}

function badKey(why: string, en: string): AssistantError {
  return new AssistantError('KEY_MALFORMED', `私钥格式错误：${why}`, { en: `malformed private key: ${en}` });
}

function bitLength(b: Uint8Array): number {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  if (i === b.length) return 0;
  return (b.length - i - 1) * 8 + (32 - Math.clz32(b[i]!));
}

interface Pkcs8Parts {
  algorithmOid: string;
  curveOid: string | null;
  privateKey: Uint8Array;
}

function pkcs8Parts(pkcs8: Uint8Array): Pkcs8Parts {
  const top = parseBer(pkcs8, 'KEY_MALFORMED');
  if (!(top instanceof asn1js.Sequence)) throw badKey('不是 PKCS#8', 'not PKCS#8');
  const [version, alg, key] = top.valueBlock.value;
  if (!(version instanceof asn1js.Integer) || !(alg instanceof asn1js.Sequence) || !(key instanceof asn1js.OctetString)) throw badKey('不是 PKCS#8', 'not PKCS#8');
  const algOid = alg.valueBlock.value[0];
  if (!(algOid instanceof asn1js.ObjectIdentifier)) throw badKey('缺少算法', 'missing algorithm');
  const params = alg.valueBlock.value[1];
  return {
    algorithmOid: algOid.valueBlock.toString(),
    curveOid: params instanceof asn1js.ObjectIdentifier ? params.valueBlock.toString() : null,
    privateKey: key.valueBlock.valueHexView,
  };
}

/** The EC private scalar and the curve named inside ECPrivateKey (RFC 5915), if any. */
function ecPrivateKey(der: Uint8Array): { d: Uint8Array; curveOid: string | null } {
  const top = parseBer(der, 'KEY_MALFORMED');
  if (!(top instanceof asn1js.Sequence)) throw badKey('EC 私钥无效', 'bad EC private key');
  const d = top.valueBlock.value[1];
  if (!(d instanceof asn1js.OctetString)) throw badKey('EC 私钥无效', 'bad EC private key');
  let curveOid: string | null = null;
  for (const item of top.valueBlock.value.slice(2)) {
    if (item.idBlock.tagClass === 3 && item.idBlock.tagNumber === 0) {
      const inner = (item as asn1js.Constructed).valueBlock.value[0];
      if (inner instanceof asn1js.ObjectIdentifier) curveOid = inner.valueBlock.toString();
    }
  }
  return { d: d.valueBlock.valueHexView, curveOid };
}

/** Describes a PKCS#8 key: family and label (RSA-2048, EC-P256, SM2). */
export function describePrivateKey(pkcs8: Uint8Array, attrs: { friendlyName?: string; localKeyId?: string } = {}): PrivateKeyMaterial {
  const parts = pkcs8Parts(pkcs8);
  const base = { pkcs8, ...(attrs.friendlyName !== undefined ? { friendlyName: attrs.friendlyName } : {}), ...(attrs.localKeyId !== undefined ? { localKeyId: attrs.localKeyId } : {}) };
  if (parts.algorithmOid === OID.rsaEncryption) {
    const seq = parseBer(parts.privateKey, 'KEY_MALFORMED');
    const n = seq instanceof asn1js.Sequence ? seq.valueBlock.value[1] : undefined;
    if (!(n instanceof asn1js.Integer)) throw badKey('RSA 私钥无效', 'bad RSA private key');
    return { kind: 'RSA', keyAlgorithm: `RSA-${bitLength(n.valueBlock.valueHexView)}`, ...base };
  }
  if (parts.algorithmOid === OID.ecPublicKey || parts.algorithmOid === OID.sm2Curve) {
    const ec = ecPrivateKey(parts.privateKey);
    const curve = parts.algorithmOid === OID.sm2Curve ? OID.sm2Curve : (parts.curveOid ?? ec.curveOid);
    if (curve === OID.sm2Curve) return { kind: 'SM2', keyAlgorithm: 'SM2', ...base };
    const label = curve === OID.p256 ? 'EC-P256' : curve === OID.p384 ? 'EC-P384' : curve === OID.p521 ? 'EC-P521' : `EC-${curve}`;
    return { kind: 'EC', keyAlgorithm: label, ...base };
  }
  return { kind: 'other', keyAlgorithm: parts.algorithmOid, ...base };
}

/** SM2 private scalar as 64 hex digits, for sm-crypto-v2. */
export function sm2PrivateKeyHex(pkcs8: Uint8Array): string {
  const parts = pkcs8Parts(pkcs8);
  const { d } = ecPrivateKey(parts.privateKey);
  return bytesToHex(d).replace(/^(00)+(?=.{64}$)/, '').padStart(64, '0');
}

/** SM2 public point (uncompressed hex) of a PKCS#8 SM2 key. */
export function sm2PublicKeyHex(pkcs8: Uint8Array): string {
  return sm2PublicKeyFromPrivate(sm2PrivateKeyHex(pkcs8));
}

/** Node KeyObject for RSA / NIST EC keys. */
export function nodePrivateKey(pkcs8: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  } catch {
    throw badKey('无法加载', 'cannot load');
  }
}

/** Wraps a SEC1 ECPrivateKey (PEM "EC PRIVATE KEY") into PKCS#8, keeping the curve. */
export function sec1ToPkcs8(sec1: Uint8Array): Uint8Array {
  const { curveOid } = ecPrivateKey(sec1);
  if (!curveOid) throw badKey('EC 私钥缺少曲线', 'EC key without a curve');
  const info = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 0 }),
      new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID.ecPublicKey }), new asn1js.ObjectIdentifier({ value: curveOid })] }),
      new asn1js.OctetString({ valueHex: sec1 }),
    ],
  });
  return new Uint8Array(info.toBER(false));
}

/** Wraps PKCS#1 RSAPrivateKey (PEM "RSA PRIVATE KEY") into PKCS#8. */
export function pkcs1ToPkcs8(pkcs1: Uint8Array): Uint8Array {
  const info = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 0 }),
      new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID.rsaEncryption }), new asn1js.Null()] }),
      new asn1js.OctetString({ valueHex: pkcs1 }),
    ],
  });
  return new Uint8Array(info.toBER(false));
}
