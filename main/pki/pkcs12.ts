/**
 * PKCS#12 (.pfx/.p12) decoding with asn1js: the whole structure in our hands, so each failure
 * gets its own code (wrong password, unsupported algorithm, malformed) and SM2 keys work.
 * Crypto primitives live in pbe.ts.
 */
import * as asn1js from 'asn1js';
import { AssistantError } from '../errors.ts';
import { checkDerStructure, parseBer } from './der.ts';
import { OID } from './oids.ts';
import { checkPfxMac, octetStringBytes, PasswordDecryptError, pbeDecrypt, pfxMalformed, unsupported } from './pbe.ts';

const BAG = {
  key: OID.keyBag,
  shroudedKey: OID.pkcs8ShroudedKeyBag,
  cert: OID.certBag,
  crl: OID.crlBag,
  secret: OID.secretBag,
  safeContents: OID.safeContentsBag,
  x509Certificate: OID.x509Certificate,
  friendlyName: OID.friendlyName,
  localKeyId: OID.localKeyId,
} as const;

export const MAX_PFX_BYTES = 1024 * 1024;

export interface Pkcs12Bag {
  friendlyName?: string;
  localKeyId?: string;
}
export interface Pkcs12Certificate extends Pkcs12Bag {
  der: Uint8Array;
}
export interface Pkcs12Key extends Pkcs12Bag {
  /** Unencrypted PKCS#8, present when the key was decrypted (or stored in clear). */
  pkcs8?: Uint8Array;
  /** The still-encrypted EncryptedPrivateKeyInfo, so a key store can decrypt it only when signing. */
  encrypted?: Uint8Array;
}
export interface Pkcs12Contents {
  certificates: Pkcs12Certificate[];
  keys: Pkcs12Key[];
}

export function badPassword(given: boolean): AssistantError {
  return given
    ? new AssistantError('PFX_BAD_PASSWORD', 'PFX 文件密码错误', { en: 'wrong PFX password' })
    : new AssistantError('PFX_PASSWORD_REQUIRED', '打开此 PFX 文件需要密码（CLI 中用 --password-stdin 提供）', { en: 'this PFX file needs a password (use --password-stdin)' });
}

/** Quick structural test: PFX ::= SEQUENCE { INTEGER 3, ContentInfo, MacData? }. */
export function looksLikePfx(top: asn1js.AsnType): boolean {
  if (!(top instanceof asn1js.Sequence)) return false;
  const [v, ci] = top.valueBlock.value;
  return v instanceof asn1js.Integer && v.valueBlock.valueDec === 3 && ci instanceof asn1js.Sequence && ci.valueBlock.value[0] instanceof asn1js.ObjectIdentifier;
}

function parseDer(bytes: Uint8Array, what: string): asn1js.AsnType {
  try {
    return parseBer(bytes, 'PFX_MALFORMED', { allowIndefinite: true });
  } catch {
    throw pfxMalformed(`${what}无效`, `${what} invalid`);
  }
}

function children(node: asn1js.AsnType | undefined, what: string): asn1js.AsnType[] {
  if (!(node instanceof asn1js.Sequence) && !(node instanceof asn1js.Set)) throw pfxMalformed(`${what}结构错误`, `${what} has the wrong type`);
  return node.valueBlock.value;
}

function oid(node: asn1js.AsnType | undefined, what: string): string {
  if (!(node instanceof asn1js.ObjectIdentifier)) throw pfxMalformed(`${what}缺少类型标识`, `${what} lacks an OID`);
  return node.valueBlock.toString();
}

/** Inner value of an [0] EXPLICIT wrapper. */
function explicit0(node: asn1js.AsnType | undefined, what: string): asn1js.AsnType {
  if (!node || node.idBlock.tagClass !== 3 || node.idBlock.tagNumber !== 0) throw pfxMalformed(`${what}缺少 [0]`, `${what} lacks [0]`);
  const inner = (node as asn1js.Constructed).valueBlock.value?.[0];
  if (!inner) throw pfxMalformed(`${what}为空`, `${what} empty`);
  return inner;
}

function octets(node: asn1js.AsnType | undefined, what: string): Uint8Array {
  if (!(node instanceof asn1js.OctetString)) throw pfxMalformed(`${what}不是 OCTET STRING`, `${what} is not an OCTET STRING`);
  return octetStringBytes(node);
}

