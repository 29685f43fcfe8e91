/**
 * PKCS#12 (.pfx/.p12) decoding with asn1js: the whole structure in our hands, so each failure
 * gets its own code (wrong password, unsupported algorithm, malformed) and SM2 keys work.
 * Crypto primitives live in pbe.ts.
 */
import * as asn1js from 'asn1js';
import { AssistantError } from '../errors.ts';
import { checkDerStructure, parseBer } from './der.ts';
import { OID } from './oids.ts';
import { TAG } from './asn1-tags.ts';
import {
  checkMacScheme, KdfSession, MAX_KDF_WORK, macScheme, macWork, octetStringBytes, PasswordDecryptError, pbeDecrypt, pbeDecryptScheme, pbeScheme, pbeWork, pfxMalformed,
  unsupported, type MacScheme, type PasswordAttempt, type PbeScheme,
} from './pbe.ts';

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

/**
 * What one PFX file may ask of us, checked before the work is spent (docs/pki.md, "PFX limits").
 * KDF work counts hash-chain iterations as run: the MAC's, and every encrypted container's and
 * key bag's (PBKDF2 per PRF block, the PKCS#12 KDF per key and IV block). A file NSS writes with
 * 600,000 iterations costs 1,800,000; OpenSSL's and Windows' defaults a few thousand.
 */
export const PFX_LIMITS = { maxBytes: MAX_PFX_BYTES, maxKdfWork: MAX_KDF_WORK, maxBags: 64 } as const;

export function pfxTooExpensive(work: number): AssistantError {
  const n = work.toLocaleString('en-US');
  const cap = PFX_LIMITS.maxKdfWork.toLocaleString('en-US');
  return new AssistantError('PFX_TOO_EXPENSIVE', `PFX 文件要求的密钥计算量过大（${n} 次迭代，上限 ${cap}），已拒绝打开：常见工具导出的文件远低于此值，此文件可能是恶意构造的。请用证书工具按默认参数重新导出`, {
    en: `the PFX file asks for too much key-derivation work (${n} iterations, limit ${cap}); refused before spending it. Re-export it with default settings`,
    details: { work, limit: PFX_LIMITS.maxKdfWork },
  });
}

export function pfxTooManyBags(): AssistantError {
  return new AssistantError('PFX_TOO_MANY_BAGS', `PFX 文件中的条目过多（超过 ${PFX_LIMITS.maxBags} 个），已拒绝打开：一个证书文件通常只有几个条目`, {
    en: `the PFX file holds too many entries (over ${PFX_LIMITS.maxBags}); refused`,
    details: { limit: PFX_LIMITS.maxBags },
  });
}

/** Counts what a file declares as it is discovered, and refuses before the cost is paid. */
class PfxBudget {
  work = 0;
  bags = 0;
  addWork(n: number): void {
    this.work += n;
    if (this.work > PFX_LIMITS.maxKdfWork) throw pfxTooExpensive(this.work);
  }
  addBag(): void {
    if (++this.bags > PFX_LIMITS.maxBags) throw pfxTooManyBags();
  }
}

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
  attempt: PasswordAttempt;
  passwordGiven: boolean;
  decryptKeys: boolean;
  kdf: KdfSession;
  budget: PfxBudget;
  out: Pkcs12Contents;
}

/** Cost of a scheme the file declares; one we cannot run costs nothing (it fails in its place). */
function schemeOf(alg: asn1js.AsnType | undefined): PbeScheme | null {
  if (!alg) return null;
  try {
    return pbeScheme(alg);
  } catch (e) {
    if (e instanceof AssistantError) return null;
    throw e;
  }
}

/**
 * Counts a SafeContents' bags and its key bags' KDF work (nested SafeContents too) without
 * decrypting anything; returns the key bags' schemes so their keys can be derived ahead.
 */
