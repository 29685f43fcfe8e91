import koffi from 'koffi';
import { AssistantError } from '../../errors.ts';
import { DriverLibrary, loadDriverLibrary, type NativeFn } from '../driver-library.ts';
import {
  CKR_ATTRIBUTE_SENSITIVE, CKR_ATTRIBUTE_TYPE_INVALID, CKR_CRYPTOKI_ALREADY_INITIALIZED, CKR_OK, pkcs11Error,
} from './ckr.ts';
import { CKF_OS_LOCKING_OK, CKF_SERIAL_SESSION } from './constants.ts';

/**
 * PKCS#11 through koffi. CK_ULONG is C `unsigned long`: 64-bit on Linux/macOS x64, 32-bit on
 * Windows (LLP64); and on Windows every Cryptoki struct is packed to 1 byte (cryptoki.h's
 * `#pragma pack(push, cryptoki, 1)`), so CK_FUNCTION_LIST's pointers start at offset 2 there.
 * `declareCryptoki(windowsAbi)` builds either layout (anonymous koffi types), so the Windows
 * one can be checked on Linux too; the process uses the one of its own platform.
 */
// CK_FUNCTION_LIST in the standard's order; we only call the ones given a prototype.
const FUNCTION_NAMES = [
  'C_Initialize', 'C_Finalize', 'C_GetInfo', 'C_GetFunctionList', 'C_GetSlotList', 'C_GetSlotInfo', 'C_GetTokenInfo',
  'C_GetMechanismList', 'C_GetMechanismInfo', 'C_InitToken', 'C_InitPIN', 'C_SetPIN', 'C_OpenSession', 'C_CloseSession',
  'C_CloseAllSessions', 'C_GetSessionInfo', 'C_GetOperationState', 'C_SetOperationState', 'C_Login', 'C_Logout',
  'C_CreateObject', 'C_CopyObject', 'C_DestroyObject', 'C_GetObjectSize', 'C_GetAttributeValue', 'C_SetAttributeValue',
  'C_FindObjectsInit', 'C_FindObjects', 'C_FindObjectsFinal', 'C_EncryptInit', 'C_Encrypt', 'C_EncryptUpdate',
  'C_EncryptFinal', 'C_DecryptInit', 'C_Decrypt', 'C_DecryptUpdate', 'C_DecryptFinal', 'C_DigestInit', 'C_Digest',
  'C_DigestUpdate', 'C_DigestKey', 'C_DigestFinal', 'C_SignInit', 'C_Sign', 'C_SignUpdate', 'C_SignFinal',
  'C_SignRecoverInit', 'C_SignRecover', 'C_VerifyInit', 'C_Verify', 'C_VerifyUpdate', 'C_VerifyFinal',
  'C_VerifyRecoverInit', 'C_VerifyRecover', 'C_DigestEncryptUpdate', 'C_DecryptDigestUpdate', 'C_SignEncryptUpdate',
  'C_DecryptVerifyUpdate', 'C_GenerateKey', 'C_GenerateKeyPair', 'C_WrapKey', 'C_UnwrapKey', 'C_DeriveKey',
  'C_SeedRandom', 'C_GenerateRandom', 'C_GetFunctionStatus', 'C_CancelFunction', 'C_WaitForSlotEvent',
] as const;

