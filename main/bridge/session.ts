/**
 * What every protocol session shares: the connection it serves (origin from the handshake, never
 * from frames), the host it asks, the per-connection login state, and the limits.
 */
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { AssistantError } from '../errors.ts';
import { memoized } from '../memo.ts';
import { parseCertificate, type ParsedCertificate } from '../pki/certificate.ts';
import { sm3 } from '../pki/sm2.ts';
import type { BridgeCertificate, BridgeHost, BridgeProtocol } from './types.ts';

export interface SessionLimits {
  /** Largest text frame accepted (bytes). */
  maxFrameBytes: number;
  /** Largest decoded data a page may ask us to sign or hash (bytes). */
  maxDataBytes: number;
  /** Calls answered concurrently on one connection; more wait. */
  maxInFlight: number;
  /** Frames per second one connection may send before it is answered with errors. */
  framesPerSecond: number;
  /** How long a certificate list may take (device calls behind it have their own timeouts). */
  hostTimeoutMs: number;
}

export const DEFAULT_LIMITS: SessionLimits = {
  maxFrameBytes: 4 * 1024 * 1024,
  maxDataBytes: 2 * 1024 * 1024,
  maxInFlight: 4,
  framesPerSecond: 200,
  hostTimeoutMs: 30_000,
};

export interface SessionContext {
  origin: string;
  protocol: BridgeProtocol;
  host: BridgeHost;
  /** The server's cache of the host's certificate list (cleared when keys change). */
  certificates: CertificateCache;
  limits: SessionLimits;
  /** Policy `bridge.acceptPagePin` (admin only): a page-typed PIN may unlock the key. */
  acceptPagePin: boolean;
  send(text: string): void;
  log(event: string, fields?: Record<string, string | number | boolean | null>): void;
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new AssistantError('DEVICE_TIMEOUT', `${what}长时间无响应`, { en: `${what} did not answer in time` })), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}

/** A fixed-window frame counter: cheap, and enough to stop a page flooding the key. */
export class FrameRate {
  private windowStart = 0;
  private count = 0;
  constructor(private readonly perSecond: number, private readonly now: () => number = Date.now) {}
  allow(): boolean {
    const t = this.now();
    if (t - this.windowStart >= 1000) {
      this.windowStart = t;
      this.count = 0;
    }
    return ++this.count <= this.perSecond;
  }
}

/**
 * The host's certificate list as this process last heard it, so list/export calls are answered here
 * instead of crossing to the host (another process) on every call. One per server, shared by its
 * connections, kept per origin and protocol (what the host is asked with).
 * - `clear()` when keys are inserted or removed (the host says so): the next call asks the host,
 *   and an answer to a question asked before the clear is never kept.
 * - An answer is used for `maxAgeMs`; older, the call waits for the host as before. Past half that
 *   age a call still answers from it and the host is asked in the background, so under steady use
 *   no call waits for the host and the list is never older than `maxAgeMs` (plus the host's own
 *   brief cache, host.ts) for stores that give no insert/remove event.
 * - A failed or timed-out question keeps nothing: the next call asks again.
 * - A certificate the host lists again unchanged keeps its object, so it is parsed once
 *   (parsedCertificate), when it first arrives — before any call that reads it.
 * Signing and decryption always go to the host, which finds the key in its own current list.
 */
export class CertificateCache {
  private readonly byContext = new Map<string, { at: number; list: BridgeCertificate[] }>();
  private readonly asking = new Map<string, Promise<BridgeCertificate[]>>();
  private generation = 0;

  constructor(private readonly maxAgeMs = 1_000, private readonly now: () => number = () => performance.now()) {}

  clear(): void {
    this.generation++;
    this.byContext.clear();
    this.asking.clear();
  }

  get(ctx: Pick<SessionContext, 'host' | 'origin' | 'protocol' | 'limits'>): Promise<BridgeCertificate[]> {
    const key = `${ctx.protocol}\0${ctx.origin}`;
    const hit = this.byContext.get(key);
    const age = hit ? this.now() - hit.at : Infinity;
    if (hit && age <= this.maxAgeMs) {
      if (age > this.maxAgeMs / 2) this.ask(key, ctx).catch(() => {});
      return Promise.resolve(hit.list);
    }
    return this.ask(key, ctx);
  }

