import koffi from 'koffi';
import { AssistantError } from '../../errors.ts';
import { DriverLibrary, loadDriverLibrary, type NativeFn } from '../driver-library.ts';
import { SAR_BUFFER_TOO_SMALL, SAR_OK, skfError } from './sar.ts';

/**
 * GM/T 0016-2012 (SKF) through koffi. SKF exports plain functions (no function list). ULONG is
 * UINT32 and BOOL INT32 in the standard; handles are `void *`. On Windows the vendor headers pack
 * structs to 1 byte (only DEVINFO is affected: its ULONGs follow 198 bytes of text) and 32-bit
 * DLLs use __stdcall. `declareSkf(windowsAbi)` builds either layout, so the Windows one can be
 * checked on Linux too. Names (devices, applications, containers) travel as byte strings in
 * double-NUL lists; we keep them as latin1 strings so every byte round-trips to the driver.
 */
export function declareSkf(windowsAbi: boolean) {
  const record = (def: Record<string, koffi.IKoffiCType | string>) => (windowsAbi ? koffi.pack(def) : koffi.struct(def));
  const text = (n: number) => koffi.array('uint8', n, 'Typed');
  const VERSION = record({ major: 'uint8', minor: 'uint8' });
  const DEVINFO = record({
    Version: VERSION, Manufacturer: text(64), Issuer: text(64), Label: text(32), SerialNumber: text(32),
    HWVersion: VERSION, FirmwareVersion: VERSION, AlgSymCap: 'uint32', AlgAsymCap: 'uint32', AlgHashCap: 'uint32',
    DevAuthAlgId: 'uint32', TotalSpace: 'uint32', FreeSpace: 'uint32', MaxECCBufferSize: 'uint32', MaxBufferSize: 'uint32',
    Reserved: text(64),
  });
  // Passed by value to SKF_DecryptInit; the same 44 bytes packed or not (IV[32] then three ULONGs).
  const BLOCKCIPHERPARAM = record({ IV: text(32), IVLen: 'uint32', PaddingType: 'uint32', FeedBitLen: 'uint32' });
  const U = 'uint32';
  const P = 'void *';
  const outU = koffi.out(koffi.pointer(U));
  const inoutU = koffi.inout(koffi.pointer(U));
  const outH = koffi.out(koffi.pointer(P));
  const protos = {
    SKF_EnumDev: [U, ['int32', P, inoutU]],
    SKF_ConnectDev: [U, [P, outH]],
    SKF_DisConnectDev: [U, [P]],
    SKF_GetDevInfo: [U, [P, koffi.out(koffi.pointer(DEVINFO))]],
    SKF_EnumApplication: [U, [P, P, inoutU]],
    SKF_OpenApplication: [U, [P, P, outH]],
    SKF_CloseApplication: [U, [P]],
    SKF_GetPINInfo: [U, [P, U, outU, outU, P]],
    SKF_VerifyPIN: [U, [P, U, P, outU]],
    SKF_ClearSecureState: [U, [P]],
    SKF_EnumContainer: [U, [P, P, inoutU]],
    SKF_OpenContainer: [U, [P, P, outH]],
    SKF_CloseContainer: [U, [P]],
    SKF_GetContainerType: [U, [P, outU]],
    SKF_ExportCertificate: [U, [P, 'int32', P, inoutU]],
    SKF_ExportPublicKey: [U, [P, 'int32', P, inoutU]],
    SKF_DigestInit: [U, [P, U, P, P, U, outH]],
    SKF_Digest: [U, [P, P, U, P, inoutU]],
    SKF_CloseHandle: [U, [P]],
    SKF_ECCSignData: [U, [P, P, U, P]],
    SKF_RSASignData: [U, [P, P, U, P, inoutU]],
    SKF_ImportSessionKey: [U, [P, U, P, U, outH]],
    SKF_DecryptInit: [U, [P, BLOCKCIPHERPARAM]],
    SKF_Decrypt: [U, [P, P, U, P, inoutU]],
    SKF_DecryptUpdate: [U, [P, P, U, P, inoutU]],
    SKF_DecryptFinal: [U, [P, P, inoutU]],
  } satisfies Record<string, [string, Array<string | koffi.IKoffiCType>]>;
  return { types: { VERSION, DEVINFO, BLOCKCIPHERPARAM }, protos, devinfoSize: koffi.sizeof(DEVINFO), blockCipherParamSize: koffi.sizeof(BLOCKCIPHERPARAM) };
}

