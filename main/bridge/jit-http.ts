/**
 * JIT PNXClient's loopback HTTP (docs/compat.md §8): `POST /` with the body `QueryService` hands
 * out a session URL of ours (random, bound to the origin that asked); calls are POSTed there.
 * text/plain POSTs are CORS simple requests — the browser sends them without a preflight — so the
 * Origin is checked on every request: absent or not on the signing allow-list → 403 without any
 * CORS header (the page's XHR throws and reads nothing) and a `refused` note. Allowed origins get
 * `Access-Control-Allow-Origin: <origin>`; Chrome's Local Network Access preflight is answered
 * (`Access-Control-Allow-Private-Network: true`) for them only.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { JitSession } from './jit.ts';
import { hostHeaderIsLoopback } from './loopback-host.ts';
import { FrameRate, type CertificateCache, type SessionContext, type SessionLimits } from './session.ts';
import { BRIDGE_SERVER_NAME, type BridgeHost } from './types.ts';

/** A session unused this long is forgotten (the page library asks QueryService again). */
export const JIT_SESSION_IDLE_MS = 15 * 60 * 1000;
export const JIT_MAX_SESSIONS_PER_ORIGIN = 16;
export const JIT_MAX_SESSIONS = 256;
/** New sessions one origin may open per second. */
const QUERY_SERVICE_PER_SECOND = 20;
/** `refused` notes per second (every request is checked: a refused page retrying must not flood the log). */
export const REFUSED_NOTES_PER_SECOND = 10;
export const JIT_SESSION_PATH = '/s/';

interface Entry {
  session: JitSession;
  origin: string;
  lastUsed: number;
}

export interface JitHttpOptions {
  isAllowedOrigin(origin: string): boolean;
  host: BridgeHost;
  /** The server's certificate list cache (shared with the WebSocket protocols). */
  certificates: CertificateCache;
  limits: SessionLimits;
  acceptPagePin: boolean;
  log: (event: string, fields?: Record<string, string | number | boolean | null>) => void;
  now?: () => number;
}

export interface JitHttp {
  /** Answers one request on a JIT listener; `base` is that listener's own URL (`http://127.0.0.1:10086`). */
  handle(base: string, req: IncomingMessage, res: ServerResponse): void;
  keysChanged(): void;
  sessions(): number;
  close(): void;
}

