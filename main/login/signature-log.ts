/**
 * 签名记录 — the signature log. Every signature and private-key decryption the assistant makes
 * (embedded portal, bridge, CLI) appends one entry: when, for which origin, through which
 * protocol, what operation, with which certificate, for which enterprise, and the SHA-256 of what
 * was signed. Never the PIN, never the content itself.
 *
 * Append-only JSON Lines, hash-chained: each entry carries the hash of the one before and its own
 * hash over (previous hash, its fields), so an edited or removed entry shows on `verify`. A small
 * head file beside the log remembers the last sequence number and hash, so cutting entries off the
 * end shows too. Writers from several processes (app, bridge, CLI) take a lock file first.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { AssistantError } from '../errors.ts';

export type SignatureOperation = 'login' | 'bind' | 'sign' | 'decrypt';
/** Which way the request came: the embedded portal's cert-login:1, a CA protocol through the bridge, or the CLI. */
export type SignatureChannel = 'app' | 'bridge' | 'cli';

/** What a caller records. */
export interface SignatureRecord {
  /** ISO 8601, UTC. */
  at: string;
  origin: string;
  /** `cert-login:1`, `bjca-sof`, `hebca-p11`, … */
  protocol: string;
  operation: SignatureOperation;
  via: SignatureChannel;
  fingerprintSha256: string;
  enterprise: string | null;
  uscc: string | null;
  /** SHA-256 (hex) of exactly the bytes that were signed or decrypted. */
  contentSha256: string;
}

/** What the log holds: the record plus its place in the chain. */
export interface SignatureLogEntry extends SignatureRecord {
  seq: number;
  prev: string;
  hash: string;
}

export type TamperReason = 'edited' | 'removed' | 'unreadable';

export type LogVerdict =
  | { ok: true; entries: number }
  | { ok: false; entries: number; seq: number; reason: TamperReason; message: string; messageEn: string };

export const GENESIS = '0'.repeat(64);
export const LOG_FILE = 'signature-log.jsonl';
const HEAD_FILE = 'signature-log.head';
const OPERATIONS: readonly SignatureOperation[] = ['login', 'bind', 'sign', 'decrypt'];
const CHANNELS: readonly SignatureChannel[] = ['app', 'bridge', 'cli'];
const HEX64 = /^[0-9a-f]{64}$/;

/** Fixed field order, so the hash never depends on how an object happened to be built. */
function canonical(e: Omit<SignatureLogEntry, 'hash'>): string {
  return JSON.stringify([e.seq, e.prev, e.at, e.origin, e.protocol, e.operation, e.via, e.fingerprintSha256, e.enterprise, e.uscc, e.contentSha256]);
}

export function entryHash(e: Omit<SignatureLogEntry, 'hash'>): string {
  return createHash('sha256').update(canonical(e)).digest('hex');
}

function checkRecord(r: SignatureRecord): void {
  const bad = (field: string): never => {
    throw new AssistantError('SIGNATURE_LOG_INVALID', `签名记录字段无效：${field}`, { en: `invalid signature-log field: ${field}` });
  };
  if (typeof r.at !== 'string' || Number.isNaN(Date.parse(r.at))) bad('at');
  if (typeof r.origin !== 'string' || r.origin.length === 0 || r.origin.length > 2048) bad('origin');
  if (typeof r.protocol !== 'string' || r.protocol.length === 0 || r.protocol.length > 64) bad('protocol');
  if (!OPERATIONS.includes(r.operation)) bad('operation');
  if (!CHANNELS.includes(r.via)) bad('via');
  if (!HEX64.test(r.fingerprintSha256)) bad('fingerprintSha256');
  if (!HEX64.test(r.contentSha256)) bad('contentSha256');
  if (r.enterprise !== null && typeof r.enterprise !== 'string') bad('enterprise');
  if (r.uscc !== null && typeof r.uscc !== 'string') bad('uscc');
}

function parseEntry(line: string): SignatureLogEntry | null {
  try {
    const e = JSON.parse(line) as SignatureLogEntry;
    if (typeof e !== 'object' || e === null || !Number.isSafeInteger(e.seq) || typeof e.prev !== 'string' || typeof e.hash !== 'string') return null;
    checkRecord(e);
    return e;
  } catch {
    return null;
  }
}

