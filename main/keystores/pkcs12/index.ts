export { Pkcs12KeyStore, signWith, type Pkcs12StoreOptions } from './store.ts';