const COMMON_HEADERS = { Server: BRIDGE_SERVER_NAME, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', Vary: 'Origin' };

export function createJitHttp(opts: JitHttpOptions): JitHttp {
  const now = opts.now ?? Date.now;
  const sessions = new Map<string, Entry>();
  const creation = new Map<string, FrameRate>();
  const refusedNotes = new FrameRate(REFUSED_NOTES_PER_SECOND, now);
  const noteRefused = (origin: string | null, reason: string): void => {
    if (refusedNotes.allow()) opts.host.note({ event: 'refused', origin: origin === null ? null : origin.slice(0, 200), reason, protocol: 'jit' });
  };

  const sweep = (): void => {
    const t = now();
    for (const [token, e] of sessions) {
      if (t - e.lastUsed > JIT_SESSION_IDLE_MS) {
        e.session.close();
        sessions.delete(token);
      }
    }
    if (creation.size > JIT_MAX_SESSIONS) creation.clear();
  };

  const evictOldest = (origin: string | null): void => {
    let oldest: [string, Entry] | null = null;
    for (const kv of sessions) if ((origin === null || kv[1].origin === origin) && (oldest === null || kv[1].lastUsed < oldest[1].lastUsed)) oldest = kv;
    if (oldest) {
      oldest[1].session.close();
      sessions.delete(oldest[0]);
    }
  };

  const open = (origin: string): string | null => {
    sweep();
    let rate = creation.get(origin);
    if (!rate) creation.set(origin, (rate = new FrameRate(QUERY_SERVICE_PER_SECOND, now)));
    if (!rate.allow()) return null;
    if ([...sessions.values()].filter((e) => e.origin === origin).length >= JIT_MAX_SESSIONS_PER_ORIGIN) evictOldest(origin);
    if (sessions.size >= JIT_MAX_SESSIONS) evictOldest(null);
    const ctx: SessionContext = {
      origin, protocol: 'jit', host: opts.host, certificates: opts.certificates, limits: opts.limits, acceptPagePin: opts.acceptPagePin, log: opts.log,
      // Answers go back on the HTTP response, never pushed.
      send: () => {},
    };
    const token = randomBytes(18).toString('base64url');
    sessions.set(token, { session: new JitSession(ctx), origin, lastUsed: now() });
    return token;
  };

  const refuse = (res: ServerResponse, origin: string | null, reason: string): void => {
    noteRefused(origin, reason);
    res.writeHead(403, { ...COMMON_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '0', Connection: 'close' });
    res.end();
  };

  const reply = (res: ServerResponse, origin: string, status: number, body: string, type = 'application/json; charset=utf-8'): void => {
    if (res.writableEnded || res.destroyed) return;
    const bytes = Buffer.from(body, 'utf8');
    res.writeHead(status, { ...COMMON_HEADERS, 'Access-Control-Allow-Origin': origin, 'Content-Type': type, 'Content-Length': String(bytes.length) });
    res.end(bytes);
  };

  /** The request body as UTF-8, or null when it is larger than a frame may be (answered 413, connection closed). */
  const readBody = (req: IncomingMessage, res: ServerResponse, origin: string): Promise<string | null> => new Promise((resolve) => {
    const max = opts.limits.maxFrameBytes;
    const declared = Number(req.headers['content-length'] ?? 0);
    const tooLarge = (): void => {
      res.writeHead(413, { ...COMMON_HEADERS, 'Access-Control-Allow-Origin': origin, 'Content-Length': '0', Connection: 'close' });
      res.end();
      req.destroy();
      resolve(null);
    };
    if (Number.isFinite(declared) && declared > max) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > max) {
        done = true;
        tooLarge();
      } else chunks.push(c);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', () => {
      if (done) return;
      done = true;
      resolve(null);
    });
  });

  const handlePost = async (base: string, req: IncomingMessage, res: ServerResponse, origin: string): Promise<void> => {
    const path = (req.url ?? '').split('?')[0]!;
    const body = await readBody(req, res, origin);
    if (body === null) return;
    if (path === '/') {
      if (body.trim() !== 'QueryService') return reply(res, origin, 400, '', 'text/plain; charset=utf-8');
      const token = open(origin);
      if (token === null) {
        opts.host.note({ event: 'rate-limited', origin, protocol: 'jit' });
        return reply(res, origin, 429, '', 'text/plain; charset=utf-8');
      }
      // The page library uses this body verbatim as the address of every later call.
      return reply(res, origin, 200, `${base}${JIT_SESSION_PATH}${token}`, 'text/plain; charset=utf-8');
    }
    const token = path.startsWith(JIT_SESSION_PATH) ? path.slice(JIT_SESSION_PATH.length) : null;
    const entry = token !== null ? sessions.get(token) : undefined;
    if (entry && entry.origin !== origin) {
      // Another allowed origin holding this URL: it is not theirs. Same answer as an unknown session.
      noteRefused(origin, 'session-origin');
    }
    if (!entry || entry.origin !== origin || now() - entry.lastUsed > JIT_SESSION_IDLE_MS) {
      // Without a CORS header the library's synchronous XHR throws: that, and only that, makes it forget
      // the session URL (and answer this one call {"value":""}); its next call asks QueryService again.
      // A readable empty body would instead make every later JSON.parse throw with the stale URL kept.
      if (!res.writableEnded && !res.destroyed) {
        res.writeHead(404, { ...COMMON_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '0' });
        res.end();
      }
      return;
    }
    entry.lastUsed = now();
    const answer = await entry.session.call(body);
    entry.lastUsed = now();
    reply(res, origin, 200, answer);
  };

  return {
    handle(base, req, res) {
      res.on('error', () => {});
      req.on('error', () => {});
      if (!hostHeaderIsLoopback(req)) return refuse(res, typeof req.headers.origin === 'string' ? req.headers.origin : null, 'host');
      if (req.method !== 'POST' && req.method !== 'OPTIONS') {
        res.writeHead(405, { ...COMMON_HEADERS, Allow: 'POST, OPTIONS', 'Content-Length': '0' });
        res.end();
        return;
      }
      const origin = typeof req.headers.origin === 'string' ? req.headers.origin : null;
      if (origin === null) return refuse(res, null, 'no-origin');
      if (!opts.isAllowedOrigin(origin)) return refuse(res, origin, 'origin-not-allowed');
      if (req.method === 'OPTIONS') {
        const pna = String(req.headers['access-control-request-private-network'] ?? '').toLowerCase() === 'true';
        res.writeHead(204, {
          ...COMMON_HEADERS, 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Methods': 'POST',
          'Access-Control-Allow-Headers': 'Content-Type', 'Access-Control-Max-Age': '600',
          ...(pna ? { 'Access-Control-Allow-Private-Network': 'true' } : {}),
        });
        res.end();
        return;
      }
      handlePost(base, req, res, origin).catch((e) => {
        opts.log('bridge.request-error', { protocol: 'jit', error: String((e as Error)?.message ?? e).slice(0, 200) });
        reply(res, origin, 500, '', 'text/plain; charset=utf-8');
      });
    },
    keysChanged() {
      for (const e of sessions.values()) e.session.usbKeyChanged();
    },
    sessions: () => sessions.size,
    close() {
      for (const e of sessions.values()) e.session.close();
      sessions.clear();
    },
  };
}