function countSafeContents(budget: PfxBudget, bytes: Uint8Array, depth: number, schemes: PbeScheme[]): void {
  if (depth > 3) throw pfxMalformed('嵌套过深', 'nested too deep');
  for (const bag of children(parseDer(bytes, 'SafeContents'), 'SafeContents')) {
    budget.addBag();
    const [idNode, valueNode] = children(bag, 'SafeBag');
    const bagId = oid(idNode, 'SafeBag');
    if (bagId === BAG.shroudedKey) {
      const scheme = schemeOf(children(explicit0(valueNode, 'SafeBag'), 'EncryptedPrivateKeyInfo')[0]);
      if (scheme) {
        budget.addWork(pbeWork(scheme));
        schemes.push(scheme);
      }
    } else if (bagId === BAG.safeContents) {
      countSafeContents(budget, new Uint8Array(explicit0(valueNode, 'SafeBag').valueBeforeDecodeView), depth + 1, schemes);
    }
  }
}

function decrypt(state: DecodeState, scheme: PbeScheme, data: Uint8Array, macVerified: boolean): Uint8Array {
  try {
    const out = pbeDecryptScheme(scheme, data, state.attempt, state.kdf);
    // Without a MAC, a wrong password shows only as garbage that happens to have valid padding.
    if (!macVerified) {
      try {
        if (out[0] !== TAG.sequence) throw new Error('not DER');
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
        state.out.keys.push({ pkcs8: decrypt(state, pbeScheme(alg), octets(data, '私钥'), macVerified), ...attrs });
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

type AuthSafeEntry =
  | { kind: 'data'; safeContents: Uint8Array }
  | { kind: 'encrypted'; scheme: PbeScheme; data: Uint8Array };

/** A PFX as declared, parsed and counted: nothing derived or decrypted yet. */
interface ScannedPfx {
  authSafe: Uint8Array;
  mac: MacScheme | null;
  entries: AuthSafeEntry[];
  budget: PfxBudget;
  /** Schemes whose keys the first password attempt will need (containers, then visible key bags). */
  schemes: PbeScheme[];
}

/**
 * Parses a PFX's outer layers and adds up what opening it would cost — MAC, every encrypted
 * container, every key bag in sight — refusing over PFX_LIMITS before any key is derived.
 */
function scanPfx(bytes: Uint8Array): ScannedPfx {
  if (bytes.length > PFX_LIMITS.maxBytes) throw new AssistantError('FILE_TOO_LARGE', 'PFX 文件过大', { en: 'PFX file too large' });
  const top = parseDer(bytes, 'PFX');
  if (!looksLikePfx(top)) throw pfxMalformed('不是 PKCS#12', 'not PKCS#12');
  const [, authSafeInfo, macData] = (top as asn1js.Sequence).valueBlock.value;
  const [ctNode, contentNode] = children(authSafeInfo, 'authSafe');
  const ct = oid(ctNode, 'authSafe');
  if (ct === OID.pkcs7SignedData) throw unsupported('公钥完整性模式 (signedData)');
  if (ct !== OID.pkcs7Data) throw pfxMalformed('authSafe 类型未知', 'unknown authSafe type');
  const authSafe = octets(explicit0(contentNode, 'authSafe'), 'authSafe');
  const budget = new PfxBudget();
  const mac = macData ? macScheme(macData) : null;
  if (mac) budget.addWork(macWork(mac));
  const entries: AuthSafeEntry[] = [];
  const schemes: PbeScheme[] = [];
  const keySchemes: PbeScheme[] = [];
  for (const ci of children(parseDer(authSafe, 'AuthenticatedSafe'), 'AuthenticatedSafe')) {
    budget.addBag();
    const [typeNode, content] = children(ci, 'ContentInfo');
    const type = oid(typeNode, 'ContentInfo');
    if (type === OID.pkcs7Data) {
      const safeContents = octets(explicit0(content, 'ContentInfo'), 'SafeContents');
      countSafeContents(budget, safeContents, 0, keySchemes);
      entries.push({ kind: 'data', safeContents });
    } else if (type === OID.pkcs7EncryptedData) {
      // EncryptedData ::= SEQUENCE { version, EncryptedContentInfo { contentType, alg, [0] IMPLICIT content } }
      const [, eci] = children(explicit0(content, 'EncryptedData'), 'EncryptedData');
      const [, alg, enc] = children(eci, 'EncryptedContentInfo');
      if (!alg || !enc || enc.idBlock.tagClass !== 3 || enc.idBlock.tagNumber !== 0) throw pfxMalformed('缺少加密内容', 'missing encrypted content');
      const data = enc.idBlock.isConstructed
        ? Buffer.concat((enc as asn1js.Constructed).valueBlock.value.map((p) => (p instanceof asn1js.OctetString ? octetStringBytes(p) : new Uint8Array(0))))
        : (enc as asn1js.Primitive).valueBlock.valueHexView;
      const scheme = pbeScheme(alg);
      budget.addWork(pbeWork(scheme));
      schemes.push(scheme);
      entries.push({ kind: 'encrypted', scheme, data });
    } else if (type === OID.pkcs7EnvelopedData) {
      throw unsupported('公钥加密模式 (envelopedData)');
    } else {
      throw pfxMalformed('ContentInfo 类型未知', 'unknown ContentInfo type');
    }
  }
  return { authSafe, mac, entries, budget, schemes: [...schemes, ...keySchemes] };
}

function attemptsFor(password: string | undefined): PasswordAttempt[] {
  return password === undefined || password === ''
    ? [{ password: '', nullPassword: false }, { password: '', nullPassword: true }]
    : // A file exported without a password opens whatever the user typed.
      [{ password, nullPassword: false }, { password: '', nullPassword: false }, { password: '', nullPassword: true }];
}

export interface DecodeOptions {
  decryptKeys?: boolean;
  /** Without a password, read the clear parts without checking the MAC (listing only; sign() checks it). */
  listWithoutPassword?: boolean;
  /** Keys already derived for this open (decodePkcs12Async); the caller wipes it. */
  kdf?: KdfSession;
}

/**
 * Decodes a PFX. Without a password, tries the empty one (OpenSSL and Windows write both forms).
 * Throws PFX_BAD_PASSWORD / PFX_PASSWORD_REQUIRED / PFX_UNSUPPORTED_ALGORITHM / PFX_MALFORMED,
 * and PFX_TOO_EXPENSIVE / PFX_TOO_MANY_BAGS / FILE_TOO_LARGE over PFX_LIMITS (before the work).
 */
export function decodePkcs12(bytes: Uint8Array, password: string | undefined, opts: DecodeOptions = {}): Pkcs12Contents {
  const scanned = scanPfx(bytes);
  const kdf = opts.kdf ?? new KdfSession();
  try {
    return decodeScanned(scanned, password, opts, kdf);
  } finally {
    if (!opts.kdf) kdf.wipe();
  }
}

/**
 * decodePkcs12, with the PBKDF2 keys the given password needs derived in Node's thread pool while
 * the MAC is checked on this thread (the worker's and the CLI's way: a PFX NSS writes with
 * 600,000 iterations opens about as fast as `openssl pkcs12` opens it). Keys are still used only
 * once the MAC has verified the password.
 */
export async function decodePkcs12Async(
  bytes: Uint8Array,
  password: string | undefined,
  opts: DecodeOptions & {
    /** Derive the key bags' keys ahead too, into opts.kdf, for a decryptPkcs8 right after (signing). */
    prefetchKeys?: boolean;
  } = {},
): Promise<Pkcs12Contents> {
  const scanned = scanPfx(bytes);
  const kdf = opts.kdf ?? new KdfSession();
  try {
    await prederive(scanned, password, (opts.decryptKeys ?? true) || opts.prefetchKeys === true, kdf);
    return decodeScanned(scanned, password, opts, kdf);
  } finally {
    if (!opts.kdf) kdf.wipe();
  }
}

/**
 * Derives into `kdf` what decoding `bytes` with `password` will need (see decodePkcs12Async), for
 * a synchronous decodePkcs12({ kdf }) right after. Refuses over PFX_LIMITS like the decode does.
 */
export async function prederivePkcs12(bytes: Uint8Array, password: string | undefined, opts: { decryptKeys: boolean; kdf: KdfSession }): Promise<void> {
  await prederive(scanPfx(bytes), password, opts.decryptKeys, opts.kdf);
}

async function prederive(scanned: ScannedPfx, password: string | undefined, keysToo: boolean, kdf: KdfSession): Promise<void> {
  const first = attemptsFor(password)[0]!;
  const containers = scanned.entries.filter((e) => e.kind === 'encrypted').length;
  // PBKDF2 runs in the thread pool meanwhile; the MAC (PKCS#12 KDF) here.
  scanned.schemes.forEach((s, i) => {
    if (i < containers || keysToo) kdf.prefetch(first.password, s);
  });
  if (scanned.mac) checkMacScheme(scanned.mac, scanned.authSafe, first, kdf);
  await kdf.settled();
}

function decodeScanned(scanned: ScannedPfx, password: string | undefined, opts: DecodeOptions, kdf: KdfSession): Pkcs12Contents {
  const attempts = attemptsFor(password);
  let chosen = attempts[0]!;
  let macVerified = false;
  if (scanned.mac) {
    const mac = scanned.mac;
    const ok = attempts.find((a) => checkMacScheme(mac, scanned.authSafe, a, kdf));
    if (!ok && opts.listWithoutPassword && password === undefined) return readClearParts(scanned, kdf);
    if (!ok) throw badPassword(password !== undefined && password !== '');
    chosen = ok;
    macVerified = true;
  }
  const state: DecodeState = {
    attempt: chosen, passwordGiven: password !== undefined && password !== '', decryptKeys: opts.decryptKeys ?? true, kdf, budget: scanned.budget,
    out: { certificates: [], keys: [] },
  };
  for (const entry of scanned.entries) {
    if (entry.kind === 'data') {
      readSafeContents(state, entry.safeContents, macVerified, 0);
    } else {
      const plain = decrypt(state, entry.scheme, entry.data, macVerified);
      // What a container holds is seen only now: counted before any of it is worked on.
      countSafeContents(state.budget, plain, 0, []);
      readSafeContents(state, plain, macVerified, 0);
    }
  }
  return state.out;
}

/** Certificates and shrouded keys stored outside encrypted containers, read without the password. */
function readClearParts(scanned: ScannedPfx, kdf: KdfSession): Pkcs12Contents {
  const state: DecodeState = { attempt: { password: '', nullPassword: false }, passwordGiven: false, decryptKeys: false, kdf, budget: scanned.budget, out: { certificates: [], keys: [] } };
  for (const entry of scanned.entries) {
    if (entry.kind === 'data') readSafeContents(state, entry.safeContents, false, 0);
    else throw badPassword(false);
  }
  return state.out;
}

/** Decrypts one EncryptedPrivateKeyInfo kept by decodePkcs12({ decryptKeys: false }). */
export function decryptPkcs8(encrypted: Uint8Array, password: string, kdf: KdfSession = new KdfSession()): Uint8Array {
  const node = parseDer(encrypted, 'EncryptedPrivateKeyInfo');
  const [alg, data] = children(node, 'EncryptedPrivateKeyInfo');
  if (!alg) throw pfxMalformed('私钥缺少算法', 'key without algorithm');
  const attempts = password === '' ? [false, true] : [false];
  for (const nullPassword of attempts) {
    try {
      const out = pbeDecrypt(alg, octets(data, '私钥'), password, nullPassword, kdf);
      // Valid padding by chance under a wrong password (files without a MAC): not DER.
      if (out[0] === TAG.sequence) {
        checkDerStructure(out);
        return out;
      }
    } catch (e) {
      if (!(e instanceof PasswordDecryptError) && !(e instanceof AssistantError && e.code === 'CERT_MALFORMED')) throw e;
    }
  }
  throw badPassword(password !== '');
}
