/**
 * Login challenges in SQLite, so an issued challenge survives a restart and is usable once.
 * Implements the verifier's ChallengeStore (main/login/verify.ts).
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import type { ChallengeStore } from 'cert-assistant/verifier';
import type { PortalDb } from './db.ts';

export type ConsumeResult = 'ok' | 'unknown' | 'expired' | 'reused';

/** Consumed/expired rows are kept this long so a replay is told apart from an unknown challenge. */
const KEEP_AFTER_EXPIRY_MS = 24 * 3600 * 1000;
/** Challenges are base64 of 32 random bytes; anything longer is not ours. */
const MAX_CHALLENGE_CHARS = 128;

export class SqliteChallengeStore implements ChallengeStore {
  readonly ttlMs: number;
  private readonly db: PortalDb;
  private readonly randomBytes: (n: number) => Uint8Array;

  readonly maxSize: number;

  constructor(db: PortalDb, opts: { ttlMs?: number; maxSize?: number; randomBytes?: (n: number) => Uint8Array } = {}) {
    this.db = db;
    this.ttlMs = opts.ttlMs ?? 5 * 60 * 1000;
    this.maxSize = Math.max(1, opts.maxSize ?? 100_000);
    this.randomBytes = opts.randomBytes ?? ((n) => nodeRandomBytes(n));
  }

  /** `boundTo`: the hash of the browser's pre-session cookie the challenge was issued to. */
  async issue(now: Date, opts: { boundTo?: string } = {}): Promise<{ challenge: string; expiresAt: Date }> {
    const challenge = Buffer.from(this.randomBytes(32)).toString('base64');
    const expiresAt = new Date(now.getTime() + this.ttlMs);
    this.db.prepare('DELETE FROM challenges WHERE expires_at < ?').run(new Date(now.getTime() - KEEP_AFTER_EXPIRY_MS).toISOString());
    // Bounded like the verifier's memory store: past the cap, the oldest challenges go first.
    const { n } = this.db.prepare('SELECT COUNT(*) AS n FROM challenges').get() as { n: number };
    if (n >= this.maxSize) this.db.prepare('DELETE FROM challenges WHERE challenge IN (SELECT challenge FROM challenges ORDER BY issued_at LIMIT ?)').run(n - this.maxSize + 1);
    this.db.prepare('INSERT INTO challenges (challenge, issued_at, expires_at, bound_to) VALUES (?, ?, ?, ?)').run(challenge, now.toISOString(), expiresAt.toISOString(), opts.boundTo ?? null);
    return { challenge, expiresAt };
  }

  /** The pre-session a challenge was issued to; null when unknown or issued unbound. */
  async boundTo(challenge: string): Promise<string | null> {
    if (typeof challenge !== 'string' || challenge.length === 0 || challenge.length > MAX_CHALLENGE_CHARS) return null;
    const row = this.db.prepare('SELECT bound_to FROM challenges WHERE challenge = ?').get(challenge) as { bound_to: string | null } | undefined;
    return row?.bound_to ?? null;
  }

  async consume(challenge: string, now: Date): Promise<ConsumeResult> {
    if (typeof challenge !== 'string' || challenge.length === 0 || challenge.length > MAX_CHALLENGE_CHARS) return 'unknown';
    // One transaction: two concurrent verifications of the same token cannot both see it unused.
    return this.db.transaction((): ConsumeResult => {
      const row = this.db.prepare('SELECT expires_at, used_at FROM challenges WHERE challenge = ?').get(challenge) as
        { expires_at: string; used_at: string | null } | undefined;
      if (!row) return 'unknown';
      if (row.used_at !== null) return 'reused';
      if (Date.parse(row.expires_at) <= now.getTime()) return 'expired';
      this.db.prepare('UPDATE challenges SET used_at = ? WHERE challenge = ?').run(now.toISOString(), challenge);
      return 'ok';
    }).immediate();
  }
}
