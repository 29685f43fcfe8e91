import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';
import { winError } from './win-errors.ts';

/**
 * crypt32 / advapi32 (CryptoAPI) / ncrypt (CNG) / kernel32 through koffi, Windows x64 only.
 * ABI: the Win32 API is __stdcall (WINAPI); on x64 there is one calling convention (the Microsoft
 * x64 ABI), so koffi's default is right and we declare every function without a convention.
 * Types as the SDK has them on x64: DWORD/BOOL/ALG_ID = 32 bits, HCRYPTPROV/HCRYPTHASH/
 * NCRYPT_KEY_HANDLE = ULONG_PTR (64 bits), HCERTSTORE/PCCERT_CONTEXT = pointers, strings UTF-16.
 * koffi keeps each call's GetLastError value, so kernel32's GetLastError right after a call reads it.
 * Loaded lazily (createRequire) so Linux code that only names these types never loads koffi.
 */

type KoffiModule = typeof Koffi;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type NativeFn = (...args: any[]) => any;

export const CERT_STORE_PROV_SYSTEM_W = 10;
export const X509_ASN_ENCODING = 0x1;
export const PKCS_7_ASN_ENCODING = 0x10000;
export const CERT_SYSTEM_STORE_CURRENT_USER = 1 << 16;
export const CERT_SYSTEM_STORE_LOCAL_MACHINE = 2 << 16;
export const CERT_STORE_READONLY_FLAG = 0x8000;
export const CERT_STORE_OPEN_EXISTING_FLAG = 0x4000;
export const CERT_KEY_PROV_INFO_PROP_ID = 2;
export const CERT_KEY_SPEC_PROP_ID = 6;
export const CERT_FRIENDLY_NAME_PROP_ID = 11;
export const CERT_NCRYPT_KEY_SPEC = 0xffffffff;
export const AT_KEYEXCHANGE = 1;
export const AT_SIGNATURE = 2;
export const CRYPT_ACQUIRE_COMPARE_KEY_FLAG = 0x4;
export const CRYPT_ACQUIRE_SILENT_FLAG = 0x40;
export const CRYPT_ACQUIRE_ALLOW_NCRYPT_KEY_FLAG = 0x10000;
export const CALG_SHA_256 = 0x800c;
export const HP_HASHVAL = 2;
export const PP_PROVTYPE = 16;
export const PP_KEYEXCHANGE_PIN = 32;
export const PP_SIGNATURE_PIN = 33;
export const PROV_RSA_AES = 24;
export const CRYPT_SILENT = 0x40;
export const CRYPT_MACHINE_KEYSET = 0x20;
export const BCRYPT_PAD_PKCS1 = 0x2;
/** NCryptDecrypt: PKCS#1 v1.5 type 2 (RSAES-PKCS1-v1_5), no padding info. */
export const NCRYPT_PAD_PKCS1_FLAG = 0x2;
export const NCRYPT_SILENT_FLAG = 0x40;
export const MS_ENH_RSA_AES_PROV = 'Microsoft Enhanced RSA and AES Cryptographic Provider';

let loaded: ReturnType<typeof declare> | null = null;