export function declareCryptoki(windowsAbi: boolean) {
  const record = (def: Record<string, koffi.IKoffiCType | string>) => (windowsAbi ? koffi.pack(def) : koffi.struct(def));
  const UL = windowsAbi ? koffi.types.uint32 : koffi.types.ulong;
  const text = (n: number) => koffi.array('uint8', n, 'Typed');
  const VERSION = record({ major: 'uint8', minor: 'uint8' });
  const INFO = record({ cryptokiVersion: VERSION, manufacturerID: text(32), flags: UL, libraryDescription: text(32), libraryVersion: VERSION });
  const SLOT_INFO = record({ slotDescription: text(64), manufacturerID: text(32), flags: UL, hardwareVersion: VERSION, firmwareVersion: VERSION });
  const TOKEN_INFO = record({
    label: text(32), manufacturerID: text(32), model: text(16), serialNumber: text(16), flags: UL,
    ulMaxSessionCount: UL, ulSessionCount: UL, ulMaxRwSessionCount: UL, ulRwSessionCount: UL, ulMaxPinLen: UL, ulMinPinLen: UL,
    ulTotalPublicMemory: UL, ulFreePublicMemory: UL, ulTotalPrivateMemory: UL, ulFreePrivateMemory: UL,
    hardwareVersion: VERSION, firmwareVersion: VERSION, utcTime: text(16),
  });
  const ATTRIBUTE = record({ type: UL, pValue: 'void *', ulValueLen: UL });
  const MECHANISM = record({ mechanism: UL, pParameter: 'void *', ulParameterLen: UL });
  const INITIALIZE_ARGS = record({ CreateMutex: 'void *', DestroyMutex: 'void *', LockMutex: 'void *', UnlockMutex: 'void *', flags: UL, pReserved: 'void *' });
  const fnMembers: Record<string, string | koffi.IKoffiCType> = { version: VERSION };
  for (const n of FUNCTION_NAMES) fnMembers[n] = 'void *';
  const FUNCTION_LIST = record(fnMembers);
  const ptr = (t: koffi.IKoffiCType | string) => koffi.pointer(t);
  const out = (t: koffi.IKoffiCType | string) => koffi.out(koffi.pointer(t));
  const inout = (t: koffi.IKoffiCType | string) => koffi.inout(koffi.pointer(t));
  const protos = {
    C_Initialize: koffi.proto(UL, [ptr(INITIALIZE_ARGS)]),
    C_Finalize: koffi.proto(UL, ['void *']),
    C_GetInfo: koffi.proto(UL, [out(INFO)]),
    C_GetSlotList: koffi.proto(UL, ['uint8', 'void *', inout(UL)]),
    C_GetSlotInfo: koffi.proto(UL, [UL, out(SLOT_INFO)]),
    C_GetTokenInfo: koffi.proto(UL, [UL, out(TOKEN_INFO)]),
    C_OpenSession: koffi.proto(UL, [UL, UL, 'void *', 'void *', out(UL)]),
    C_CloseSession: koffi.proto(UL, [UL]),
    C_Login: koffi.proto(UL, [UL, UL, 'void *', UL]),
    C_Logout: koffi.proto(UL, [UL]),
    C_GetAttributeValue: koffi.proto(UL, [UL, UL, inout(ATTRIBUTE), UL]),
    C_FindObjectsInit: koffi.proto(UL, [UL, ptr(ATTRIBUTE), UL]),
    C_FindObjects: koffi.proto(UL, [UL, 'void *', UL, out(UL)]),
    C_FindObjectsFinal: koffi.proto(UL, [UL]),
    C_SignInit: koffi.proto(UL, [UL, ptr(MECHANISM), UL]),
    C_Sign: koffi.proto(UL, [UL, 'void *', UL, 'void *', inout(UL)]),
    C_DecryptInit: koffi.proto(UL, [UL, ptr(MECHANISM), UL]),
    C_Decrypt: koffi.proto(UL, [UL, 'void *', UL, 'void *', inout(UL)]),
  };
  return {
    ulongBytes: koffi.sizeof(UL),
    types: { CK_VERSION: VERSION, CK_INFO: INFO, CK_SLOT_INFO: SLOT_INFO, CK_TOKEN_INFO: TOKEN_INFO, CK_ATTRIBUTE: ATTRIBUTE, CK_MECHANISM: MECHANISM, CK_C_INITIALIZE_ARGS: INITIALIZE_ARGS, CK_FUNCTION_LIST: FUNCTION_LIST },
    protos,
    getFunctionList: [UL, [out('void *')]] as const,
  };
}

const CRYPTOKI = declareCryptoki(process.platform === 'win32');
const PROTOS = CRYPTOKI.protos;
const CK_FUNCTION_LIST = CRYPTOKI.types.CK_FUNCTION_LIST;
export const ULONG_BYTES = CRYPTOKI.ulongBytes;
type FnName = keyof typeof PROTOS;

/** Space-padded fixed-length UTF-8 field (CK_UTF8CHAR[n]) → trimmed string. */
function utf8Field(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8').replace(/[\s\0]+$/u, '');
}

export interface ModuleInfo { cryptokiVersion: string; manufacturer: string; description: string; libraryVersion: string }
export interface SlotInfo { description: string; manufacturer: string; flags: number }
export interface TokenInfo {
  label: string; manufacturer: string; model: string; serial: string; flags: number;
  minPinLen: number; maxPinLen: number;
}

export type Handle = number;

function ulongBuffer(n: number): Buffer {
  return Buffer.alloc(n * ULONG_BYTES);
}
function readUlongs(buf: Buffer, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(ULONG_BYTES === 8 ? Number(buf.readBigUInt64LE(i * 8)) : buf.readUInt32LE(i * 4));
  return out;
}
/** A CK_ULONG value (CKA_CLASS etc.) as the bytes a template points at. */
export function ulongBytes(v: number): Buffer {
  const b = ulongBuffer(1);
  if (ULONG_BYTES === 8) b.writeBigUInt64LE(BigInt(v));
  else b.writeUInt32LE(v);
  return b;
}
export function readUlong(b: Uint8Array): number {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return ULONG_BYTES === 8 && buf.length >= 8 ? Number(buf.readBigUInt64LE(0)) : buf.readUInt32LE(0);
}