function ioError(e: unknown, what: string, whatEn: string): AssistantError {
  return new AssistantError('SIGNATURE_LOG_IO', `无法${what}签名记录：${(e as NodeJS.ErrnoException)?.code ?? '未知错误'}`, { en: `cannot ${whatEn} the signature log`, cause: e });
}

/** The log of one user (one data folder). */
export class SignatureLog {
  readonly file: string;
  private readonly headFile: string;

  constructor(readonly dir: string) {
    this.file = path.join(dir, LOG_FILE);
    this.headFile = path.join(dir, HEAD_FILE);
  }

  /**
   * The entry this instance wrote last and the log's size right after it: while the size is unchanged
   * at the next append (checked under the lock) that entry is still the last, and the tail need not be
   * read again. Another writer (app, CLI) or an edit that changes the size sends us back to the file.
   */
  private tail: { size: number; entry: SignatureLogEntry } | null = null;
  /** The folder and file exist (made once; made again if they disappear). */
  private prepared = false;

  /** The last append's head-file update and lock release, done just after it returned (finish()). */
  private pending: { entry: SignatureLogEntry; release: () => unknown } | null = null;

  /**
   * Appends one record under the lock; resolves once the entry is in the log. The signature waits for
   * this, so only that waits: the lock (taken synchronously when free, the usual case), one stat, one
   * append. The head file (which shows cut-off entries) is rewritten and the lock released right after,
   * on the next turn of the event loop, still under the lock: ext4 flushes a file renamed over another,
   * the slowest step here, and the caller need not wait for it. Anything else this log does (the next
   * append, verify, entries) finishes that first; other writers wait for the lock.
   */
  async append(record: SignatureRecord): Promise<SignatureLogEntry> {
    checkRecord(record);
    this.finish();
    let release: () => unknown;
    try {
      release = await this.lock();
    } catch (e) {
      throw ioError(e, '写入', 'write');
    }
    let entry: SignatureLogEntry;
    try {
      const size = fs.statSync(this.file).size;
      const last = this.tail !== null && this.tail.size === size ? this.tail.entry : this.lastEntry(size);
      const body: Omit<SignatureLogEntry, 'hash'> = {
        seq: (last?.seq ?? 0) + 1,
        prev: last?.hash ?? GENESIS,
        at: record.at, origin: record.origin, protocol: record.protocol, operation: record.operation, via: record.via,
        fingerprintSha256: record.fingerprintSha256, enterprise: record.enterprise, uscc: record.uscc, contentSha256: record.contentSha256,
      };
      entry = { ...body, hash: entryHash(body) };
      const line = JSON.stringify(entry) + '\n';
      this.tail = null;
      fs.appendFileSync(this.file, line, { mode: 0o600 });
      this.tail = { size: size + Buffer.byteLength(line), entry };
    } catch (e) {
      this.tail = null;
      await Promise.resolve().then(release).catch(() => undefined);
      throw e instanceof AssistantError ? e : ioError(e, '写入', 'write');
    }
    this.pending = { entry, release };
    setImmediate(() => this.finish());
    return entry;
  }

