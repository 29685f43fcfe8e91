import { AssistantError } from '../../errors.ts';
import { Pkcs11KeyStore } from '../pkcs11/store.ts';
import { Pkcs12KeyStore } from '../pkcs12/index.ts';
import { SkfKeyStore } from '../skf/store.ts';
import { WindowsStoreKeyStore } from '../windows/store.ts';
import type { HostOptions, StoreFactory } from './host.ts';

/** One open store per driver path in this process, opened again once it was closed. */
function storePerModule<S extends { closed: boolean }>(open: (module: string) => S): (module: string) => S {
  const stores = new Map<string, S>();
  return (module) => {
    let s = stores.get(module);
    if (!s || s.closed) {
      s = open(module);
      stores.set(module, s);
    }
    return s;
  };
}

// C_Initialize/C_Finalize are process-wide: one Pkcs11KeyStore per module.
const pkcs11Store = storePerModule((module) => Pkcs11KeyStore.open(module));
// Device connections are kept while keys stay plugged in: one SkfKeyStore per library.
const skfStore = storePerModule((module) => SkfKeyStore.open(module));

/** Which store implementation serves which spec, inside the worker. */
export const openStore: StoreFactory = async (spec) => {
  if (spec.kind === 'pkcs11') return pkcs11Store(spec.module);
  if (spec.kind === 'skf') return skfStore(spec.module);
  // Pure JS, but behind the same boundary so the app has one way to reach every key.
  if (spec.kind === 'pkcs12') return new Pkcs12KeyStore(spec.file);
  // CryptoAPI loads the key's vendor CSP into this process: the worker is where it belongs.
  if (spec.kind === 'windows') return new WindowsStoreKeyStore({ localMachine: spec.localMachine });
  throw new AssistantError('STORE_KIND_UNSUPPORTED', '密钥服务暂不支持该类型的证书存储', { en: 'store kind not supported in the worker', details: { kind: (spec as { kind: string }).kind } });
};

export function defaultHostOptions(): HostOptions {
  return {
    openStore,
    describePkcs11: async (module) => pkcs11Store(module).describe(),
    pkcs11Tokens: async (module) => pkcs11Store(module).tokens(),
    describeSkf: async (module) => skfStore(module).describe(),
    openPkcs12: (file, password) => Pkcs12KeyStore.open(file, { password }),
    skfTokens: async (module) => skfStore(module).tokens(),
    exit: (code) => process.exit(code),
  };
}
