// The bridge process: Electron utilityProcess (process.parentPort) or child_process.fork (process.send).
// Page frames are parsed here, never in the main process; keys and consent stay with the host.
import { AssistantError } from '../errors.ts';
import { createPortalOriginAllowList } from '../../common/portal-origins.ts';
import type { BridgeHostCalls, BridgeHostMethod, FromBridge, ToBridge } from './process-protocol.ts';
import { startBridgeServer, type BridgeServer } from './server.ts';
import type { BridgeHost } from './types.ts';

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
}

function channel(): { post(m: FromBridge): void; onMessage(l: (m: unknown) => void): void } {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (parentPort) return { post: (m) => parentPort.postMessage(m), onMessage: (l) => parentPort.on('message', (e) => l(e.data)) };
  if (process.send) {
    const send = process.send.bind(process);
    // Host gone: nothing may sign any more, so nothing is served.
    process.on('disconnect', () => process.exit(0));
    return { post: (m) => void send(m), onMessage: (l) => process.on('message', l) };
  }
  throw new Error('bridge process started without a parent channel');
}

const ch = channel();
let nextId = 1;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
let server: BridgeServer | null = null;

function call<M extends BridgeHostMethod>(method: M, params: BridgeHostCalls[M]['params']): Promise<BridgeHostCalls[M]['result']> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    ch.post({ type: 'call', id, method, params });
  });
}

const host: BridgeHost = {
  certificates: (ctx) => call('certificates', ctx),
  sign: (req) => call('sign', req),
  decrypt: (req) => call('decrypt', req),
  note: (note) => ch.post({ type: 'note', note }),
};

ch.onMessage((raw) => {
  const m = raw as ToBridge;
  if (typeof m !== 'object' || m === null) return;
  if (m.type === 'reply') {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(new AssistantError(m.error.code, m.error.message, { ...(m.error.messageEn ? { en: m.error.messageEn } : {}) }));
  } else if (m.type === 'keysChanged') {
    server?.keysChanged();
  } else if (m.type === 'start' && !server) {
    const allow = createPortalOriginAllowList(m.options.allowedOrigins);
    void startBridgeServer({
      protocols: m.options.protocols,
      ...(m.options.ports ? { ports: m.options.ports } : {}),
      ...(m.options.tls ? { tls: m.options.tls } : {}),
      ...(m.options.limits ? { limits: m.options.limits } : {}),
      isAllowedOrigin: (o) => allow.isAllowedOrigin(o),
      host,
      acceptPagePin: m.options.acceptPagePin,
      log: (event, fields) => ch.post({ type: 'log', event, ...(fields ? { fields } : {}) }),
    }).then((s) => {
      server = s;
      ch.post({ type: 'listening', endpoints: s.endpoints });
    });
  } else if (m.type === 'stop') {
    void (server?.close() ?? Promise.resolve()).then(() => {
      ch.post({ type: 'stopped' });
      process.exit(0);
    });
  }
});