const WINDOWS = process.platform === 'win32';
const SKF = declareSkf(WINDOWS);
type FnName = keyof typeof SKF.protos & string;
/** An opaque driver handle (koffi external pointer). */
export type SkfHandle = unknown;

export const USER_TYPE = 1;
export const SGD_SM3 = 0x00000001;
/** GM/T 0006 symmetric algorithm identifiers SKF_ImportSessionKey takes. */
export const SGD_SM4_ECB = 0x00000401;
export const SGD_SM4_CBC = 0x00000402;
export const CONTAINER_TYPE = { UNKNOWN: 0, RSA: 1, ECC: 2 } as const;
/** ECCPUBLICKEYBLOB: BitLen + X[64] + Y[64]; ECCSIGNATUREBLOB: r[64] + s[64]. */
export const ECC_PUBLIC_KEY_BLOB_SIZE = 4 + 64 + 64;
export const ECC_SIGNATURE_BLOB_SIZE = 64 + 64;
/**
 * RSAPUBLICKEYBLOB: AlgID (SGD_RSA) + BitLen + Modulus[256] + PublicExponent[4], both numbers
 * big-endian and right-aligned in their fields. 268 bytes packed or not (two ULONGs, then bytes).
 */
export const RSA_PUBLIC_KEY_BLOB_SIZE = 4 + 4 + 256 + 4;
export const SGD_RSA = 0x00010000;
const MAX_OUT = 1024 * 1024;
/** ECCCIPHERBLOB's fixed part: X[64] Y[64] HASH[32] CipherLen (then Cipher[CipherLen]). */
export const ECC_CIPHER_BLOB_HEAD = 64 + 64 + 32 + 4;
/** What one SKF_Decrypt/SKF_DecryptUpdate is handed when the device states no MaxBufferSize. */
const DEFAULT_DECRYPT_CHUNK = 1024;
const SAR_NOTSUPPORTYETERR = 0x0a000003;

/** A fixed-length text field → trimmed string (UTF-8 when valid, else GB18030 as Chinese Windows writes it). */
export function textField(bytes: Uint8Array): string {
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  const b = bytes.subarray(0, end);
  let s: string;
  try {
    s = new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    s = new TextDecoder('gb18030').decode(b);
  }
  return s.replace(/[\s\0]+$/u, '');
}

/** Name as kept in memory (latin1, byte-exact) → display text. */
export function displayName(name: string): string {
  return textField(Buffer.from(name, 'latin1'));
}

/** Parses a double-NUL list of names into latin1 strings. */
export function parseMultiString(buf: Uint8Array, size: number): string[] {
  const out: string[] = [];
  let start = 0;
  const end = Math.min(size, buf.length);
  for (let i = 0; i < end; i++) {
    if (buf[i] !== 0) continue;
    if (i === start) break;
    out.push(Buffer.from(buf.subarray(start, i)).toString('latin1'));
    start = i + 1;
  }
  if (start < end && buf[end - 1] !== 0) out.push(Buffer.from(buf.subarray(start, end)).toString('latin1'));
  return out;
}

function cName(name: string): Buffer {
  return Buffer.concat([Buffer.from(name, 'latin1'), Buffer.from([0])]);
}

export interface DevInfo {
  version: string; manufacturer: string; issuer: string; label: string; serial: string;
  hardwareVersion: string; firmwareVersion: string; algAsymCap: number; algHashCap: number; maxBufferSize: number;
}