export interface TemplateEntry { type: number; value: Buffer }

/** One loaded PKCS#11 module (see DriverLibrary: it only ever runs inside the key-store worker). */
export class Pkcs11Module extends DriverLibrary<FnName> {
  private initialized = false;
  private ownsInitialize = false;

  /**
   * dlopen the module and read its CK_FUNCTION_LIST. The caller has checked the path is
   * admin-controlled; `displayPath` is the path as configured (before resolving symlinks).
   */
  static load(path: string, displayPath = path): Pkcs11Module {
    const lib = loadDriverLibrary(path, 'pkcs11');
    let getList: NativeFn;
    try {
      getList = lib.func('C_GetFunctionList', CRYPTOKI.getFunctionList[0], [...CRYPTOKI.getFunctionList[1]]) as NativeFn;
    } catch {
      throw new AssistantError('MODULE_NOT_PKCS11', '该文件不是 PKCS#11 驱动（缺少 C_GetFunctionList）', { en: 'not a PKCS#11 module', details: { module: path } });
    }
    const out: [unknown] = [null];
    const rv = getList(out);
    if (rv !== CKR_OK || !out[0]) throw pkcs11Error(rv, 'C_GetFunctionList', { module: path });
    const list = koffi.decode(out[0], CK_FUNCTION_LIST) as Record<string, unknown>;
    const fns = {} as Record<FnName, NativeFn>;
    for (const name of Object.keys(PROTOS) as FnName[]) {
      const ptr = list[name];
      fns[name] = ptr
        ? (koffi.decode(ptr, PROTOS[name]) as NativeFn)
        : () => 0x54; // CKR_FUNCTION_NOT_SUPPORTED for a NULL entry
    }
    return new Pkcs11Module(displayPath, lib, fns);
  }

  private check(name: FnName, rv: number, extra?: Record<string, unknown>): void {
    if (rv !== CKR_OK) throw pkcs11Error(rv, name, extra);
  }

  initialize(): void {
    if (this.initialized) return;
    const args = { CreateMutex: null, DestroyMutex: null, LockMutex: null, UnlockMutex: null, flags: CKF_OS_LOCKING_OK, pReserved: null };
    const rv = this.fns.C_Initialize(args);
    if (rv === CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      this.initialized = true;
      return;
    }
    this.check('C_Initialize', rv);
    this.initialized = true;
    this.ownsInitialize = true;
  }

  finalize(): void {
    if (this.initialized && this.ownsInitialize) this.fns.C_Finalize(null);
    this.initialized = false;
    this.ownsInitialize = false;
  }

  /** Finalizes and drops the library reference (the OS may keep it mapped). */
  close(): void {
    this.finalize();
    this.lib = null;
  }

  info(): ModuleInfo {
    const out: Record<string, unknown> = {};
    this.check('C_GetInfo', this.fns.C_GetInfo(out));
    const v = (x: unknown) => { const o = x as { major: number; minor: number }; return `${o.major}.${o.minor}`; };
    return {
      cryptokiVersion: v(out['cryptokiVersion']), manufacturer: utf8Field(out['manufacturerID'] as Uint8Array),
      description: utf8Field(out['libraryDescription'] as Uint8Array), libraryVersion: v(out['libraryVersion']),
    };
  }

  slots(tokenPresent: boolean): number[] {
    // The count can change between the two calls (a key plugged in): retry on CKR_BUFFER_TOO_SMALL.
    for (let attempt = 0; attempt < 3; attempt++) {
      const count = [0];
      this.check('C_GetSlotList', this.fns.C_GetSlotList(tokenPresent ? 1 : 0, null, count));
      if (count[0] === 0) return [];
      const buf = ulongBuffer(count[0]!);
      const rv = this.fns.C_GetSlotList(tokenPresent ? 1 : 0, buf, count);
      if (rv === 0x150) continue;
      this.check('C_GetSlotList', rv);
      return readUlongs(buf, count[0]!);
    }
    throw pkcs11Error(0x150, 'C_GetSlotList');
  }

  slotInfo(slot: number): SlotInfo {
    const out: Record<string, unknown> = {};
    this.check('C_GetSlotInfo', this.fns.C_GetSlotInfo(slot, out), { slot });
    return { description: utf8Field(out['slotDescription'] as Uint8Array), manufacturer: utf8Field(out['manufacturerID'] as Uint8Array), flags: Number(out['flags']) };
  }