function bagAttributes(node: asn1js.AsnType | undefined): Pkcs12Bag {
  const out: Pkcs12Bag = {};
  if (!(node instanceof asn1js.Set)) return out;
  for (const attr of node.valueBlock.value) {
    if (!(attr instanceof asn1js.Sequence)) continue;
    const [type, values] = attr.valueBlock.value;
    if (!(type instanceof asn1js.ObjectIdentifier) || !(values instanceof asn1js.Set)) continue;
    const v = values.valueBlock.value[0];
    const t = type.valueBlock.toString();
    if (t === BAG.friendlyName && v instanceof asn1js.BmpString) out.friendlyName = v.valueBlock.value;
    else if (t === BAG.friendlyName && v && typeof (v as asn1js.Utf8String).valueBlock?.value === 'string') out.friendlyName = (v as asn1js.Utf8String).valueBlock.value;
    else if (t === BAG.localKeyId && v instanceof asn1js.OctetString) out.localKeyId = Buffer.from(octetStringBytes(v)).toString('hex');
  }
  return out;
}

interface DecodeState {
  password: string;
  nullPassword: boolean;
  passwordGiven: boolean;
  decryptKeys: boolean;
  out: Pkcs12Contents;
}

function decrypt(state: DecodeState, alg: asn1js.AsnType, data: Uint8Array, macVerified: boolean): Uint8Array {
  try {
    const out = pbeDecrypt(alg, data, state.password, state.nullPassword);
    // Without a MAC, a wrong password shows only as garbage that happens to have valid padding.
    if (!macVerified) {
      try {
        if (out[0] !== 0x30) throw new Error('not DER');
        checkDerStructure(out, { allowIndefinite: true });
      } catch {
        throw badPassword(state.passwordGiven);
      }
    }
    return out;
  } catch (e) {
    if (e instanceof PasswordDecryptError) {
      // With a verified MAC the password is right, so the data itself is damaged.
      if (macVerified) throw pfxMalformed('解密失败（数据损坏）', 'decryption failed (damaged data)');
      throw badPassword(state.passwordGiven);
    }
    throw e;
  }
}

function readSafeContents(state: DecodeState, bytes: Uint8Array, macVerified: boolean, depth: number): void {
  if (depth > 3) throw pfxMalformed('嵌套过深', 'nested too deep');
  const bags = children(parseDer(bytes, 'SafeContents'), 'SafeContents');
  for (const bag of bags) {
    const [idNode, valueNode, attrsNode] = children(bag, 'SafeBag');
    const bagId = oid(idNode, 'SafeBag');
    const value = explicit0(valueNode, 'SafeBag');
    const attrs = bagAttributes(attrsNode);
    switch (bagId) {
      case BAG.cert: {
        const [certType, certValue] = children(value, 'CertBag');
        if (oid(certType, 'CertBag') !== BAG.x509Certificate) break; // SDSI certificates: ignored
        state.out.certificates.push({ der: octets(explicit0(certValue, 'CertBag'), '证书'), ...attrs });
        break;
      }
      case BAG.key:
        state.out.keys.push({ pkcs8: new Uint8Array(value.valueBeforeDecodeView), ...attrs });
        break;
      case BAG.shroudedKey: {
        const encrypted = new Uint8Array(value.valueBeforeDecodeView);
        if (!state.decryptKeys) {
          state.out.keys.push({ encrypted, ...attrs });
          break;
        }
        const [alg, data] = children(value, 'EncryptedPrivateKeyInfo');
        if (!alg) throw pfxMalformed('私钥缺少算法', 'key bag without algorithm');
        state.out.keys.push({ pkcs8: decrypt(state, alg, octets(data, '私钥'), macVerified), ...attrs });
        break;
      }
      case BAG.safeContents:
        readSafeContents(state, new Uint8Array(value.valueBeforeDecodeView), macVerified, depth + 1);
        break;
      default:
        break; // CRL and secret bags carry nothing we use
    }
  }
}

/**
 * Decodes a PFX. Without a password, tries the empty one (OpenSSL and Windows write both forms).
 * Throws PFX_BAD_PASSWORD / PFX_PASSWORD_REQUIRED / PFX_UNSUPPORTED_ALGORITHM / PFX_MALFORMED.
 */