/** One loaded SKF library (see DriverLibrary: it only ever runs inside the key-store worker). */
export class SkfModule extends DriverLibrary<FnName> {
  /** dlopen the library; the caller has checked the path is admin-controlled. */
  static load(path: string, displayPath = path): SkfModule {
    const lib = loadDriverLibrary(path, 'skf');
    const fns = {} as Record<FnName, NativeFn>;
    // 32-bit Windows DLLs are __stdcall (DEVAPI); elsewhere koffi's default is the platform's C ABI.
    const stdcall = WINDOWS && process.arch === 'ia32';
    for (const [name, [ret, params]] of Object.entries(SKF.protos) as Array<[FnName, [string, Array<string | koffi.IKoffiCType>]]>) {
      try {
        fns[name] = (stdcall ? lib.func('__stdcall', name, ret, params) : lib.func(name, ret, params)) as NativeFn;
      } catch {
        fns[name] = () => SAR_NOTSUPPORTYETERR; // a function this vendor does not export
      }
    }
    if (!hasSymbol(lib, 'SKF_EnumDev')) {
      throw new AssistantError('MODULE_NOT_SKF', '该文件不是 SKF 驱动（缺少 SKF_EnumDev）', { en: 'not an SKF library', details: { module: path } });
    }
    return new SkfModule(displayPath, lib, fns);
  }

  private check(name: FnName, rv: number, extra?: Record<string, unknown>): void {
    if (rv >>> 0 !== SAR_OK) throw skfError(rv >>> 0, name, extra);
  }

  /** Calls a (size, buffer) function twice: once for the size, once for the data. */
  private twoStep(name: FnName, call: (buf: Buffer | null, size: [number]) => number): { buf: Buffer; size: number } {
    const size: [number] = [0];
    this.check(name, call(null, size));
    for (let attempt = 0; attempt < 2; attempt++) {
      if (size[0] > MAX_OUT) throw skfError(SAR_BUFFER_TOO_SMALL, name, { size: size[0] });
      const buf = Buffer.alloc(Math.max(size[0], 2));
      size[0] = buf.length;
      const rv = call(buf, size) >>> 0;
      if (rv === SAR_BUFFER_TOO_SMALL && attempt === 0) continue; // grew between the calls
      this.check(name, rv);
      return { buf, size: Math.min(size[0], buf.length) };
    }
    throw skfError(SAR_BUFFER_TOO_SMALL, name);
  }

  private names(name: FnName, call: (buf: Buffer | null, size: [number]) => number): string[] {
    const { buf, size } = this.twoStep(name, call);
    return parseMultiString(buf, size);
  }

  enumDevices(present = true): string[] {
    return this.names('SKF_EnumDev', (b, s) => this.fns.SKF_EnumDev(present ? 1 : 0, b, s));
  }

  connect(device: string): SkfHandle {
    const out: [unknown] = [null];
    this.check('SKF_ConnectDev', this.fns.SKF_ConnectDev(cName(device), out));
    return out[0];
  }

  disconnect(dev: SkfHandle): void {
    this.fns.SKF_DisConnectDev(dev);
  }

  devInfo(dev: SkfHandle): DevInfo {
    const d: Record<string, unknown> = {};
    this.check('SKF_GetDevInfo', this.fns.SKF_GetDevInfo(dev, d));
    const ver = (v: unknown) => {
      const x = v as { major: number; minor: number };
      return `${x.major}.${x.minor}`;
    };
    return {
      version: ver(d['Version']), manufacturer: textField(d['Manufacturer'] as Uint8Array), issuer: textField(d['Issuer'] as Uint8Array),
      label: textField(d['Label'] as Uint8Array), serial: textField(d['SerialNumber'] as Uint8Array),
      hardwareVersion: ver(d['HWVersion']), firmwareVersion: ver(d['FirmwareVersion']),
      algAsymCap: Number(d['AlgAsymCap']), algHashCap: Number(d['AlgHashCap']), maxBufferSize: Number(d['MaxBufferSize']),
    };
  }

  applications(dev: SkfHandle): string[] {
    return this.names('SKF_EnumApplication', (b, s) => this.fns.SKF_EnumApplication(dev, b, s));
  }

  openApplication(dev: SkfHandle, name: string): SkfHandle {
    const out: [unknown] = [null];
    this.check('SKF_OpenApplication', this.fns.SKF_OpenApplication(dev, cName(name), out));
    return out[0];
  }

