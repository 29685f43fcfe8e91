/**
 * The verifier's ChallengeStore in Redis, for a portal running several instances: a challenge issued
 * by one instance is single-use across all of them (issue 12, item 12). Its own module and package
 * export (`cert-assistant/redis-challenge-store`), so verifier users without Redis never load ioredis.
 *
 * One key per challenge, `<prefix><challenge>`, holding the expiry (ms since epoch, from the caller's
 * clock) while unused and `used` once consumed. Consume is one Lua script, so two instances verifying
 * the same token at the same moment cannot both see it unused. Keys carry a Redis TTL (the challenge's
 * TTL plus `rememberMs`), so a replay reads 'reused' for that long and then 'unknown'; nothing piles up.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { CHALLENGE_BYTES, DEFAULT_CHALLENGE_TTL_MS, type ChallengeStore, type ConsumeResult } from './challenge-store.ts';

/** Challenges are base64 of 32 random bytes; anything longer is not ours (and never becomes a key). */
const MAX_CHALLENGE_CHARS = 128;
export const DEFAULT_REDIS_KEY_PREFIX = 'cert-assistant:challenge:';
/** How long a consumed or expired challenge is remembered, so a replay is told apart from a stranger. */
export const DEFAULT_REMEMBER_MS = 60 * 60 * 1000;

// KEYS[1] the challenge's key; ARGV[1] now (ms); ARGV[2] how long to remember a consumed one (ms).
// Burnt even when late, as in the memory store, so it can never be tried again.
const CONSUME_LUA = `
local v = redis.call('GET', KEYS[1])
if not v then return 'unknown' end
if v == 'used' then return 'reused' end
redis.call('SET', KEYS[1], 'used', 'PX', ARGV[2])
if tonumber(v) < tonumber(ARGV[1]) then return 'expired' end
return 'ok'
`;

export interface RedisChallengeStoreOptions {
  /** A connected ioredis client (shared with the portal), or a `redis://` URL / ioredis options to open one. */
  redis: Redis | string | RedisOptions;
  ttlMs?: number;
  rememberMs?: number;
  keyPrefix?: string;
  randomBytes?: (n: number) => Uint8Array;
}

type RedisWithConsume = Redis & { certAssistantConsume(key: string, now: string, rememberMs: string): Promise<string> };

export class RedisChallengeStore implements ChallengeStore {
  readonly ttlMs: number;
  readonly rememberMs: number;
  readonly keyPrefix: string;
  private readonly client: RedisWithConsume;
  private readonly ownsClient: boolean;
  private readonly randomBytes: (n: number) => Uint8Array;
  /** The last connection error of a client this store opened (for the portal's health output). */
  lastError: Error | null = null;

  constructor(opts: RedisChallengeStoreOptions) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_CHALLENGE_TTL_MS;
    this.rememberMs = Math.max(1000, opts.rememberMs ?? DEFAULT_REMEMBER_MS);
    this.keyPrefix = opts.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
    this.randomBytes = opts.randomBytes ?? ((n) => new Uint8Array(nodeRandomBytes(n)));
    if (opts.redis instanceof Redis) {
      this.client = opts.redis as RedisWithConsume;
      this.ownsClient = false;
    } else {
      // A bounded wait per command: a Redis that is down fails the login (retryable), never hangs it.
      const defaults: RedisOptions = { maxRetriesPerRequest: 2, connectTimeout: 5000, commandTimeout: 5000 };
      this.client = (typeof opts.redis === 'string' ? new Redis(opts.redis, defaults) : new Redis({ ...defaults, ...opts.redis })) as RedisWithConsume;
      this.ownsClient = true;
      // Connection errors surface as rejected calls (the login fails, retryable); ioredis would
      // otherwise also print each reconnect failure as an unhandled error event.
      this.client.on('error', (e: Error) => { this.lastError = e; });
    }
    if (typeof this.client.certAssistantConsume !== 'function') this.client.defineCommand('certAssistantConsume', { numberOfKeys: 1, lua: CONSUME_LUA });
  }

  /**
   * `boundTo`: an opaque owner (a portal's hash of the browser's pre-session cookie), kept beside the
   * challenge for as long and read back with boundTo(), so every instance can check who it was issued to.
   */
  async issue(now: Date, opts: { boundTo?: string } = {}): Promise<{ challenge: string; expiresAt: Date }> {
    const bytes = this.randomBytes(CHALLENGE_BYTES);
    if (bytes.length < CHALLENGE_BYTES) throw new Error('random source returned too few bytes');
    const challenge = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    const expiresAt = new Date(now.getTime() + this.ttlMs);
    // NX: 32 random bytes never collide, but a colliding key must not be revived.
    const keepMs = this.ttlMs + this.rememberMs;
    // The owner first: a challenge is never visible without the owner it was issued with.
    if (opts.boundTo !== undefined) await this.client.set(this.ownerKey(challenge), opts.boundTo, 'PX', keepMs);
    const set = await this.client.set(this.keyPrefix + challenge, String(expiresAt.getTime()), 'PX', keepMs, 'NX');
    if (set !== 'OK') throw new Error('challenge key already present');
    return { challenge, expiresAt };
  }

  /** The owner given at issue; null when unknown, forgotten, or issued unbound. */
  async boundTo(challenge: string): Promise<string | null> {
    if (!isPlausible(challenge)) return null;
    return this.client.get(this.ownerKey(challenge));
  }

  private ownerKey(challenge: string): string {
    return `${this.keyPrefix}owner:${challenge}`;
  }

  async lookup(challenge: string, now: Date): Promise<ConsumeResult> {
    if (!isPlausible(challenge)) return 'unknown';
    const v = await this.client.get(this.keyPrefix + challenge);
    if (v === null) return 'unknown';
    if (v === 'used') return 'reused';
    return Number(v) < now.getTime() ? 'expired' : 'ok';
  }

  async consume(challenge: string, now: Date): Promise<ConsumeResult> {
    if (!isPlausible(challenge)) return 'unknown';
    const r = await this.client.certAssistantConsume(this.keyPrefix + challenge, String(now.getTime()), String(this.rememberMs));
    if (r === 'ok' || r === 'unknown' || r === 'expired' || r === 'reused') return r;
    throw new Error(`unexpected answer from Redis: ${String(r)}`);
  }

  /** Closes the connection this store opened (a client passed in stays the caller's). */
  async close(): Promise<void> {
    if (this.ownsClient) await this.client.quit().catch(() => this.client.disconnect());
  }
}

function isPlausible(challenge: unknown): challenge is string {
  // Base64 only: nothing else can name a key (the owner keys' `owner:` never reads as a challenge).
  return typeof challenge === 'string' && challenge.length > 0 && challenge.length <= MAX_CHALLENGE_CHARS && /^[A-Za-z0-9+/]+={0,2}$/.test(challenge);
}