function declare(koffi: KoffiModule) {
  const CERT_CONTEXT = koffi.struct('CA_CERT_CONTEXT', {
    dwCertEncodingType: 'uint32', pbCertEncoded: 'void *', cbCertEncoded: 'uint32', pCertInfo: 'void *', hCertStore: 'void *',
  });
  const KEY_PROV_INFO = koffi.struct('CA_CRYPT_KEY_PROV_INFO', {
    pwszContainerName: 'str16', pwszProvName: 'str16', dwProvType: 'uint32', dwFlags: 'uint32', cProvParam: 'uint32', rgProvParam: 'void *', dwKeySpec: 'uint32',
  });
  const PKCS1_PADDING_INFO = koffi.struct('CA_BCRYPT_PKCS1_PADDING_INFO', { pszAlgId: 'str16' });
  const PCTX = koffi.pointer(CERT_CONTEXT);
  const outPtr = koffi.out(koffi.pointer('uintptr_t'));
  const outU32 = koffi.out(koffi.pointer('uint32'));
  const inoutU32 = koffi.inout(koffi.pointer('uint32'));
  const crypt32 = koffi.load('crypt32.dll');
  const advapi32 = koffi.load('advapi32.dll');
  const kernel32 = koffi.load('kernel32.dll');
  let ncrypt: Koffi.IKoffiLib | null = null;
  try {
    ncrypt = koffi.load('ncrypt.dll');
  } catch {
    // Very old systems: CNG keys then cannot be used, CryptoAPI ones still can.
  }
  const f = (lib: Koffi.IKoffiLib, name: string, ret: string | Koffi.IKoffiCType, params: Array<string | Koffi.IKoffiCType>): NativeFn => lib.func(name, ret, params) as NativeFn;
  const fns = {
    GetLastError: f(kernel32, 'GetLastError', 'uint32', []),
    SetLastError: f(kernel32, 'SetLastError', 'void', ['uint32']),
    CertOpenStore: f(crypt32, 'CertOpenStore', 'void *', ['uintptr_t', 'uint32', 'uintptr_t', 'uint32', 'str16']),
    CertCloseStore: f(crypt32, 'CertCloseStore', 'int32', ['void *', 'uint32']),
    CertEnumCertificatesInStore: f(crypt32, 'CertEnumCertificatesInStore', PCTX, ['void *', PCTX]),
    CertDuplicateCertificateContext: f(crypt32, 'CertDuplicateCertificateContext', PCTX, [PCTX]),
    CertFreeCertificateContext: f(crypt32, 'CertFreeCertificateContext', 'int32', [PCTX]),
    CertGetCertificateContextProperty: f(crypt32, 'CertGetCertificateContextProperty', 'int32', [PCTX, 'uint32', 'void *', inoutU32]),
    CryptAcquireCertificatePrivateKey: f(crypt32, 'CryptAcquireCertificatePrivateKey', 'int32', [PCTX, 'uint32', 'void *', outPtr, outU32, koffi.out(koffi.pointer('int32'))]),
    CryptAcquireContextW: f(advapi32, 'CryptAcquireContextW', 'int32', [outPtr, 'str16', 'str16', 'uint32', 'uint32']),
    CryptReleaseContext: f(advapi32, 'CryptReleaseContext', 'int32', ['uintptr_t', 'uint32']),
    CryptGetProvParam: f(advapi32, 'CryptGetProvParam', 'int32', ['uintptr_t', 'uint32', 'void *', inoutU32, 'uint32']),
    CryptSetProvParam: f(advapi32, 'CryptSetProvParam', 'int32', ['uintptr_t', 'uint32', 'void *', 'uint32']),
    CryptCreateHash: f(advapi32, 'CryptCreateHash', 'int32', ['uintptr_t', 'uint32', 'uintptr_t', 'uint32', outPtr]),
    CryptSetHashParam: f(advapi32, 'CryptSetHashParam', 'int32', ['uintptr_t', 'uint32', 'void *', 'uint32']),
    CryptSignHashW: f(advapi32, 'CryptSignHashW', 'int32', ['uintptr_t', 'uint32', 'str16', 'uint32', 'void *', inoutU32]),
    CryptDestroyHash: f(advapi32, 'CryptDestroyHash', 'int32', ['uintptr_t']),
    CryptGetUserKey: f(advapi32, 'CryptGetUserKey', 'int32', ['uintptr_t', 'uint32', outPtr]),
    CryptDecrypt: f(advapi32, 'CryptDecrypt', 'int32', ['uintptr_t', 'uintptr_t', 'int32', 'uint32', 'void *', inoutU32]),
    CryptDestroyKey: f(advapi32, 'CryptDestroyKey', 'int32', ['uintptr_t']),
    NCryptSignHash: ncrypt ? f(ncrypt, 'NCryptSignHash', 'int32', ['uintptr_t', koffi.pointer(PKCS1_PADDING_INFO), 'void *', 'uint32', 'void *', 'uint32', outU32, 'uint32']) : null,
    NCryptDecrypt: ncrypt ? f(ncrypt, 'NCryptDecrypt', 'int32', ['uintptr_t', 'void *', 'uint32', 'void *', 'void *', 'uint32', outU32, 'uint32']) : null,
    NCryptSetProperty: ncrypt ? f(ncrypt, 'NCryptSetProperty', 'int32', ['uintptr_t', 'str16', 'void *', 'uint32', 'uint32']) : null,
    NCryptFreeObject: ncrypt ? f(ncrypt, 'NCryptFreeObject', 'int32', ['uintptr_t']) : null,
  };
  return { koffi, fns, types: { CERT_CONTEXT, KEY_PROV_INFO } };
}