  tokenInfo(slot: number): TokenInfo {
    const out: Record<string, unknown> = {};
    this.check('C_GetTokenInfo', this.fns.C_GetTokenInfo(slot, out), { slot });
    return {
      label: utf8Field(out['label'] as Uint8Array), manufacturer: utf8Field(out['manufacturerID'] as Uint8Array),
      model: utf8Field(out['model'] as Uint8Array), serial: utf8Field(out['serialNumber'] as Uint8Array),
      flags: Number(out['flags']), minPinLen: Number(out['ulMinPinLen']), maxPinLen: Number(out['ulMaxPinLen']),
    };
  }

  openSession(slot: number): Handle {
    const h = [0];
    this.check('C_OpenSession', this.fns.C_OpenSession(slot, CKF_SERIAL_SESSION, null, null, h), { slot });
    return Number(h[0]);
  }

  closeSession(session: Handle): void {
    this.fns.C_CloseSession(session);
  }

  /** Returns the raw CK_RV so the caller can read the token's PIN flags before throwing. */
  login(session: Handle, userType: number, pin: Buffer | null): number {
    // NULL PIN: the reader's own PIN pad asks (CKF_PROTECTED_AUTHENTICATION_PATH).
    return this.fns.C_Login(session, userType, pin, pin ? pin.length : 0);
  }

  logout(session: Handle): void {
    this.fns.C_Logout(session);
  }

  findObjects(session: Handle, template: TemplateEntry[], max = 256): Handle[] {
    const tpl = template.map((t) => ({ type: t.type, pValue: t.value, ulValueLen: t.value.length }));
    this.check('C_FindObjectsInit', this.fns.C_FindObjectsInit(session, tpl, tpl.length));
    const found: Handle[] = [];
    try {
      const buf = ulongBuffer(32);
      while (found.length < max) {
        const n = [0];
        this.check('C_FindObjects', this.fns.C_FindObjects(session, buf, 32, n));
        if (!n[0]) break;
        found.push(...readUlongs(buf, Number(n[0])));
      }
    } finally {
      this.fns.C_FindObjectsFinal(session);
    }
    return found;
  }

  /** One attribute's value, or null when the object lacks it or keeps it secret. */
  attribute(session: Handle, object: Handle, type: number): Buffer | null {
    const probe = { type, pValue: null as Buffer | null, ulValueLen: 0 };
    let rv = this.fns.C_GetAttributeValue(session, object, probe, 1);
    if (rv === CKR_ATTRIBUTE_TYPE_INVALID || rv === CKR_ATTRIBUTE_SENSITIVE) return null;
    this.check('C_GetAttributeValue', rv);
    const len = Number(probe.ulValueLen);
    if (len === Number(ULONG_BYTES === 8 ? 0xffffffffffffffffn : 0xffffffff) || len < 0) return null;
    const value = Buffer.alloc(len);
    const full = { type, pValue: value, ulValueLen: len };
    rv = this.fns.C_GetAttributeValue(session, object, full, 1);
    if (rv === CKR_ATTRIBUTE_TYPE_INVALID || rv === CKR_ATTRIBUTE_SENSITIVE) return null;
    this.check('C_GetAttributeValue', rv);
    return value.subarray(0, Number(full.ulValueLen));
  }

  sign(session: Handle, mechanism: number, key: Handle, data: Uint8Array): Buffer {
    this.check('C_SignInit', this.fns.C_SignInit(session, { mechanism, pParameter: null, ulParameterLen: 0 }, key));
    return this.singlePart('C_Sign', session, data);
  }

  decrypt(session: Handle, mechanism: number, key: Handle, data: Uint8Array): Buffer {
    this.check('C_DecryptInit', this.fns.C_DecryptInit(session, { mechanism, pParameter: null, ulParameterLen: 0 }, key));
    return this.singlePart('C_Decrypt', session, data);
  }

  /** C_Sign / C_Decrypt after their Init: one call with room for RSA-8192; CKR_BUFFER_TOO_SMALL keeps the operation active and tells the size. */
  private singlePart(fn: 'C_Sign' | 'C_Decrypt', session: Handle, data: Uint8Array): Buffer {
    const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let out = Buffer.alloc(Math.max(1024, input.length));
    const len = [out.length];
    let rv = this.fns[fn](session, input, input.length, out, len);
    if (rv === 0x150) {
      out = Buffer.alloc(Number(len[0]));
      rv = this.fns[fn](session, input, input.length, out, len);
    }
    this.check(fn, rv);
    return out.subarray(0, Number(len[0]));
  }
}