  closeApplication(app: SkfHandle): void {
    this.fns.SKF_CloseApplication(app);
  }

  pinInfo(app: SkfHandle, type = USER_TYPE): { maxRetry: number; remainRetry: number; defaultPin: boolean } {
    const max: [number] = [0];
    const remain: [number] = [0];
    // BOOL is INT32 in the standard but `long` in some Linux headers: 8 zeroed bytes fit both.
    const dflt = Buffer.alloc(8);
    this.check('SKF_GetPINInfo', this.fns.SKF_GetPINInfo(app, type, max, remain, dflt));
    return { maxRetry: max[0], remainRetry: remain[0], defaultPin: dflt.readInt32LE(0) !== 0 };
  }

  /** Returns the SAR value and the retry count the driver reports; the PIN buffer is zeroed after. */
  verifyPin(app: SkfHandle, pin: Buffer, type = USER_TYPE): { rv: number; retries: number } {
    const z = Buffer.alloc(pin.length + 1);
    pin.copy(z);
    const retries: [number] = [0];
    try {
      const rv = this.fns.SKF_VerifyPIN(app, type, z, retries) >>> 0;
      return { rv, retries: retries[0] };
    } finally {
      z.fill(0);
    }
  }

  clearSecureState(app: SkfHandle): void {
    this.fns.SKF_ClearSecureState(app);
  }

  containers(app: SkfHandle): string[] {
    return this.names('SKF_EnumContainer', (b, s) => this.fns.SKF_EnumContainer(app, b, s));
  }

  openContainer(app: SkfHandle, name: string): SkfHandle {
    const out: [unknown] = [null];
    this.check('SKF_OpenContainer', this.fns.SKF_OpenContainer(app, cName(name), out));
    return out[0];
  }

  closeContainer(con: SkfHandle): void {
    this.fns.SKF_CloseContainer(con);
  }

  /** 1 RSA, 2 ECC (SM2), 0 empty; null when the driver lacks SKF_GetContainerType. */
  containerType(con: SkfHandle): number | null {
    const t: [number] = [0];
    const rv = this.fns.SKF_GetContainerType(con, t) >>> 0;
    if (rv === SAR_NOTSUPPORTYETERR) return null;
    this.check('SKF_GetContainerType', rv);
    return t[0];
  }

  /** The container's signing (bSignFlag TRUE) or encryption certificate, DER; null when none. */
  exportCertificate(con: SkfHandle, sign = true): Buffer | null {
    const size: [number] = [0];
    const rv = this.fns.SKF_ExportCertificate(con, sign ? 1 : 0, null, size) >>> 0;
    if (rv !== SAR_OK || size[0] === 0) return null;
    const { buf, size: n } = this.twoStep('SKF_ExportCertificate', (b, s) => this.fns.SKF_ExportCertificate(con, sign ? 1 : 0, b, s));
    return buf.subarray(0, n);
  }

  /** The raw public key blob (ECCPUBLICKEYBLOB or RSAPUBLICKEYBLOB). */
  exportPublicKey(con: SkfHandle, sign = true): Buffer {
    const { buf, size } = this.twoStep('SKF_ExportPublicKey', (b, s) => this.fns.SKF_ExportPublicKey(con, sign ? 1 : 0, b, s));
    return buf.subarray(0, size);
  }

  /** SKF_DigestInit + SKF_Digest (+ SKF_CloseHandle): with a public key and ID the device hashes Z_A || M. */
  digest(dev: SkfHandle, alg: number, data: Uint8Array, publicKeyBlob: Buffer | null, id: Buffer | null): Buffer {
    const h: [unknown] = [null];
    this.check('SKF_DigestInit', this.fns.SKF_DigestInit(dev, alg, publicKeyBlob, id, id ? id.length : 0, h));
    try {
      const out = Buffer.alloc(64);
      const len: [number] = [out.length];
      this.check('SKF_Digest', this.fns.SKF_Digest(h[0], Buffer.from(data), data.length, out, len));
      return out.subarray(0, Math.min(len[0], out.length));
    } finally {
      this.fns.SKF_CloseHandle(h[0]);
    }
  }

