/**
 * Reads whatever certificate file a user has: PEM (many blocks, any line endings, text around),
 * DER, PKCS#7 bundles (.p7b/.cer, DER or PEM), PKCS#12 (.pfx/.p12, legacy and modern), and
 * private keys (PKCS#8, SEC1, PKCS#1, encrypted PKCS#8). Every failure is a typed error.
 */
import { open } from 'node:fs/promises';
import * as asn1js from 'asn1js';
import { AssistantError } from '../errors.ts';
import { parseCertificate, type ParsedCertificate } from './certificate.ts';
import { checkDerStructure, parseBer } from './der.ts';
import { OID } from './oids.ts';
import { KdfSession, PasswordDecryptError, pbeDecrypt } from './pbe.ts';
import { badPassword, decodePkcs12, looksLikePfx, MAX_PFX_BYTES, prederivePkcs12 } from './pkcs12.ts';
import { describePrivateKey, pkcs1ToPkcs8, sec1ToPkcs8, type PrivateKeyMaterial } from './private-key.ts';
import { TAG } from './asn1-tags.ts';

export type { PrivateKeyMaterial } from './private-key.ts';

/** Certificate files are small; anything bigger is refused before it is read. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
/** More certificates than any real bundle holds. */
export const MAX_CERTIFICATES_PER_FILE = 500;

export interface ReadOptions {
  password?: string;
  fileName?: string;
  /** Decrypt PFX key bags (costs the PBKDF iterations); default true. */
  decryptKeys?: boolean;
  /** Refuse PFX content (PFX_NOT_ALLOWED) before any key derivation: trust files are read in the app's main process. */
  refusePkcs12?: boolean;
  /** Keys derived ahead for this read (readCertificatePath does it); the caller wipes it. */
  kdf?: KdfSession;
}

export interface CertificateFileContents {
  certificates: ParsedCertificate[];
  keys: PrivateKeyMaterial[];
  /** What the file turned out to be. */
  format: 'pem' | 'der' | 'pkcs7' | 'pkcs12' | 'pkcs8';
  /** PKCS#12 friendly names by certificate fingerprint. */
  friendlyNames: Record<string, string>;
}

function unrecognized(): AssistantError {
  return new AssistantError('FORMAT_UNRECOGNIZED', '无法识别的文件格式：不是证书（PEM/DER/P7B）或 PFX 文件', {
    en: 'unrecognised file format: not a certificate (PEM/DER/P7B) or PFX file',
  });
}

function tooLarge(bytes: number): AssistantError {
  return new AssistantError('FILE_TOO_LARGE', `文件过大（超过 ${MAX_FILE_BYTES / 1024 / 1024} MB），不是证书文件`, {
    en: `file too large (over ${MAX_FILE_BYTES / 1024 / 1024} MB) for a certificate file`,
    details: { bytes },
  });
}

function isPfxName(name: string | undefined): boolean {
  return !!name && /\.(pfx|p12)$/i.test(name);
}

/** Reads a file from disk, refusing large ones by size before reading them. */
export async function readCertificatePath(path: string, opts: Omit<ReadOptions, 'fileName'> = {}): Promise<CertificateFileContents> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AssistantError('FILE_NOT_FOUND', `找不到文件：${path}`, { en: `file not found: ${path}` });
    if (code === 'EISDIR') throw new AssistantError('FILE_IS_DIRECTORY', `这是一个目录，不是文件：${path}`, { en: `is a directory: ${path}` });
    throw new AssistantError('FILE_UNREADABLE', `无法读取文件：${path}`, { en: `cannot read file: ${path}` });
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new AssistantError('FILE_IS_DIRECTORY', `这是一个目录，不是文件：${path}`, { en: `is a directory: ${path}` });
    if (st.size > MAX_FILE_BYTES) throw tooLarge(st.size);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const { bytesRead } = await fh.read(buf, off, st.size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    const bytes = buf.subarray(0, off);
    const kdf = new KdfSession();
    try {
      // A PFX's PBKDF2 keys are derived in the thread pool while its MAC is checked here; any
      // problem (not a PFX at all, or a bad one) is left to the reader, which reports it in its place.
      if (bytes[0] === TAG.sequence) await prederivePkcs12(bytes, opts.password, { decryptKeys: opts.decryptKeys ?? true, kdf }).catch(() => {});
      return readCertificateFile(bytes, { ...opts, fileName: path, kdf });
    } finally {
      kdf.wipe();
    }
  } catch (e) {
    if (e instanceof AssistantError) throw e;
    throw new AssistantError('FILE_UNREADABLE', `无法读取文件：${path}`, { en: `cannot read file: ${path}` });
  } finally {
    await fh.close();
  }
}

/** Parses the bytes of a certificate/key file (format detected from content, not the name). */
export function readCertificateFile(bytes: Uint8Array, opts: ReadOptions = {}): CertificateFileContents {
  if (bytes.length === 0) throw new AssistantError('FILE_EMPTY', '文件为空', { en: 'file is empty' });
  if (bytes.length > MAX_FILE_BYTES) throw tooLarge(bytes.length);
  const first = bytes[0]!;
  if (first === TAG.sequence) return readDer(bytes, opts);
  const text = textOf(bytes);
  if (text !== null) {
    if (text.includes('-----BEGIN')) return readPem(text, opts);
    const bare = bareBase64(text);
    if (bare) return readDer(bare, opts);
  }
  throw unrecognized();
}

