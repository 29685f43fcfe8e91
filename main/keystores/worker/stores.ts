import { AssistantError } from '../../errors.ts';
import { Pkcs11KeyStore } from '../pkcs11/store.ts';
import { Pkcs12KeyStore } from '../pkcs12/index.ts';
import { SkfKeyStore } from '../skf/store.ts';
import { WindowsStoreKeyStore } from '../windows/store.ts';
import type { HostOptions, StoreFactory } from './host.ts';

// One Pkcs11KeyStore per module path in this process: C_Initialize/C_Finalize are process-wide.
const pkcs11Stores = new Map<string, Pkcs11KeyStore>();

function pkcs11Store(module: string): Pkcs11KeyStore {
  let s = pkcs11Stores.get(module);
  if (!s || s.closed) {
    s = Pkcs11KeyStore.open(module);
    pkcs11Stores.set(module, s);
  }
  return s;
}

// One SkfKeyStore per library: device connections are kept while keys stay plugged in.
const skfStores = new Map<string, SkfKeyStore>();

function skfStore(module: string): SkfKeyStore {
  let s = skfStores.get(module);
  if (!s || s.closed) {
    s = SkfKeyStore.open(module);
    skfStores.set(module, s);
  }
  return s;
}

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