  /** Writes the head file of the last append and releases the lock, if that is still to do. */
  finish(): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    try {
      const tmp = `${this.headFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify({ seq: p.entry.seq, hash: p.entry.hash }) + '\n', { mode: 0o600 });
      fs.renameSync(tmp, this.headFile);
    } catch {
      // The entry is written; a head left one behind shows on verify as an edit at the end.
    } finally {
      try {
        const r = p.release();
        if (r instanceof Promise) r.catch(() => undefined);
      } catch {
        // Released already or compromised (stale): nothing of ours is held any more.
      }
    }
  }

  /** The writers' lock: taken at once when free; when another process holds it, waited for (≈10 s at most). */
  private async lock(): Promise<() => unknown> {
    if (!this.prepared || !fs.existsSync(this.file)) {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      fs.closeSync(fs.openSync(this.file, 'a', 0o600));
      this.prepared = true;
      this.tail = null;
    }
    const options = { realpath: false, stale: 10_000 };
    try {
      return lockfile.lockSync(this.file, options);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
    }
    return lockfile.lock(this.file, { ...options, retries: { retries: 50, minTimeout: 20, maxTimeout: 200 } });
  }

  /** The last entry as written (read from the file's tail), or null for an empty log. */
  private lastEntry(size: number): SignatureLogEntry | null {
    if (size === 0) return null;
    const fd = fs.openSync(this.file, 'r');
    try {
      // Entries are a few hundred bytes; read a tail large enough to hold the last one whole.
      for (let span = Math.min(size, 8192); ; span = Math.min(size, span * 4)) {
        const buf = Buffer.alloc(span);
        fs.readSync(fd, buf, 0, span, size - span);
        const lines = buf.toString('utf8').split('\n').filter((l) => l.trim() !== '');
        const whole = span === size ? lines : lines.slice(1);
        if (whole.length > 0) {
          const e = parseEntry(whole[whole.length - 1]!);
          if (!e) throw new AssistantError('SIGNATURE_LOG_TAMPERED', '签名记录的最后一条无法读取，已停止写入；请运行 cert-assistant log --verify', { en: 'the last signature-log entry is unreadable; run cert-assistant log --verify' });
          return e;
        }
        if (span === size) return null;
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Every readable entry, oldest first (unreadable lines are skipped here; `verify` names them). */
  entries(): SignatureLogEntry[] {
    this.finish();
    return this.readLines().map(parseEntry).filter((e): e is SignatureLogEntry => e !== null);
  }

  private readLines(): string[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw ioError(e, '读取', 'read');
    }
    return text.split('\n').filter((l) => l.trim() !== '');
  }

  /** Walks the chain; names the first entry that was edited, removed or cannot be read. */
  verify(): LogVerdict {
    this.finish();
    const lines = this.readLines();
    let prev = GENESIS;
    let expectSeq = 1;
    const bad = (seq: number, reason: TamperReason, entries: number): LogVerdict => {
      const zh = { edited: `第 ${seq} 条记录被修改过`, removed: `第 ${seq} 条记录被删除了`, unreadable: `第 ${seq} 条记录无法读取（被改动或损坏）` }[reason];
      const en = { edited: `entry ${seq} was edited`, removed: `entry ${seq} was removed`, unreadable: `entry ${seq} cannot be read (edited or damaged)` }[reason];
      return { ok: false, entries, seq, reason, message: zh, messageEn: en };
    };
    for (let i = 0; i < lines.length; i++) {
      const e = parseEntry(lines[i]!);
      if (!e) return bad(expectSeq, 'unreadable', lines.length);
      if (e.seq > expectSeq) return bad(expectSeq, 'removed', lines.length);
      const { hash, ...body } = e;
      if (e.seq < expectSeq || e.prev !== prev) {
        // The link to the previous entry is broken: either this entry was edited (its prev rewritten)
        // or the one before it was edited (its hash changed). Point at the earliest suspect.
        return bad(e.seq < expectSeq ? e.seq : expectSeq - 1 || 1, 'edited', lines.length);
      }
      if (entryHash(body) !== hash) return bad(e.seq, 'edited', lines.length);
      prev = hash;
      expectSeq = e.seq + 1;
    }
    let head: { seq: number; hash: string } | null = null;
    try {
      head = JSON.parse(fs.readFileSync(this.headFile, 'utf8')) as { seq: number; hash: string };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return bad(expectSeq, 'unreadable', lines.length);
    }
    const last = expectSeq - 1;
    if (head === null) return last === 0 ? { ok: true, entries: 0 } : bad(last, 'edited', lines.length);
    if (!Number.isSafeInteger(head.seq) || head.seq < last) return bad(last, 'edited', lines.length);
    if (head.seq > last) return bad(last + 1, 'removed', lines.length);
    if (head.hash !== prev) return bad(last, 'edited', lines.length);
    return { ok: true, entries: lines.length };
  }
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The record for one signature or decryption by `certificate` over exactly `content`. */
export function signatureRecord(args: {
  certificate: { fingerprintSha256: string; enterpriseName: string | null; uscc: string | null };
  origin: string; protocol: string; operation: SignatureOperation; via: SignatureChannel; content: Uint8Array; now: Date;
}): SignatureRecord {
  return {
    at: args.now.toISOString(), origin: args.origin, protocol: args.protocol, operation: args.operation, via: args.via,
    fingerprintSha256: args.certificate.fingerprintSha256, enterprise: args.certificate.enterpriseName, uscc: args.certificate.uscc,
    contentSha256: sha256Hex(args.content),
  };
}