function api(): ReturnType<typeof declare> {
  if (!loaded) {
    if (process.platform !== 'win32') throw winError(0x80090029, 'load', { reason: 'not Windows' });
    const koffi = createRequire(import.meta.url)('koffi') as KoffiModule;
    loaded = declare(koffi);
  }
  return loaded;
}

/** An opaque native pointer (koffi external). */
export type NativePointer = unknown;

export interface StoreCertificate {
  der: Uint8Array;
  /** CERT_KEY_PROV_INFO_PROP_ID is set: a private key is bound to the certificate. */
  hasKey: boolean;
  friendlyName: string | null;
  provider: { container: string; provider: string; provType: number; flags: number; keySpec: number } | null;
}

function lastError(): number {
  return (api().fns.GetLastError() as number) >>> 0;
}

function check(ok: number, fn: string, extra?: Record<string, unknown>): void {
  if (!ok) throw winError(lastError(), fn, extra);
}

/** Opens a system store (`MY`, `ROOT`) of the current user or the machine; read-only unless asked. */
export function openSystemStore(location: 'CurrentUser' | 'LocalMachine', name: string, opts: { readOnly: boolean }): NativePointer {
  const { fns } = api();
  const flags = (location === 'CurrentUser' ? CERT_SYSTEM_STORE_CURRENT_USER : CERT_SYSTEM_STORE_LOCAL_MACHINE)
    | CERT_STORE_OPEN_EXISTING_FLAG | (opts.readOnly ? CERT_STORE_READONLY_FLAG : 0);
  const h = fns.CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0, flags, name) as NativePointer;
  if (!h) throw winError(lastError(), 'CertOpenStore', { store: `${location}\\${name}` });
  return h;
}

export function closeStore(h: NativePointer): void {
  api().fns.CertCloseStore(h, 0);
}

function property(ctx: NativePointer, id: number): Buffer | null {
  const { fns } = api();
  const size: [number] = [0];
  if (!fns.CertGetCertificateContextProperty(ctx, id, null, size)) return null;
  if (size[0] > 1024 * 1024) return null;
  const buf = Buffer.alloc(Math.max(size[0], 8));
  size[0] = buf.length;
  if (!fns.CertGetCertificateContextProperty(ctx, id, buf, size)) return null;
  return buf.subarray(0, size[0]);
}

function describe(ctx: NativePointer): StoreCertificate {
  const { koffi, types } = api();
  const c = koffi.decode(ctx, types.CERT_CONTEXT) as { pbCertEncoded: unknown; cbCertEncoded: number };
  const der = new Uint8Array(koffi.decode(c.pbCertEncoded, koffi.array('uint8', c.cbCertEncoded, 'Typed')) as Uint8Array);
  const nameBuf = property(ctx, CERT_FRIENDLY_NAME_PROP_ID);
  const friendlyName = nameBuf ? nameBuf.toString('utf16le').replace(/\0+$/u, '') || null : null;
  const provBuf = property(ctx, CERT_KEY_PROV_INFO_PROP_ID);
  let provider: StoreCertificate['provider'] = null;
  if (provBuf) {
    const p = koffi.decode(provBuf, types.KEY_PROV_INFO) as { pwszContainerName: string | null; pwszProvName: string | null; dwProvType: number; dwFlags: number; dwKeySpec: number };
    provider = { container: p.pwszContainerName ?? '', provider: p.pwszProvName ?? '', provType: p.dwProvType, flags: p.dwFlags, keySpec: p.dwKeySpec >>> 0 };
  }
  return { der, hasKey: provBuf !== null, friendlyName, provider };
}

/** Every certificate in a store, read out (contexts are freed by the enumeration itself). */
export function listCertificates(store: NativePointer): StoreCertificate[] {
  const { fns } = api();
  const out: StoreCertificate[] = [];
  let ctx: NativePointer = null;
  for (let i = 0; i < 10_000; i++) {
    ctx = fns.CertEnumCertificatesInStore(store, ctx) as NativePointer;
    if (!ctx) break;
    out.push(describe(ctx));
  }
  return out;
}