export function decodePkcs12(
  bytes: Uint8Array,
  password: string | undefined,
  opts: {
    decryptKeys?: boolean;
    /** Without a password, read the clear parts without checking the MAC (listing only; sign() checks it). */
    listWithoutPassword?: boolean;
  } = {},
): Pkcs12Contents {
  if (bytes.length > MAX_PFX_BYTES) throw new AssistantError('FILE_TOO_LARGE', 'PFX 文件过大', { en: 'PFX file too large' });
  const top = parseDer(bytes, 'PFX');
  if (!looksLikePfx(top)) throw pfxMalformed('不是 PKCS#12', 'not PKCS#12');
  const [, authSafeInfo, macData] = (top as asn1js.Sequence).valueBlock.value;
  const [ctNode, contentNode] = children(authSafeInfo, 'authSafe');
  const ct = oid(ctNode, 'authSafe');
  if (ct === OID.pkcs7SignedData) throw unsupported('公钥完整性模式 (signedData)');
  if (ct !== OID.pkcs7Data) throw pfxMalformed('authSafe 类型未知', 'unknown authSafe type');
  const authSafe = octets(explicit0(contentNode, 'authSafe'), 'authSafe');

  const attempts: { password: string; nullPassword: boolean }[] =
    password === undefined || password === ''
      ? [{ password: '', nullPassword: false }, { password: '', nullPassword: true }]
      : // A file exported without a password opens whatever the user typed.
        [{ password, nullPassword: false }, { password: '', nullPassword: false }, { password: '', nullPassword: true }];
  let chosen = attempts[0]!;
  let macVerified = false;
  if (macData) {
    const ok = attempts.find((a) => checkPfxMac(macData, authSafe, a.password, a.nullPassword));
    if (!ok && opts.listWithoutPassword && password === undefined) return readClearParts(authSafe);
    if (!ok) throw badPassword(password !== undefined && password !== '');
    chosen = ok;
    macVerified = true;
  }
  const state: DecodeState = { ...chosen, passwordGiven: password !== undefined && password !== '', decryptKeys: opts.decryptKeys ?? true, out: { certificates: [], keys: [] } };
  for (const ci of children(parseDer(authSafe, 'AuthenticatedSafe'), 'AuthenticatedSafe')) {
    const [typeNode, content] = children(ci, 'ContentInfo');
    const type = oid(typeNode, 'ContentInfo');
    if (type === OID.pkcs7Data) {
      readSafeContents(state, octets(explicit0(content, 'ContentInfo'), 'SafeContents'), macVerified, 0);
    } else if (type === OID.pkcs7EncryptedData) {
      // EncryptedData ::= SEQUENCE { version, EncryptedContentInfo { contentType, alg, [0] IMPLICIT content } }
      const [, eci] = children(explicit0(content, 'EncryptedData'), 'EncryptedData');
      const [, alg, enc] = children(eci, 'EncryptedContentInfo');
      if (!alg || !enc || enc.idBlock.tagClass !== 3 || enc.idBlock.tagNumber !== 0) throw pfxMalformed('缺少加密内容', 'missing encrypted content');
      const data = enc.idBlock.isConstructed
        ? Buffer.concat((enc as asn1js.Constructed).valueBlock.value.map((p) => (p instanceof asn1js.OctetString ? octetStringBytes(p) : new Uint8Array(0))))
        : (enc as asn1js.Primitive).valueBlock.valueHexView;
      readSafeContents(state, decrypt(state, alg, data, macVerified), macVerified, 0);
    } else if (type === OID.pkcs7EnvelopedData) {
      throw unsupported('公钥加密模式 (envelopedData)');
    } else {
      throw pfxMalformed('ContentInfo 类型未知', 'unknown ContentInfo type');
    }
  }
  return state.out;
}

/** Certificates and shrouded keys stored outside encrypted containers, read without the password. */
function readClearParts(authSafe: Uint8Array): Pkcs12Contents {
  const state: DecodeState = { password: '', nullPassword: false, passwordGiven: false, decryptKeys: false, out: { certificates: [], keys: [] } };
  for (const ci of children(parseDer(authSafe, 'AuthenticatedSafe'), 'AuthenticatedSafe')) {
    const [typeNode, content] = children(ci, 'ContentInfo');
    const type = oid(typeNode, 'ContentInfo');
    if (type === OID.pkcs7Data) readSafeContents(state, octets(explicit0(content, 'ContentInfo'), 'SafeContents'), false, 0);
    else if (type === OID.pkcs7EncryptedData) throw badPassword(false);
  }
  return state.out;
}

/** Decrypts one EncryptedPrivateKeyInfo kept by decodePkcs12({ decryptKeys: false }). */
export function decryptPkcs8(encrypted: Uint8Array, password: string): Uint8Array {
  const node = parseDer(encrypted, 'EncryptedPrivateKeyInfo');
  const [alg, data] = children(node, 'EncryptedPrivateKeyInfo');
  if (!alg) throw pfxMalformed('私钥缺少算法', 'key without algorithm');
  const attempts = password === '' ? [false, true] : [false];
  for (const nullPassword of attempts) {
    try {
      const out = pbeDecrypt(alg, octets(data, '私钥'), password, nullPassword);
      // Valid padding by chance under a wrong password (files without a MAC): not DER.
      if (out[0] === 0x30) {
        checkDerStructure(out);
        return out;
      }
    } catch (e) {
      if (!(e instanceof PasswordDecryptError) && !(e instanceof AssistantError && e.code === 'CERT_MALFORMED')) throw e;
    }
  }
  throw badPassword(password !== '');
}
