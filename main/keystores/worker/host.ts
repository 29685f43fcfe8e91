import { AssistantError, toErrorInfo } from '../../errors.ts';
import type { KeyStore } from '../types.ts';
import { storeKey, type ClientToHost, type HostToClient, type StoreSpec, type WorkerMethods } from './protocol.ts';

/** The worker side of a message channel (child_process IPC or Electron's parentPort). */
export interface HostPort {
  postMessage(message: HostToClient): void;
  onMessage(listener: (message: unknown) => void): void;
}

export type StoreFactory = (spec: StoreSpec) => Promise<KeyStore>;

export interface HostOptions {
  /** Opens a store for a spec; the default knows pkcs11 (and pkcs12 once registered). */
  openStore: StoreFactory;
  /** PKCS#11 module report for `tokens`. */
  describePkcs11: (module: string) => Promise<WorkerMethods['pkcs11.describe']['result']>;
  /** Tokens present in a PKCS#11 module now. */
  pkcs11Tokens?: (module: string) => Promise<WorkerMethods['pkcs11.tokens']['result']>;
  /** SKF library report for `tokens --skf`. */
  describeSkf?: (module: string) => Promise<WorkerMethods['skf.describe']['result']>;
  /** Opens a PFX file with its password (`pkcs12.open`). */
  openPkcs12?: (file: string, password: string) => Promise<KeyStore>;
  /** SKF devices present now. */
  skfTokens?: (module: string) => Promise<WorkerMethods['skf.tokens']['result']>;
  exit: (code: number) => void;
}

/** An envelope's content as the bridge accepts it (MAX_ENVELOPE_BYTES). */
const MAX_ENVELOPE_CONTENT = 8 * 1024 * 1024;

/** A store kind that cannot do an operation (SKF decryption, the Windows store's digests, …). */
export function notOnThisStore(kind: string, what: string): AssistantError {
  return new AssistantError('OPERATION_NOT_SUPPORTED', `该类证书存储暂不支持${what}`, { en: `this key store cannot do this (${what})`, details: { store: kind } });
}

/**
 * Runs the key stores in this (worker) process and answers calls. Params are never logged:
 * `store.sign` carries the PIN.
 */
