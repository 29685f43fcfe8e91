/**
 * The loopback WebSocket listeners for BJCA and HEBCA, and JIT PNXClient's loopback HTTP
 * (main/bridge/jit-http.ts; its Origin is checked on every request). The Origin header is checked at the
 * handshake (before any byte of the protocol is sent): not on the signing allow-list, or absent,
 * and the upgrade is refused with 403 and noted. A busy port (the CA's own assistant) is
 * reported, never fought over.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { BjcaSession } from './bjca.ts';
import { HebcaSession } from './hebca.ts';
import { createJitHttp, REFUSED_NOTES_PER_SECOND } from './jit-http.ts';
import { hostHeaderIsLoopback } from './loopback-host.ts';
import { CertificateCache, DEFAULT_LIMITS, FrameRate, type SessionContext, type SessionLimits } from './session.ts';
import { BRIDGE_SERVER_NAME, type BridgeEndpoint, type BridgeHost, type BridgeProtocol } from './types.ts';
import { LOOPBACK_IPV4 } from '../../common/portal-origins.ts';

export const STANDARD_PORTS = { bjcaWs: 21051, bjcaWss: 21061, hebca: 17212, jit: 10086, jitHttps: 10087 } as const;
export type BridgePorts = { bjcaWs: number; bjcaWss: number; hebca: number; jit: number; jitHttps: number };

/** Frames above this close the socket (ws's own cap); smaller oversize frames get an error answer. */
const HARD_FRAME_CAP = 16 * 1024 * 1024;
const MAX_CONNECTIONS = 64;

export interface BridgeServerOptions {
  protocols: readonly BridgeProtocol[];
  /** Port 0 picks a free port (tests); defaults are the CAs' standard ports. */
  ports?: Partial<BridgePorts>;
  /** Certificate for wss://127.0.0.1:21061 and https://127.0.0.1:10087 (PEM); without it BJCA serves ws only, JIT http only. */
  tls?: { cert: string; key: string };
  isAllowedOrigin(origin: string): boolean;
  host: BridgeHost;
  limits?: Partial<SessionLimits>;
  /** How long a certificate list from the host is used (CertificateCache); default 1 s. */
  certificateMaxAgeMs?: number;
  acceptPagePin?: boolean;
  log?: (event: string, fields?: Record<string, string | number | boolean | null>) => void;
  /** The clock of the refused-note limit (tests); default Date.now. */
  now?: () => number;
}

export interface BridgeServer {
  endpoints: BridgeEndpoint[];
  /** Tells every open connection that keys were inserted or removed. */
  keysChanged(): void;
  connections(): number;
  close(): Promise<void>;
}

interface Listener {
  protocol: BridgeProtocol;
  scheme: BridgeEndpoint['scheme'];
  host: string;
  port: number;
  path: string;
}


function pathMatches(protocol: BridgeProtocol, url: string | undefined): boolean {
  const path = (url ?? '').split('?')[0];
  return protocol === 'bjca' ? path === '/xtxapp/' || path === '/xtxapp' : path === '/test' || path === '/test/';
}

function refuse(socket: Duplex, status: number, text: string): void {
  try {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  } catch {}
  socket.destroy();
}