/** Runs `fn` on the context of the first certificate `pick` accepts; null when none does. */
export function withCertificate<T>(store: NativePointer, pick: (c: StoreCertificate) => boolean, fn: (ctx: NativePointer, c: StoreCertificate) => T): T | null {
  const { fns } = api();
  let ctx: NativePointer = null;
  for (let i = 0; i < 10_000; i++) {
    ctx = fns.CertEnumCertificatesInStore(store, ctx) as NativePointer;
    if (!ctx) return null;
    const c = describe(ctx);
    if (!pick(c)) continue;
    const own = fns.CertDuplicateCertificateContext(ctx) as NativePointer;
    fns.CertFreeCertificateContext(ctx); // ends the enumeration
    try {
      return fn(own, c);
    } finally {
      fns.CertFreeCertificateContext(own);
    }
  }
  return null;
}

export type AcquiredKey =
  | { kind: 'ncrypt'; handle: number | bigint; free: boolean }
  | { kind: 'capi'; handle: number | bigint; keySpec: number; free: boolean };

/** CryptAcquireCertificatePrivateKey: CNG keys as NCRYPT handles, CSP keys as HCRYPTPROV. */
export function acquirePrivateKey(ctx: NativePointer, opts: { silent: boolean }): AcquiredKey {
  const { fns } = api();
  const handle: [number | bigint] = [0];
  const spec: [number] = [0];
  const free: [number] = [0];
  const flags = CRYPT_ACQUIRE_COMPARE_KEY_FLAG | CRYPT_ACQUIRE_ALLOW_NCRYPT_KEY_FLAG | (opts.silent ? CRYPT_ACQUIRE_SILENT_FLAG : 0);
  check(fns.CryptAcquireCertificatePrivateKey(ctx, flags, null, handle, spec, free), 'CryptAcquireCertificatePrivateKey');
  const keySpec = spec[0] >>> 0;
  if (keySpec === CERT_NCRYPT_KEY_SPEC) return { kind: 'ncrypt', handle: handle[0], free: free[0] !== 0 };
  return { kind: 'capi', handle: handle[0], keySpec, free: free[0] !== 0 };
}

export function releaseKey(k: AcquiredKey): void {
  if (!k.free) return;
  const { fns } = api();
  if (k.kind === 'ncrypt') fns.NCryptFreeObject?.(k.handle);
  else fns.CryptReleaseContext(k.handle, 0);
}

export function acquireContext(container: string, provider: string, provType: number, flags: number): number | bigint {
  const { fns } = api();
  const h: [number | bigint] = [0];
  check(fns.CryptAcquireContextW(h, container, provider, provType, flags), 'CryptAcquireContextW', { provider });
  return h[0];
}

export function releaseContext(h: number | bigint): void {
  api().fns.CryptReleaseContext(h, 0);
}

export function providerType(h: number | bigint): number | null {
  const { fns } = api();
  const buf = Buffer.alloc(4);
  const size: [number] = [4];
  return fns.CryptGetProvParam(h, PP_PROVTYPE, buf, size, 0) ? buf.readUInt32LE(0) : null;
}

/** PP_SIGNATURE_PIN / PP_KEYEXCHANGE_PIN: a NUL-terminated ANSI PIN, so the CSP shows no dialog. */
export function setCapiPin(h: number | bigint, keySpec: number, pin: Buffer): void {
  const { fns } = api();
  // Some providers fail without setting an error: start from 0 so a stale one is not reported.
  fns.SetLastError(0);
  if (fns.CryptSetProvParam(h, keySpec === AT_KEYEXCHANGE ? PP_KEYEXCHANGE_PIN : PP_SIGNATURE_PIN, pin, 0)) return;
  // Software providers refuse the parameter (Wine's rsaenh without even setting an error): NTE_BAD_TYPE.
  const status = lastError();
  throw winError(status === 0 ? 0x8009000a : status, 'CryptSetProvParam', { keySpec });
}