export function runKeyStoreHost(port: HostPort, opts: HostOptions): void {
  const stores = new Map<string, Promise<KeyStore>>();
  const storeFor = (spec: StoreSpec): Promise<KeyStore> => {
    const key = storeKey(spec);
    let s = stores.get(key);
    if (!s) {
      s = opts.openStore(spec);
      stores.set(key, s);
      s.catch(() => stores.delete(key));
    }
    return s;
  };

  async function dispatch(method: string, params: unknown): Promise<unknown> {
    const p = (typeof params === 'object' && params !== null ? params : {}) as Record<string, unknown>;
    const spec = p['store'] as StoreSpec | undefined;
    if (method.startsWith('store.') && !(spec && (((spec.kind === 'pkcs11' || spec.kind === 'skf') && typeof spec.module === 'string') || (spec.kind === 'pkcs12' && typeof spec.file === 'string') || (spec.kind === 'windows' && typeof spec.localMachine === 'boolean')))) {
      throw new AssistantError('WORKER_BAD_REQUEST', '密钥服务请求格式错误', { en: 'malformed key-store request' });
    }
    switch (method) {
      case 'ping':
        return { pid: process.pid };
      case 'store.list':
        return (await storeFor(p['store'] as StoreSpec)).listIdentities();
      case 'store.pinState':
        return (await storeFor(p['store'] as StoreSpec)).pinState(String(p['identityId']));
      case 'store.sign': {
        const { data, algorithm, pin } = p;
        // The boundary checks what it is handed; the PIN itself never appears in an error.
        if (!(data instanceof Uint8Array) || data.length > 1024 * 1024 || typeof pin !== 'string' || pin.length > 256
          || (algorithm !== 'RS256' && algorithm !== 'ES256' && algorithm !== 'SM2-SM3')) {
          throw new AssistantError('WORKER_BAD_REQUEST', '签名请求格式错误', { en: 'malformed sign request' });
        }
        const store = await storeFor(p['store'] as StoreSpec);
        return store.sign(String(p['identityId']), data, algorithm, pin);
      }
      case 'store.signDigest':
      case 'store.decrypt': {
        const input = method === 'store.decrypt' ? p['ciphertext'] : p['digest'];
        const { algorithm, pin } = p;
        if (!(input instanceof Uint8Array) || input.length > 64 * 1024 || typeof pin !== 'string' || pin.length > 256
          || (algorithm !== 'RS256' && algorithm !== 'ES256' && algorithm !== 'SM2-SM3')) {
          throw new AssistantError('WORKER_BAD_REQUEST', '密钥请求格式错误', { en: 'malformed key request' });
        }
        const store = await storeFor(p['store'] as StoreSpec);
        const id = String(p['identityId']);
        if (method === 'store.decrypt') {
          if (!store.decrypt) throw notOnThisStore(store.kind, '解密');
          return store.decrypt(id, input, algorithm, pin);
        }
        if (!store.signDigest) throw notOnThisStore(store.kind, '对摘要签名');
        return store.signDigest(id, input, algorithm, pin);
      }
      case 'store.decryptEnvelope': {
        const { encryptedKey, content, algorithm, pin } = p;
        const c = (typeof content === 'object' && content !== null ? content : {}) as Record<string, unknown>;
        if (!(encryptedKey instanceof Uint8Array) || encryptedKey.length > 64 * 1024 || typeof c['cipher'] !== 'string' || c['cipher'].length > 64
          || !(c['iv'] instanceof Uint8Array) || c['iv'].length > 32 || !(c['ciphertext'] instanceof Uint8Array) || c['ciphertext'].length > MAX_ENVELOPE_CONTENT
          || typeof pin !== 'string' || pin.length > 256 || (algorithm !== 'RS256' && algorithm !== 'ES256' && algorithm !== 'SM2-SM3')) {
          throw new AssistantError('WORKER_BAD_REQUEST', '密钥请求格式错误', { en: 'malformed key request' });
        }
        const store = await storeFor(p['store'] as StoreSpec);
        if (!store.decryptEnvelope) throw notOnThisStore(store.kind, '解开数字信封');
        return store.decryptEnvelope(String(p['identityId']), encryptedKey, { cipher: c['cipher'], iv: c['iv'], ciphertext: c['ciphertext'] }, algorithm, pin);
      }
      case 'pkcs12.open': {
        const { file, password } = p;
        if (typeof file !== 'string' || file.length === 0 || file.length > 4096 || typeof password !== 'string' || password.length > 256) {
          throw new AssistantError('WORKER_BAD_REQUEST', '打开证书文件的请求格式错误', { en: 'malformed PFX open request' });
        }
        if (!opts.openPkcs12) throw new AssistantError('WORKER_METHOD_UNKNOWN', '密钥服务收到未知请求', { en: 'unknown worker method', details: { method } });
        const opened = await opts.openPkcs12(file, password);
        const key = storeKey({ kind: 'pkcs12', file });
        const previous = stores.get(key);
        stores.set(key, Promise.resolve(opened));
        if (previous) void previous.then((s) => s.close()).catch(() => {});
        return opened.listIdentities();
      }
      case 'store.close': {
        const key = storeKey(p['store'] as StoreSpec);
        const s = stores.get(key);
        stores.delete(key);
        if (s) await (await s).close();
        return null;
      }
      case 'pkcs11.describe':
        return opts.describePkcs11(String(p['module']));
      case 'pkcs11.tokens':
        if (!opts.pkcs11Tokens) throw new AssistantError('WORKER_METHOD_UNKNOWN', '密钥服务收到未知请求', { en: 'unknown worker method', details: { method } });
        return opts.pkcs11Tokens(String(p['module']));
      case 'skf.describe':
        if (!opts.describeSkf) throw new AssistantError('WORKER_METHOD_UNKNOWN', '密钥服务收到未知请求', { en: 'unknown worker method', details: { method } });
        return opts.describeSkf(String(p['module']));
      case 'skf.tokens':
        if (!opts.skfTokens) throw new AssistantError('WORKER_METHOD_UNKNOWN', '密钥服务收到未知请求', { en: 'unknown worker method', details: { method } });
        return opts.skfTokens(String(p['module']));
      default:
        throw new AssistantError('WORKER_METHOD_UNKNOWN', '密钥服务收到未知请求', { en: 'unknown worker method', details: { method } });
    }
  }

  async function shutdown(): Promise<void> {
    for (const s of stores.values()) {
      try {
        await (await s).close();
      } catch {}
    }
    stores.clear();
    opts.exit(0);
  }

  port.onMessage((raw) => {
    const m = raw as ClientToHost;
    if (typeof m !== 'object' || m === null) return;
    if (m.type === 'shutdown') {
      void shutdown();
      return;
    }
    if (m.type !== 'call' || typeof m.id !== 'number') return;
    dispatch(m.method, m.params).then(
      (result) => port.postMessage({ type: 'result', id: m.id, result }),
      (e: unknown) => port.postMessage({ type: 'error', id: m.id, error: toErrorInfo(e, 'WORKER_INTERNAL_ERROR') }),
    );
  });
  port.postMessage({ type: 'ready', pid: process.pid });
}