/** Text view of a file that looks like ASCII/UTF-8 text (BOM tolerated); null for binary. */
function textOf(bytes: Uint8Array): string | null {
  const sample = bytes.subarray(0, Math.min(bytes.length, 4096));
  for (const b of sample) if (b === 0 || (b < 0x09) || (b > 0x0d && b < 0x20 && b !== 0x1b)) return null;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8').replace(/^\uFEFF/, '');
}

/** Some .cer files are base64 without armour. */
function bareBase64(text: string): Uint8Array | null {
  const compact = text.replace(/\s+/g, '');
  if (compact.length < 64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return null;
  const der = Buffer.from(compact, 'base64');
  return der[0] === TAG.sequence ? new Uint8Array(der) : null;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 #]+)-----([\s\S]*?)-----END \1-----/g;

function readPem(text: string, opts: ReadOptions): CertificateFileContents {
  const out: CertificateFileContents = { certificates: [], keys: [], format: 'pem', friendlyNames: {} };
  let blocks = 0;
  for (const m of text.matchAll(PEM_BLOCK)) {
    const label = m[1]!;
    const body = m[2]!.replace(/^[A-Za-z-]+:.*$/gm, '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length === 0) {
      throw new AssistantError('PEM_MALFORMED', `PEM 块“${label}”的 Base64 内容无效`, { en: `invalid base64 in PEM block "${label}"` });
    }
    const der = new Uint8Array(Buffer.from(body, 'base64'));
    blocks++;
    switch (label) {
      case 'CERTIFICATE':
      case 'X509 CERTIFICATE':
        addCertificate(out, der);
        break;
      case 'TRUSTED CERTIFICATE': {
        // OpenSSL appends trust settings after the certificate.
        const end = checkDerStructure(der);
        addCertificate(out, der.subarray(0, end));
        break;
      }
      case 'PKCS7':
      case 'CMS':
        for (const c of pkcs7Certificates(der)) addCertificate(out, c);
        break;
      case 'PRIVATE KEY':
        out.keys.push(describePrivateKey(der));
        break;
      case 'RSA PRIVATE KEY':
        out.keys.push(describePrivateKey(pkcs1ToPkcs8(der)));
        break;
      case 'EC PRIVATE KEY':
        out.keys.push(describePrivateKey(sec1ToPkcs8(der)));
        break;
      case 'ENCRYPTED PRIVATE KEY':
        if (opts.decryptKeys !== false) out.keys.push(describePrivateKey(decryptEncryptedPkcs8(der, opts.password)));
        break;
      default:
        blocks--; // CSRs, parameters, CRLs: not what this reader is for
    }
  }
  if (blocks === 0) throw unrecognized();
  return out;
}

function addCertificate(out: CertificateFileContents, der: Uint8Array): void {
  if (out.certificates.length >= MAX_CERTIFICATES_PER_FILE) {
    throw new AssistantError('TOO_MANY_CERTIFICATES', `文件中的证书过多（超过 ${MAX_CERTIFICATES_PER_FILE} 张）`, { en: `too many certificates (over ${MAX_CERTIFICATES_PER_FILE})` });
  }
  out.certificates.push(parseCertificate(der));
}

function decryptEncryptedPkcs8(der: Uint8Array, password: string | undefined): Uint8Array {
  if (password === undefined) throw badPassword(false);
  const top = parseBer(der, 'KEY_MALFORMED');
  const [alg, data] = top instanceof asn1js.Sequence ? top.valueBlock.value : [];
  if (!alg || !(data instanceof asn1js.OctetString)) throw new AssistantError('KEY_MALFORMED', '加密私钥格式错误', { en: 'malformed encrypted private key' });
  const wrong = (): AssistantError => new AssistantError('KEY_BAD_PASSWORD', '私钥密码错误', { en: 'wrong private key password' });
  let out: Uint8Array;
  try {
    out = pbeDecrypt(alg, data.valueBlock.valueHexView, password);
  } catch (e) {
    if (e instanceof PasswordDecryptError) throw wrong();
    throw e;
  }
  // A wrong password sometimes yields valid padding by chance: garbage that is not DER.
  try {
    if (out[0] !== TAG.sequence) throw new Error('not DER');
    checkDerStructure(out);
  } catch {
    throw wrong();
  }
  return out;
}

/** Certificates of a PKCS#7/CMS SignedData (the .p7b "certificate bundle"). */
function pkcs7Certificates(der: Uint8Array): Uint8Array[] {
  const top = parseBer(der, 'CERT_MALFORMED', { allowIndefinite: true });
  return pkcs7CertificatesOf(top) ?? [];
}

function pkcs7CertificatesOf(top: asn1js.AsnType): Uint8Array[] | null {
  if (!(top instanceof asn1js.Sequence)) return null;
  const [type, content] = top.valueBlock.value;
  if (!(type instanceof asn1js.ObjectIdentifier) || type.valueBlock.toString() !== OID.pkcs7SignedData) return null;
  const signedData = (content as asn1js.Constructed | undefined)?.valueBlock?.value?.[0];
  if (!(signedData instanceof asn1js.Sequence)) throw new AssistantError('CERT_MALFORMED', 'PKCS#7 结构错误', { en: 'malformed PKCS#7' });
  const certs: Uint8Array[] = [];
  for (const item of signedData.valueBlock.value) {
    // certificates [0] IMPLICIT SET OF CertificateChoices
    if (item.idBlock.tagClass === 3 && item.idBlock.tagNumber === 0) {
      for (const c of (item as asn1js.Constructed).valueBlock.value) {
        if (c instanceof asn1js.Sequence) certs.push(new Uint8Array(c.valueBeforeDecodeView));
      }
    }
  }
  return certs;
}

function readDer(bytes: Uint8Array, opts: ReadOptions): CertificateFileContents {
  const pfxName = isPfxName(opts.fileName);
  let end: number;
  try {
    end = checkDerStructure(bytes, { allowIndefinite: true });
  } catch (e) {
    if (pfxName && e instanceof AssistantError) throw new AssistantError('PFX_MALFORMED', e.message.replace('证书数据', 'PFX 数据'), { en: e.messageEn ?? 'malformed PFX' });
    throw e;
  }
  if (end !== bytes.length && bytes.subarray(end).some((b) => b !== 0 && b !== 0x0a && b !== 0x0d)) {
    throw new AssistantError(pfxName ? 'PFX_MALFORMED' : 'CERT_MALFORMED', '数据末尾有多余内容', { en: 'trailing data after the structure' });
  }
  const der = bytes.subarray(0, end);
  const top = parseBer(der, pfxName ? 'PFX_MALFORMED' : 'CERT_MALFORMED', { allowIndefinite: true });
  if (!(top instanceof asn1js.Sequence)) throw unrecognized();
  const items = top.valueBlock.value;

  if (looksLikePfx(top)) {
    if (opts.refusePkcs12) throw new AssistantError('PFX_NOT_ALLOWED', '此处只接受证书文件（PEM/DER/P7B），不接受 PFX 文件', { en: 'a certificate file (PEM/DER/P7B) is expected here, not a PFX file' });
    if (der.length > MAX_PFX_BYTES) throw new AssistantError('FILE_TOO_LARGE', 'PFX 文件过大', { en: 'PFX file too large' });
    const p12 = decodePkcs12(der, opts.password, { decryptKeys: opts.decryptKeys ?? true, ...(opts.kdf ? { kdf: opts.kdf } : {}) });
    const out: CertificateFileContents = { certificates: [], keys: [], format: 'pkcs12', friendlyNames: {} };
    for (const c of p12.certificates) {
      addCertificate(out, c.der);
      if (c.friendlyName !== undefined) out.friendlyNames[out.certificates[out.certificates.length - 1]!.fingerprintSha256] = c.friendlyName;
    }
    for (const k of p12.keys) {
      if (k.pkcs8) out.keys.push(describePrivateKey(k.pkcs8, { ...(k.friendlyName !== undefined ? { friendlyName: k.friendlyName } : {}), ...(k.localKeyId !== undefined ? { localKeyId: k.localKeyId } : {}) }));
    }
    return out;
  }
  const p7 = pkcs7CertificatesOf(top);
  if (p7) {
    const out: CertificateFileContents = { certificates: [], keys: [], format: 'pkcs7', friendlyNames: {} };
    for (const c of p7) addCertificate(out, c);
    return out;
  }
  // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm SEQUENCE, signature BIT STRING }
  if (items.length === 3 && items[0] instanceof asn1js.Sequence && items[1] instanceof asn1js.Sequence && items[2] instanceof asn1js.BitString) {
    return { certificates: [parseCertificate(der)], keys: [], format: 'der', friendlyNames: {} };
  }
  // PrivateKeyInfo ::= SEQUENCE { INTEGER 0, AlgorithmIdentifier, OCTET STRING, ... }
  if (items[0] instanceof asn1js.Integer && items[1] instanceof asn1js.Sequence && items[2] instanceof asn1js.OctetString) {
    return { certificates: [], keys: [describePrivateKey(der)], format: 'pkcs8', friendlyNames: {} };
  }
  // EncryptedPrivateKeyInfo ::= SEQUENCE { AlgorithmIdentifier, OCTET STRING }
  if (items.length === 2 && items[0] instanceof asn1js.Sequence && items[1] instanceof asn1js.OctetString) {
    const keys = opts.decryptKeys === false ? [] : [describePrivateKey(decryptEncryptedPkcs8(der, opts.password))];
    return { certificates: [], keys, format: 'pkcs8', friendlyNames: {} };
  }
  if (pfxName) throw new AssistantError('PFX_MALFORMED', 'PFX 文件结构错误：不是 PKCS#12', { en: 'malformed PFX: not PKCS#12' });
  throw unrecognized();
}