  private ask(key: string, ctx: Pick<SessionContext, 'host' | 'origin' | 'protocol' | 'limits'>): Promise<BridgeCertificate[]> {
    const pending = this.asking.get(key);
    if (pending) return pending;
    const generation = this.generation;
    const p = withTimeout(ctx.host.certificates({ origin: ctx.origin, protocol: ctx.protocol }), ctx.limits.hostTimeoutMs, '证书列表').then((answer) => {
      if (this.asking.get(key) === p) this.asking.delete(key);
      // Asked before keys changed: this caller gets what it asked for, nothing is kept.
      if (generation !== this.generation) return answer;
      const list = this.keepKnown(answer);
      // Origins come from the allow-list and connections are capped: a handful of keys at most.
      if (this.byContext.size >= 256) this.byContext.clear();
      this.byContext.set(key, { at: this.now(), list });
      return list;
    }, (e: unknown) => {
      if (this.asking.get(key) === p) this.asking.delete(key);
      throw e;
    });
    this.asking.set(key, p);
    return p;
  }

  /** The list with each certificate we already hold unchanged replaced by that object; new ones parsed. */
  private keepKnown(list: BridgeCertificate[]): BridgeCertificate[] {
    const known = new Map<string, BridgeCertificate>();
    for (const { list: l } of this.byContext.values()) for (const c of l) known.set(c.id, c);
    return list.map((c) => {
      const k = known.get(c.id);
      if (k && sameCertificate(k, c)) return k;
      try {
        parsedCertificate(c);
      } catch {
        // Listed but unparsable: the call that reads it reports it, as before.
      }
      return c;
    });
  }
}

/**
 * The host lists a certificate unchanged: every field the same (bytes by value). Field by field over
 * both objects, so a field BridgeCertificate gains is compared without being named here.
 */
function sameCertificate(a: BridgeCertificate, b: BridgeCertificate): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as Array<keyof BridgeCertificate>);
  for (const k of keys) {
    const x = a[k];
    const y = b[k];
    if (x instanceof Uint8Array && y instanceof Uint8Array ? Buffer.compare(x, y) !== 0 : x !== y) return false;
  }
  return true;
}

/** A listed certificate, parsed once per object (the cache keeps objects across refreshes). */
export const parsedCertificate: (c: BridgeCertificate) => ParsedCertificate = memoized((c) => parseCertificate(c.certificate), new WeakMap());

/**
 * Dual-algorithm keys (一证通: an RSA and an SM2 certificate of one subject): where a subject DN has a
 * certificate of the preferred algorithm, its certificates of the other one are left out; everything
 * else stays, in the host's order.
 */
export function preferAlgorithmPerSubject(list: BridgeCertificate[], prefer: 'SM2' | 'RSA'): BridgeCertificate[] {
  const kind = (c: BridgeCertificate): 'SM2' | 'RSA' | 'other' => (c.algorithm === 'SM2-SM3' ? 'SM2' : c.algorithm === 'RS256' ? 'RSA' : 'other');
  const subject = new Map(list.map((c) => [c.id, parsedCertificate(c).subject]));
  return list.filter((c) => kind(c) === prefer || !list.some((o) => o !== c && kind(o) === prefer && subject.get(o.id) === subject.get(c.id)));
}

/** The certificates the host lists (through the server's cache), with a timeout so a page never waits forever. */
export async function listCertificates(ctx: SessionContext): Promise<BridgeCertificate[]> {
  return ctx.certificates.get(ctx);
}

export function base64Decode(s: string, max: number): Uint8Array | null {
  if (typeof s !== 'string' || s.length > Math.ceil((max * 4) / 3) + 4) return null;
  const clean = s.replace(/[\r\n\s]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) return null;
  return new Uint8Array(Buffer.from(clean, 'base64'));
}

export function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function randomBase64(length: number): string {
  return b64(randomBytes(length));
}

export type HashName = 'sm3' | 'sha1' | 'sha256';

export function digest(name: HashName, data: Uint8Array): Uint8Array {
  if (name === 'sm3') return sm3(data);
  return new Uint8Array(createHash(name).update(data).digest());
}
