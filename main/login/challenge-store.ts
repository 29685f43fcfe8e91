/**
 * Challenges a relying party issues: >= 32 random bytes, base64, single use, short-lived.
 * A portal running several instances plugs in a shared store with the same two calls.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';

export type ConsumeResult = 'ok' | 'unknown' | 'expired' | 'reused';

export interface ChallengeStore {
  issue(now: Date): Promise<{ challenge: string; expiresAt: Date }>;
  /** Marks the challenge used. 'reused' while the store still remembers it was consumed. */
  consume(challenge: string, now: Date): Promise<ConsumeResult>;
  /**
   * What consume would answer, without consuming. Optional: the verifier asks it before any
   * certificate work, so unanswerable tokens cost no chain building (recommended for shared stores).
   */
  lookup?(challenge: string, now: Date): Promise<ConsumeResult>;
}

export const DEFAULT_CHALLENGE_TTL_MS = 5 * 60 * 1000;
export const DEFAULT_CHALLENGE_STORE_SIZE = 100_000;
export const CHALLENGE_BYTES = 32;

interface Entry {
  expiresAt: number;
  consumed: boolean;
}

/**
 * In-memory store for one process. Bounded: when full, expired entries go first, then the
 * oldest (Map keeps insertion order, so "oldest" is the first key). A consumed challenge stays
 * remembered until it is evicted, so a replay reads 'reused' rather than 'unknown'.
 */
export class MemoryChallengeStore implements ChallengeStore {
  readonly ttlMs: number;
  readonly maxSize: number;
  private readonly randomBytes: (n: number) => Uint8Array;
  private readonly entries = new Map<string, Entry>();

  constructor(opts: { ttlMs?: number; maxSize?: number; randomBytes?: (n: number) => Uint8Array } = {}) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_CHALLENGE_TTL_MS;
    this.maxSize = Math.max(1, opts.maxSize ?? DEFAULT_CHALLENGE_STORE_SIZE);
    this.randomBytes = opts.randomBytes ?? ((n) => new Uint8Array(nodeRandomBytes(n)));
  }

  get size(): number {
    return this.entries.size;
  }

  async issue(now: Date): Promise<{ challenge: string; expiresAt: Date }> {
    const bytes = this.randomBytes(CHALLENGE_BYTES);
    if (bytes.length < CHALLENGE_BYTES) throw new Error('random source returned too few bytes');
    const challenge = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    const expiresAt = new Date(now.getTime() + this.ttlMs);
    this.register(challenge, now);
    return { challenge, expiresAt };
  }

  /** Remembers a challenge issued elsewhere (the CLI's one-shot verify, a test). */
  register(challenge: string, issuedAt: Date): void {
    this.entries.delete(challenge);
    this.makeRoom(issuedAt.getTime());
    this.entries.set(challenge, { expiresAt: issuedAt.getTime() + this.ttlMs, consumed: false });
  }

  async lookup(challenge: string, now: Date): Promise<ConsumeResult> {
    const e = this.entries.get(challenge);
    if (!e) return 'unknown';
    if (e.consumed) return 'reused';
    return now.getTime() > e.expiresAt ? 'expired' : 'ok';
  }

  async consume(challenge: string, now: Date): Promise<ConsumeResult> {
    const e = this.entries.get(challenge);
    if (!e) return 'unknown';
    if (e.consumed) return 'reused';
    e.consumed = true; // burnt even when late, so it can never be tried again
    return now.getTime() > e.expiresAt ? 'expired' : 'ok';
  }

  private makeRoom(now: number): void {
    if (this.entries.size < this.maxSize) return;
    // Same TTL for all, so insertion order is expiry order: drop expired ones from the front.
    for (const [k, e] of this.entries) {
      if (e.expiresAt >= now) break;
      this.entries.delete(k);
    }
    while (this.entries.size >= this.maxSize) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }
}