export async function startBridgeServer(opts: BridgeServerOptions): Promise<BridgeServer> {
  const limits: SessionLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const log = opts.log ?? (() => {});
  const ports: BridgePorts = { ...STANDARD_PORTS, ...opts.ports };
  const listeners: Listener[] = [];
  if (opts.protocols.includes('bjca')) {
    listeners.push({ protocol: 'bjca', scheme: 'ws', host: LOOPBACK_IPV4, port: ports.bjcaWs, path: '/xtxapp/' });
    if (opts.tls) listeners.push({ protocol: 'bjca', scheme: 'wss', host: LOOPBACK_IPV4, port: ports.bjcaWss, path: '/xtxapp/' });
  }
  if (opts.protocols.includes('hebca')) {
    // `localhost` resolves to 127.0.0.1 or ::1 depending on the machine: listen on both.
    listeners.push({ protocol: 'hebca', scheme: 'ws', host: LOOPBACK_IPV4, port: ports.hebca, path: '/test' });
    listeners.push({ protocol: 'hebca', scheme: 'ws', host: '::1', port: ports.hebca, path: '/test' });
  }
  if (opts.protocols.includes('jit')) {
    // http pages use 10086, https pages 10087 (the same pinned/opt-in loopback certificate as wss 21061).
    listeners.push({ protocol: 'jit', scheme: 'http', host: LOOPBACK_IPV4, port: ports.jit, path: '/' });
    if (opts.tls) listeners.push({ protocol: 'jit', scheme: 'https', host: LOOPBACK_IPV4, port: ports.jitHttps, path: '/' });
  }

  const sessions = new Set<BjcaSession | HebcaSession>();
  const sockets = new Set<WebSocket>();
  const servers: Server[] = [];
  const serverProtocol = new Map<Server, BridgeProtocol>();
  const endpoints: BridgeEndpoint[] = [];
  let hebcaPort: number | null = null;

  // List and export calls answer from here; keysChanged() clears it before any page hears of the change.
  const certificates = new CertificateCache(opts.certificateMaxAgeMs);
  const jit = createJitHttp({ isAllowedOrigin: (o) => opts.isAllowedOrigin(o), host: opts.host, certificates, limits, acceptPagePin: opts.acceptPagePin === true, log });
  const refusedNotes = new FrameRate(REFUSED_NOTES_PER_SECOND, opts.now);
  const wss = new WebSocketServer({ noServer: true, maxPayload: HARD_FRAME_CAP, perMessageDeflate: false, clientTracking: false });

  const attach = (ws: WebSocket, protocol: BridgeProtocol, origin: string): void => {
    sockets.add(ws);
    const ctx: SessionContext = {
      origin, protocol, host: opts.host, certificates, limits, acceptPagePin: opts.acceptPagePin === true, log,
      send: (text) => {
        if (ws.readyState === ws.OPEN) ws.send(text);
      },
    };
    const session = protocol === 'bjca' ? new BjcaSession(ctx) : new HebcaSession(ctx);
    sessions.add(session);
    ws.on('message', (data, isBinary) => {
      const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer).byteLength;
      if (isBinary || size > limits.maxFrameBytes) {
        // Text frames only; oversize or binary frames get the protocol's error, the socket stays.
        if (protocol === 'hebca') ctx.send(`1|Error|${JSON.stringify({ ret: 1010, msg: isBinary ? '只接受文本帧' : '数据过大' })}`);
        return;
      }
      // ws hands a Buffer here (binaryType nodebuffer): decode it in place, no copy per frame.
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
      session.onFrame(text).catch((e) => log('bridge.frame-error', { protocol, error: String((e as Error)?.message ?? e).slice(0, 200) }));
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      session.close();
      sessions.delete(session);
      sockets.delete(ws);
    });
  };

  const onUpgrade = (l: Listener) => (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : null;
    let reason: string | null = null;
    if (!pathMatches(l.protocol, req.url)) reason = 'path';
    else if (!hostHeaderIsLoopback(req)) reason = 'host';
    else if (origin === null) reason = 'no-origin';
    else if (!opts.isAllowedOrigin(origin)) reason = 'origin-not-allowed';
    else if (sockets.size >= MAX_CONNECTIONS) reason = 'too-many-connections';
    if (reason !== null) {
      // A refused page whose library reconnects on every error (BJCA's older ones do, at once) must not flood the log.
      if (refusedNotes.allow()) opts.host.note({ event: 'refused', origin: origin === null ? null : origin.slice(0, 200), reason, protocol: l.protocol });
      refuse(socket, reason === 'path' ? 404 : reason === 'too-many-connections' ? 503 : 403, reason === 'path' ? 'Not Found' : 'Forbidden');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, l.protocol, origin!));
  };

  const busyProtocols = new Set<BridgeProtocol>();
  const listenOne = (l: Listener): Promise<void> => new Promise((resolve) => {
    // HEBCA's `localhost` pair: the CA's assistant on either address owns the protocol; we take neither.
    if (l.protocol === 'hebca' && busyProtocols.has('hebca')) return resolve();
    const server = l.scheme === 'wss' || l.scheme === 'https' ? createHttpsServer({ cert: opts.tls!.cert, key: opts.tls!.key }) : createHttpServer();
    if (l.protocol === 'jit') {
      let base = '';
      server.on('listening', () => {
        const a = server.address();
        base = `${l.scheme}://${l.host}:${typeof a === 'object' && a ? a.port : l.port}`;
      });
      server.on('request', (req, res) => jit.handle(base, req, res));
      server.maxConnections = MAX_CONNECTIONS;
      // A body must arrive promptly; the answer may wait for the user's consent.
      server.requestTimeout = 30_000;
      server.headersTimeout = 10_000;
    } else {
      // Plain HTTP gets nothing: this is a WebSocket endpoint only.
      server.on('request', (_req, res) => {
        res.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close', Server: BRIDGE_SERVER_NAME });
        res.end('WebSocket only\n');
      });
      server.on('upgrade', onUpgrade(l));
    }
    server.on('clientError', (_e, socket) => socket.destroy());
    const port = l.protocol === 'hebca' && hebcaPort !== null ? hebcaPort : l.port;
    // (JIT's two listeners are separate ports: either may be busy alone.)
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') {
        busyProtocols.add(l.protocol);
        opts.host.note({ event: 'port-busy', protocol: l.protocol, host: l.host, port });
      }
      else if (!(l.host === '::1' && (e.code === 'EADDRNOTAVAIL' || e.code === 'EAFNOSUPPORT'))) log('bridge.listen-failed', { protocol: l.protocol, host: l.host, port, code: e.code ?? null });
      resolve();
    });
    server.listen({ host: l.host, port, exclusive: true }, () => {
      const addr = server.address();
      const actual = typeof addr === 'object' && addr ? addr.port : port;
      if (l.protocol === 'hebca') hebcaPort = actual;
      servers.push(server);
      serverProtocol.set(server, l.protocol);
      const hostText = l.host.includes(':') ? `[${l.host}]` : l.host;
      endpoints.push({ protocol: l.protocol, scheme: l.scheme, host: l.host, port: actual, path: l.path, url: `${l.scheme}://${hostText}:${actual}${l.path}` });
      resolve();
    });
  });

  for (const l of listeners) await listenOne(l);
  if (busyProtocols.has('hebca')) {
    // ::1 was busy after 127.0.0.1 listened: give the port back, pages must reach one assistant only.
    for (const server of servers.filter((x) => serverProtocol.get(x) === 'hebca')) {
      servers.splice(servers.indexOf(server), 1);
      await new Promise<void>((r) => server.close(() => r()));
    }
    for (let i = endpoints.length - 1; i >= 0; i--) if (endpoints[i]!.protocol === 'hebca') endpoints.splice(i, 1);
  }

  return {
    endpoints,
    keysChanged() {
      certificates.clear();
      for (const s of sessions) s.usbKeyChanged();
      jit.keysChanged();
    },
    connections: () => sockets.size,
    async close() {
      jit.close();
      for (const ws of sockets) ws.terminate();
      await Promise.all(servers.map((s) => new Promise<void>((r) => {
        s.close(() => r());
        s.closeAllConnections?.();
      })));
    },
  };
}
