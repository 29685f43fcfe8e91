import koffi from 'koffi';
import { AssistantError } from '../../errors.ts';
import {
  CKR_ATTRIBUTE_SENSITIVE, CKR_ATTRIBUTE_TYPE_INVALID, CKR_CRYPTOKI_ALREADY_INITIALIZED, CKR_OK, pkcs11Error,
} from './ckr.ts';
import { CKF_OS_LOCKING_OK, CKF_SERIAL_SESSION } from './constants.ts';

/**
 * PKCS#11 through koffi. CK_ULONG is C `unsigned long` (koffi 'ulong' follows the platform ABI:
 * 64-bit on Linux/macOS x64, 32-bit on Windows), and on Windows every Cryptoki struct is packed
 * to 1 byte (cryptoki.h's `#pragma pack(push, cryptoki, 1)`), so CK_FUNCTION_LIST's pointers
 * start at offset 2 there. Everything is declared once per process (koffi type names are global).
 */
const WIN = process.platform === 'win32';
const record = WIN ? koffi.pack : koffi.struct;

export const ULONG_BYTES = koffi.sizeof('ulong');

const CK_VERSION = record('CK_VERSION', { major: 'uint8', minor: 'uint8' });
const CK_INFO = record('CK_INFO', {
  cryptokiVersion: CK_VERSION, manufacturerID: koffi.array('uint8', 32, 'Typed'), flags: 'ulong',
  libraryDescription: koffi.array('uint8', 32, 'Typed'), libraryVersion: CK_VERSION,
});
const CK_SLOT_INFO = record('CK_SLOT_INFO', {
  slotDescription: koffi.array('uint8', 64, 'Typed'), manufacturerID: koffi.array('uint8', 32, 'Typed'), flags: 'ulong',
  hardwareVersion: CK_VERSION, firmwareVersion: CK_VERSION,
});
const CK_TOKEN_INFO = record('CK_TOKEN_INFO', {
  label: koffi.array('uint8', 32, 'Typed'), manufacturerID: koffi.array('uint8', 32, 'Typed'),
  model: koffi.array('uint8', 16, 'Typed'), serialNumber: koffi.array('uint8', 16, 'Typed'), flags: 'ulong',
  ulMaxSessionCount: 'ulong', ulSessionCount: 'ulong', ulMaxRwSessionCount: 'ulong', ulRwSessionCount: 'ulong',
  ulMaxPinLen: 'ulong', ulMinPinLen: 'ulong', ulTotalPublicMemory: 'ulong', ulFreePublicMemory: 'ulong',
  ulTotalPrivateMemory: 'ulong', ulFreePrivateMemory: 'ulong', hardwareVersion: CK_VERSION, firmwareVersion: CK_VERSION,
  utcTime: koffi.array('uint8', 16, 'Typed'),
});
const CK_ATTRIBUTE = record('CK_ATTRIBUTE', { type: 'ulong', pValue: 'void *', ulValueLen: 'ulong' });
const CK_MECHANISM = record('CK_MECHANISM', { mechanism: 'ulong', pParameter: 'void *', ulParameterLen: 'ulong' });
const CK_C_INITIALIZE_ARGS = record('CK_C_INITIALIZE_ARGS', {
  CreateMutex: 'void *', DestroyMutex: 'void *', LockMutex: 'void *', UnlockMutex: 'void *', flags: 'ulong', pReserved: 'void *',
});

// CK_FUNCTION_LIST in the standard's order; we only call the ones given a prototype below.
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
const fnMembers: Record<string, string> = {};
for (const n of FUNCTION_NAMES) fnMembers[n] = 'void *';
const CK_FUNCTION_LIST = record('CK_FUNCTION_LIST', { version: CK_VERSION, ...fnMembers });

