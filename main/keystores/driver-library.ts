import koffi from 'koffi';
import { AssistantError } from '../errors.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NativeFn = (...args: any[]) => number;

/** How a message names each kind of driver library. */
const DRIVER_NAMES = {
  pkcs11: { zh: 'USB Key 驱动', en: 'the PKCS#11 module' },
  skf: { zh: 'USB Key 驱动（SKF）', en: 'the SKF library' },
} as const;

/** dlopen a driver library (the caller has checked the path is admin-controlled); MODULE_LOAD_FAILED with the loader's reason. */
export function loadDriverLibrary(path: string, kind: keyof typeof DRIVER_NAMES): koffi.IKoffiLib {
  try {
    return koffi.load(path);
  } catch (e) {
    const name = DRIVER_NAMES[kind];
    throw new AssistantError('MODULE_LOAD_FAILED', `${name.zh}无法加载，请确认已正确安装发证机构的驱动`, {
      en: `cannot load ${name.en}`, details: { module: path, reason: String((e as Error)?.message ?? e).slice(0, 300) },
    });
  }
}

/**
 * One loaded driver library (PKCS#11 module, SKF library): the path as configured, the library
 * (null once closed) and its functions by name. Calls are synchronous: a library that hangs blocks
 * this thread, which is why drivers only ever run inside the key-store worker process.
 */
export abstract class DriverLibrary<FnName extends string> {
  readonly path: string;
  protected lib: koffi.IKoffiLib | null;
  protected readonly fns: Record<FnName, NativeFn>;

  protected constructor(path: string, lib: koffi.IKoffiLib, fns: Record<FnName, NativeFn>) {
    this.path = path;
    this.lib = lib;
    this.fns = fns;
  }

  get loaded(): boolean {
    return this.lib !== null;
  }
}