  /** SKF_ECCSignData over a 32-byte digest → the ECCSIGNATUREBLOB bytes (r[64] || s[64]). */
  eccSign(con: SkfHandle, digest: Buffer): Buffer {
    const sig = Buffer.alloc(ECC_SIGNATURE_BLOB_SIZE);
    this.check('SKF_ECCSignData', this.fns.SKF_ECCSignData(con, digest, digest.length, sig));
    return sig;
  }

  /**
   * SKF_RSASignData (GM/T 0016-2012 §7.6): the data signed is at most the modulus length - 11
   * bytes, and the device puts PKCS#1 v1.5 type 1 padding around exactly those bytes — so the
   * caller passes the DigestInfo (RFC 8017 §9.2), not the message or the bare digest.
   */
  rsaSign(con: SkfHandle, data: Buffer): Buffer {
    const out = Buffer.alloc(512);
    const len: [number] = [out.length];
    this.check('SKF_RSASignData', this.fns.SKF_RSASignData(con, data, data.length, out, len));
    return out.subarray(0, Math.min(len[0], out.length));
  }

  /**
   * SKF_ImportSessionKey: the container's encryption key unwraps `wrapped` (ECC: an
   * ECCCIPHERBLOB; RSA: the PKCS#1 v1.5 block) into a session key that stays in the device.
   */
  importSessionKey(con: SkfHandle, algId: number, wrapped: Buffer): SkfHandle {
    const out: [unknown] = [null];
    this.check('SKF_ImportSessionKey', this.fns.SKF_ImportSessionKey(con, algId, wrapped, wrapped.length, out));
    return out[0];
  }

  /**
   * SKF_DecryptInit (no padding: the caller checks and strips it, as vendors disagree on padding
   * across SKF_DecryptUpdate/Final) and the data in block-aligned pieces of at most the device's
   * MaxBufferSize (SKF_Decrypt for one piece, SKF_DecryptUpdate… + SKF_DecryptFinal for more).
   */
  decryptBlocks(key: SkfHandle, iv: Uint8Array, data: Uint8Array, maxBufferSize: number): Buffer {
    const ivField = new Uint8Array(32);
    ivField.set(iv.subarray(0, 32));
    this.check('SKF_DecryptInit', this.fns.SKF_DecryptInit(key, { IV: ivField, IVLen: iv.length, PaddingType: 0, FeedBitLen: 0 }));
    const chunk = Math.max(16, Math.floor((maxBufferSize > 0 ? Math.min(maxBufferSize, 64 * 1024) : DEFAULT_DECRYPT_CHUNK) / 16) * 16);
    const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const piece = (name: 'SKF_Decrypt' | 'SKF_DecryptUpdate', part: Buffer): Buffer => {
      const out = Buffer.alloc(part.length + 16);
      const len: [number] = [out.length];
      this.check(name, this.fns[name](key, part, part.length, out, len));
      return out.subarray(0, Math.min(len[0], out.length));
    };
    if (input.length <= chunk) return piece('SKF_Decrypt', input);
    const parts: Buffer[] = [];
    for (let at = 0; at < input.length; at += chunk) parts.push(piece('SKF_DecryptUpdate', input.subarray(at, at + chunk)));
    const last = Buffer.alloc(32);
    const len: [number] = [last.length];
    this.check('SKF_DecryptFinal', this.fns.SKF_DecryptFinal(key, last, len));
    parts.push(last.subarray(0, Math.min(len[0], last.length)));
    return Buffer.concat(parts);
  }

  /** SKF_CloseHandle for a session key or hash handle (errors ignored: the handle is done). */
  closeHandle(h: SkfHandle): void {
    try {
      this.fns.SKF_CloseHandle(h);
    } catch {}
  }

  /** Drops the library reference (the OS may keep it mapped). */
  close(): void {
    this.lib = null;
  }
}

function hasSymbol(lib: koffi.IKoffiLib, name: string): boolean {
  try {
    lib.symbol(name, 'void *');
    return true;
  } catch {
    return false;
  }
}
