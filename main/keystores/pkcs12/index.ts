export { Pkcs12KeyStore, algorithmFor, signWith, type Pkcs12StoreOptions } from './store.ts';