const PROTOS = {
  C_Initialize: koffi.proto('ulong CK_C_Initialize(CK_C_INITIALIZE_ARGS *pInitArgs)'),
  C_Finalize: koffi.proto('ulong CK_C_Finalize(void *pReserved)'),
  C_GetInfo: koffi.proto('ulong CK_C_GetInfo(_Out_ CK_INFO *pInfo)'),
  C_GetSlotList: koffi.proto('ulong CK_C_GetSlotList(uint8 tokenPresent, void *pSlotList, _Inout_ ulong *pulCount)'),
  C_GetSlotInfo: koffi.proto('ulong CK_C_GetSlotInfo(ulong slotID, _Out_ CK_SLOT_INFO *pInfo)'),
  C_GetTokenInfo: koffi.proto('ulong CK_C_GetTokenInfo(ulong slotID, _Out_ CK_TOKEN_INFO *pInfo)'),
  C_OpenSession: koffi.proto('ulong CK_C_OpenSession(ulong slotID, ulong flags, void *pApplication, void *Notify, _Out_ ulong *phSession)'),
  C_CloseSession: koffi.proto('ulong CK_C_CloseSession(ulong hSession)'),
  C_Login: koffi.proto('ulong CK_C_Login(ulong hSession, ulong userType, void *pPin, ulong ulPinLen)'),
  C_Logout: koffi.proto('ulong CK_C_Logout(ulong hSession)'),
  C_GetAttributeValue: koffi.proto('ulong CK_C_GetAttributeValue(ulong hSession, ulong hObject, _Inout_ CK_ATTRIBUTE *pTemplate, ulong ulCount)'),
  C_FindObjectsInit: koffi.proto('ulong CK_C_FindObjectsInit(ulong hSession, CK_ATTRIBUTE *pTemplate, ulong ulCount)'),
  C_FindObjects: koffi.proto('ulong CK_C_FindObjects(ulong hSession, void *phObject, ulong ulMaxObjectCount, _Out_ ulong *pulObjectCount)'),
  C_FindObjectsFinal: koffi.proto('ulong CK_C_FindObjectsFinal(ulong hSession)'),
  C_SignInit: koffi.proto('ulong CK_C_SignInit(ulong hSession, CK_MECHANISM *pMechanism, ulong hKey)'),
  C_Sign: koffi.proto('ulong CK_C_Sign(ulong hSession, void *pData, ulong ulDataLen, void *pSignature, _Inout_ ulong *pulSignatureLen)'),
};
type FnName = keyof typeof PROTOS;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type NativeFn = (...args: any[]) => number;

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

/**
 * One loaded PKCS#11 module. Calls are synchronous: a module that hangs blocks this thread,
 * which is why the module only ever runs inside the key-store worker process.
 */
export class Pkcs11Module {
  readonly path: string;
  private lib: koffi.IKoffiLib | null;
  private readonly fns: Record<FnName, NativeFn>;
  private initialized = false;
  private ownsInitialize = false;

  private constructor(path: string, lib: koffi.IKoffiLib, fns: Record<FnName, NativeFn>) {
    this.path = path;
    this.lib = lib;
    this.fns = fns;
  }

  /**
   * dlopen the module and read its CK_FUNCTION_LIST. The caller has checked the path is
   * admin-controlled; `displayPath` is the path as configured (before resolving symlinks).
   */
  static load(path: string, displayPath = path): Pkcs11Module {
    let lib: koffi.IKoffiLib;
    try {
      lib = koffi.load(path);
    } catch (e) {
      throw new AssistantError('MODULE_LOAD_FAILED', 'USB Key 驱动无法加载，请确认已正确安装发证机构的驱动', {
        en: 'cannot load the PKCS#11 module', details: { module: path, reason: String((e as Error)?.message ?? e).slice(0, 300) },
      });
    }
    let getList: NativeFn;
    try {
      getList = lib.func('C_GetFunctionList', 'ulong', [koffi.out(koffi.pointer('void *'))]) as NativeFn;
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

  get loaded(): boolean {
    return this.lib !== null;
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
  login(session: Handle, userType: number, pin: Buffer): number {
    return this.fns.C_Login(session, userType, pin, pin.length);
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
    const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    // One call with room for RSA-8192; CKR_BUFFER_TOO_SMALL keeps the operation active and tells the size.
    let sig = Buffer.alloc(1024);
    const len = [sig.length];
    let rv = this.fns.C_Sign(session, input, input.length, sig, len);
    if (rv === 0x150) {
      sig = Buffer.alloc(Number(len[0]));
      rv = this.fns.C_Sign(session, input, input.length, sig, len);
    }
    this.check('C_Sign', rv);
    return sig.subarray(0, Number(len[0]));
  }
}

export const __types = { CK_ATTRIBUTE, CK_MECHANISM, CK_C_INITIALIZE_ARGS, CK_INFO, CK_SLOT_INFO, CK_TOKEN_INFO };