/** CryptoAPI PKCS#1 v1.5 signature over a SHA-256 hash value; returned big-endian. */
export function capiSignSha256(h: number | bigint, keySpec: number, hash: Uint8Array): Uint8Array {
  const { fns } = api();
  const hh: [number | bigint] = [0];
  check(fns.CryptCreateHash(h, CALG_SHA_256, 0, 0, hh), 'CryptCreateHash');
  try {
    check(fns.CryptSetHashParam(hh[0], HP_HASHVAL, Buffer.from(hash), 0), 'CryptSetHashParam');
    const size: [number] = [0];
    check(fns.CryptSignHashW(hh[0], keySpec, null, 0, null, size), 'CryptSignHash', { keySpec });
    const sig = Buffer.alloc(size[0]);
    check(fns.CryptSignHashW(hh[0], keySpec, null, 0, sig, size), 'CryptSignHash', { keySpec });
    // CryptoAPI writes the signature little-endian; PKCS#1 is big-endian.
    return new Uint8Array(sig.subarray(0, size[0])).reverse();
  } finally {
    fns.CryptDestroyHash(hh[0]);
  }
}

function ncryptCheck(status: number, fn: string): void {
  if (status !== 0) throw winError(status >>> 0, fn);
}

/** NCRYPT_PIN_PROPERTY ("SmartCardPin"): UTF-16 with its NUL, set silently on the key. */
export function setNcryptPin(h: number | bigint, pin: Buffer): void {
  const { fns } = api();
  if (!fns.NCryptSetProperty) throw winError(0x80090029, 'NCryptSetProperty');
  ncryptCheck(fns.NCryptSetProperty(h, 'SmartCardPin', pin, pin.length, NCRYPT_SILENT_FLAG) as number, 'NCryptSetProperty');
}

/** CNG PKCS#1 v1.5 (BCRYPT_PKCS1_PADDING_INFO "SHA256") over a SHA-256 hash value; big-endian already. */
export function ncryptSignSha256(h: number | bigint, hash: Uint8Array, opts: { silent: boolean }): Uint8Array {
  const { fns } = api();
  if (!fns.NCryptSignHash) throw winError(0x80090029, 'NCryptSignHash');
  const pad = { pszAlgId: 'SHA256' };
  const flags = BCRYPT_PAD_PKCS1 | (opts.silent ? NCRYPT_SILENT_FLAG : 0);
  const size: [number] = [0];
  ncryptCheck(fns.NCryptSignHash(h, pad, Buffer.from(hash), hash.length, null, 0, size, flags) as number, 'NCryptSignHash');
  const sig = Buffer.alloc(size[0]);
  ncryptCheck(fns.NCryptSignHash(h, pad, Buffer.from(hash), hash.length, sig, sig.length, size, flags) as number, 'NCryptSignHash');
  return new Uint8Array(sig.subarray(0, size[0]));
}

/**
 * CryptoAPI RSA decryption of a PKCS#1 v1.5 block with the container's `keySpec` key
 * (CryptGetUserKey + CryptDecrypt, Final): CryptoAPI reads the block little-endian, so the
 * big-endian ciphertext goes in reversed; the CSP checks and strips the padding.
 */
export function capiDecrypt(h: number | bigint, keySpec: number, ciphertext: Uint8Array): Uint8Array {
  const { fns } = api();
  const hk: [number | bigint] = [0];
  check(fns.CryptGetUserKey(h, keySpec, hk), 'CryptGetUserKey', { keySpec });
  const buf = Buffer.from(ciphertext).reverse();
  try {
    const size: [number] = [buf.length];
    check(fns.CryptDecrypt(hk[0], 0, 1, 0, buf, size), 'CryptDecrypt', { keySpec });
    return new Uint8Array(buf.subarray(0, Math.min(size[0], buf.length)));
  } finally {
    buf.fill(0);
    fns.CryptDestroyKey(hk[0]);
  }
}

/** CNG RSA decryption, PKCS#1 v1.5 (NCRYPT_PAD_PKCS1_FLAG); big-endian in and out. */
export function ncryptDecrypt(h: number | bigint, ciphertext: Uint8Array, opts: { silent: boolean }): Uint8Array {
  const { fns } = api();
  if (!fns.NCryptDecrypt) throw winError(0x80090029, 'NCryptDecrypt');
  const flags = NCRYPT_PAD_PKCS1_FLAG | (opts.silent ? NCRYPT_SILENT_FLAG : 0);
  const input = Buffer.from(ciphertext);
  const out = Buffer.alloc(input.length);
  const size: [number] = [0];
  try {
    ncryptCheck(fns.NCryptDecrypt(h, input, input.length, null, out, out.length, size, flags) as number, 'NCryptDecrypt');
    return new Uint8Array(out.subarray(0, Math.min(size[0], out.length)));
  } finally {
    out.fill(0);
  }
}
