/**
 * The real registry reader (Windows only): advapi32's RegOpenKeyExW / RegEnumValueW / RegCloseKey
 * through koffi, loaded on first use. x64 ABI (WINAPI = the one x64 convention); HKEY is a
 * pointer-sized handle and the predefined roots are sign-extended 32-bit constants
 * (HKEY_LOCAL_MACHINE = (HKEY)(LONG)0x80000002), LSTATUS/DWORD are 32 bits, strings UTF-16.
 * Everything it returns goes through the pure mapping in registry.ts.
 */
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';
import { AssistantError } from '../errors.ts';
import type { RegistryHive, RegistryReader, RegistryValue } from './registry.ts';

const HKEY_CURRENT_USER = 0x80000001 | 0;
const HKEY_LOCAL_MACHINE = 0x80000002 | 0;
const KEY_READ = 0x20019;
const KEY_WOW64_64KEY = 0x0100;
const ERROR_SUCCESS = 0;
const ERROR_FILE_NOT_FOUND = 2;
const ERROR_MORE_DATA = 234;
const ERROR_NO_MORE_ITEMS = 259;
const MAX_NAME_CHARS = 16_384;
const MAX_DATA_BYTES = 1024 * 1024;
const MAX_VALUES = 1_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type NativeFn = (...args: any[]) => number;
let fns: { open: NativeFn; enumValue: NativeFn; close: NativeFn } | null = null;

function advapi32(): NonNullable<typeof fns> {
  if (!fns) {
    const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
    const lib = koffi.load('advapi32.dll');
    const inoutU32 = koffi.inout(koffi.pointer('uint32'));
    fns = {
      open: lib.func('RegOpenKeyExW', 'int32', ['intptr_t', 'str16', 'uint32', 'uint32', koffi.out(koffi.pointer('intptr_t'))]) as NativeFn,
      enumValue: lib.func('RegEnumValueW', 'int32', ['intptr_t', 'uint32', 'void *', inoutU32, 'void *', koffi.out(koffi.pointer('uint32')), 'void *', inoutU32]) as NativeFn,
      close: lib.func('RegCloseKey', 'int32', ['intptr_t']) as NativeFn,
    };
  }
  return fns;
}

function regError(status: number, fn: string, hive: RegistryHive, subkey: string): AssistantError {
  return new AssistantError('REGISTRY_UNREADABLE', `无法读取注册表：${hive}\\${subkey}`, {
    en: `cannot read the registry: ${hive}\\${subkey}`, details: { function: fn, status },
  });
}

/** All values of `hive\subkey` (64-bit view); null when the key does not exist. */
export const readRegistryValues: RegistryReader = (hive, subkey) => {
  const api = advapi32();
  const out: [number | bigint] = [0];
  const rc = api.open(hive === 'HKLM' ? HKEY_LOCAL_MACHINE : HKEY_CURRENT_USER, subkey, 0, KEY_READ | KEY_WOW64_64KEY, out);
  if (rc === ERROR_FILE_NOT_FOUND) return null;
  if (rc !== ERROR_SUCCESS) throw regError(rc, 'RegOpenKeyExW', hive, subkey);
  const key = out[0];
  const values: RegistryValue[] = [];
  try {
    const name = Buffer.alloc(MAX_NAME_CHARS * 2);
    let data = Buffer.alloc(64 * 1024);
    for (let index = 0; index < MAX_VALUES; index++) {
      const nameLen: [number] = [MAX_NAME_CHARS];
      const type: [number] = [0];
      const dataLen: [number] = [data.length];
      const r = api.enumValue(key, index, name, nameLen, null, type, data, dataLen);
      if (r === ERROR_NO_MORE_ITEMS) break;
      if (r === ERROR_MORE_DATA && dataLen[0] > data.length && dataLen[0] <= MAX_DATA_BYTES) {
        data = Buffer.alloc(dataLen[0]);
        index--; // read the same value again with room for it
        continue;
      }
      if (r !== ERROR_SUCCESS) throw regError(r, 'RegEnumValueW', hive, subkey);
      values.push({ name: name.subarray(0, nameLen[0] * 2).toString('utf16le'), type: type[0], data: new Uint8Array(data.subarray(0, dataLen[0])) });
    }
  } finally {
    api.close(key);
  }
  return values;
};
