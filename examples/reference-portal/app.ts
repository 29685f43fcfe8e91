/**
 * The reference portal (relying party): legal-person accounts, certificate binding
 * (认证统一社会信用代码) and certificate login, as the portal's user guide describes.
 * `buildPortal(opts)` returns a Fastify instance; server.ts listens with it.
 */
import { createHash, createPrivateKey, sign as cryptoSign, randomBytes as nodeRandomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import { openPortalDb, type PortalDb } from './db.ts';
import type { ChallengeStore } from 'cert-assistant/verifier';
import { SqliteChallengeStore } from './challenges.ts';
import { DUMMY_HASH_PROMISE, hashPassword, passwordWeakness, verifyPassword } from './passwords.ts';
import { isValidResidentId, maskIdNumber, normalizeIdNumber } from './id-numbers.ts';
import { realSofVerifier, realUsccCore, realVerifier, type UsccCore, type VerifyLoginToken, type VerifyResult, type VerifySofLogin } from './core.ts';
import { createSiteDirectory, type GuideSource, type SiteDirectory } from './sites.ts';
import { assemblePages } from './pages.ts';

declare module 'fastify' {
  interface FastifyInstance {
    portalDb: PortalDb;
    portalChallenges: PortalChallengeStore;
  }
}

/** The verifier's store plus who each challenge was issued to (the hash of a browser's pre-session cookie). */
export interface PortalChallengeStore extends ChallengeStore {
  issue(now: Date, opts?: { boundTo?: string }): Promise<{ challenge: string; expiresAt: Date }>;
  boundTo(challenge: string): Promise<string | null>;
}

export interface PortalOptions {
  /** SQLite file; ':memory:' for a throw-away portal. */
  dbFile: string;
  /** The portal's own origin: signed into tokens, and required on state-changing requests
   * (a function when it is only known after listen, e.g. port 0). */
  origin: string | (() => string);
  /** Trust anchors (DER) the certificate chains must end at. */
  trustAnchors: Uint8Array[];
  crls?: Uint8Array[];
  /** Intermediate CA certificates (DER) the portal knows: a CA-library login posts only the leaf. */
  intermediates?: Uint8Array[];
  /** Clock; tests freeze or move it. */
  now?: () => Date;
  challengeTtlMs?: number;
  /**
   * Where challenges live. Default: the portal's SQLite file (one instance). Several instances share
   * one store (`--redis URL`: cert-assistant/redis-challenge-store), so a challenge is single-use across them.
   */
  challengeStore?: PortalChallengeStore;
  sessionIdleMs?: number;
  sessionMaxMs?: number;
  /** Per-IP limit on login and challenge requests. */
  loginRateLimit?: { max: number; timeWindowMs: number };
  /** Per-username lockout after repeated wrong passwords. */
  lockout?: { maxFailures: number; windowMs: number; lockMs: number };
  logger?: boolean;
  /**
   * The portal's own RSA certificate and key for 证书登录（CA 助手兼容）: it signs each login random so the
   * CA's page library can check it with SOF_VerifySignedData. Without it that page is off.
   */
  sofServer?: { certificatePem: string; privateKeyPem: string };
  /** Injected for tests of the portal alone; defaults to the product's real modules. */
  verifyLoginToken?: VerifyLoginToken;
  verifySofLogin?: VerifySofLogin;
  usccCore?: UsccCore;
  siteDirectory?: SiteDirectory;
  /** A service guide for the sites' item lists; without one the site switch works and lists are empty. */
  guide?: GuideSource | null;
}

/** The custom header every state-changing request must carry (CSRF defence with the Origin check). */
export const CSRF_HEADER = 'x-requested-with';
export const CSRF_HEADER_VALUE = 'cert-portal';

/** Where the 证书登录（CA 助手兼容） page posts UserCert + UserSignedData. */
export const SOF_FORM_PATH = '/login/sof';
const SOF_RANDOM_COOKIE = 'portal_sof_random';
/** A pre-session cookie value: base64url of 32 random bytes. */
const PRE_SESSION_RE = /^[A-Za-z0-9_-]{43}$/;

const PUBLIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');

const CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self' ws://127.0.0.1:* wss://127.0.0.1:*",
  "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

const MSG = {
  loginFailed: '用户名或密码错误',
  notSignedIn: '请先登录',
  locked: '登录失败次数过多，该用户名已暂时锁定，请 15 分钟后再试',
  rateLimited: '请求过于频繁，请稍后再试',
  usccMismatch: '证书中的统一社会信用代码与账户注册时填写的不一致',
  challengeOtherBrowser: '该挑战值不是签发给本浏览器的：请在本页面重新获取挑战值后再登录（This challenge was issued to another browser）',
  certNotBound: '该数字证书尚未绑定法人账户：请先用用户名密码登录，在“账户设置”中点击“认证统一社会信用代码”完成绑定（更换或续期后的新证书也需要重新绑定）',
} as const;

class PortalError extends Error {
  constructor(readonly statusCode: number, readonly code: string, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}

interface AccountRow {
  id: number; username: string; password_hash: string; org_name: string; uscc: string; legal_person_kind: string | null;
  leader_name: string; leader_id_number: string; legal_person_name: string; legal_person_id_number: string; created_at: string;
}

function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function normalizeFingerprint(fp: string): string {
  return fp.replace(/[^0-9a-fA-F]/g, '').toLowerCase();
}

/** A certificate's name as its CA gives it: issuer Name (SHA-256 of its DER) + serial number, both inside the signed part. */
function issuerSerialOf(r: { issuerNameSha256: string; serialNumber: string }): string {
  return `${r.issuerNameSha256}:${r.serialNumber.toLowerCase()}`;
}

function usernameKey(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}

/** Fingerprint of the certificate inside a JSON token, for the audit log of refused attempts. */
function tokenCertificateFingerprint(token: string): string | null {
  try {
    const t = JSON.parse(token) as { certificate?: unknown };
    return typeof t.certificate === 'string' ? sha256Hex(Buffer.from(t.certificate, 'base64')) : null;
  } catch {
    return null;
  }
}

function stringField(body: Record<string, unknown>, name: string, label: string): string {
  const v = body[name];
  if (typeof v !== 'string' || v.trim() === '') throw new PortalError(400, 'FIELD_REQUIRED', `请填写“${label}”`, { field: name });
  return v;
}

export async function buildPortal(opts: PortalOptions): Promise<FastifyInstance> {
  const originOf = (): string => new URL(typeof opts.origin === 'function' ? opts.origin() : opts.origin).origin;
  const now = opts.now ?? (() => new Date());
  // Read per request: with a lazy origin (port 0) the scheme is only known after listen.
  const isSecure = (): boolean => originOf().startsWith('https:');
  const cookieNameOf = (): string => (isSecure() ? '__Host-portal_session' : 'portal_session');
  // Every challenge is bound to the browser that asked for it: an httpOnly pre-session cookie, set
  // with the first challenge, whose hash is stored with the challenge. A token answering a challenge
  // is accepted only from the browser holding that cookie (issue 12, item 10).
  const preSessionNameOf = (): string => (isSecure() ? '__Host-portal_presession' : 'portal_presession');
  const preSessionOf = (req: FastifyRequest): string | null => {
    const v = req.cookies[preSessionNameOf()];
    return v && PRE_SESSION_RE.test(v) ? sha256Hex(v) : null;
  };
  const ensurePreSession = (req: FastifyRequest, reply: FastifyReply): string => {
    const existing = preSessionOf(req);
    if (existing) return existing;
    const v = nodeRandomBytes(32).toString('base64url');
    reply.setCookie(preSessionNameOf(), v, { httpOnly: true, sameSite: 'strict', path: '/', secure: isSecure() });
    return sha256Hex(v);
  };
  const sessionIdleMs = opts.sessionIdleMs ?? 30 * 60 * 1000;
  const sessionMaxMs = opts.sessionMaxMs ?? 8 * 3600 * 1000;
  const loginLimit = opts.loginRateLimit ?? { max: 30, timeWindowMs: 60_000 };
  const lockout = opts.lockout ?? { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };
  const verifyLoginToken = opts.verifyLoginToken ?? realVerifier;
  const verifySofLogin = opts.verifySofLogin ?? realSofVerifier;
  const uscc = opts.usccCore ?? realUsccCore;
  const sites = opts.siteDirectory ?? createSiteDirectory(opts.guide ?? null);

  const db = openPortalDb(opts.dbFile);
  const challenges: PortalChallengeStore = opts.challengeStore ?? new SqliteChallengeStore(db, opts.challengeTtlMs === undefined ? {} : { ttlMs: opts.challengeTtlMs });

  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 256 * 1024, trustProxy: false });
  app.decorate('portalDb', db);
  app.decorate('portalChallenges', challenges);
  app.addHook('onClose', async () => { db.close(); });

  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => new PortalError(ctx.statusCode, 'RATE_LIMITED', MSG.rateLimited, { retryAfterSeconds: Math.ceil(ctx.ttl / 1000) }),
  });
  const rateLimit = { max: loginLimit.max, timeWindow: loginLimit.timeWindowMs };

  // ---- security headers on everything; no caching of API answers
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('Content-Security-Policy', CSP);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'DENY');
    // same-origin, not no-referrer: browsers send `Origin: null` on a form post under no-referrer, and the
    // CA libraries' login is a form post guarded by its Origin. Nothing leaves the site either way.
    reply.header('Referrer-Policy', 'same-origin');
    reply.header('Cross-Origin-Opener-Policy', 'same-origin');
    reply.header('Cross-Origin-Resource-Policy', 'same-origin');
    reply.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
    if (isSecure()) reply.header('Strict-Transport-Security', 'max-age=31536000');
    if (req.url.startsWith('/api/')) reply.header('Cache-Control', 'no-store');
    return payload;
  });

  // ---- CSRF: state-changing requests need our Origin and the custom header
  app.addHook('onRequest', async (req) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return;
    const o = req.headers.origin;
    if (typeof o !== 'string' || o !== originOf()) throw new PortalError(403, 'CSRF_ORIGIN', '请求来源不是本站（Origin 缺失或不符），已拒绝');
    // The CA libraries' login is a plain form post (no custom header possible): Origin alone guards it.
    if (req.url === SOF_FORM_PATH) return;
    if (req.headers[CSRF_HEADER] !== CSRF_HEADER_VALUE) throw new PortalError(403, 'CSRF_HEADER', `缺少请求头 X-Requested-With: ${CSRF_HEADER_VALUE}，已拒绝`);
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    if (err instanceof PortalError) return reply.code(err.statusCode).send({ code: err.code, message: err.message, ...err.extra });
    const e = err as { statusCode?: number; code?: string };
    const status = typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
    if (status === 413) return reply.code(413).send({ code: 'BODY_TOO_LARGE', message: '请求内容过大' });
    if (status === 415) return reply.code(415).send({ code: 'UNSUPPORTED_MEDIA_TYPE', message: '请求格式须为 application/json' });
    if (status < 500) return reply.code(status).send({ code: 'BAD_REQUEST', message: '请求格式错误' });
    req.log.error(err);
    return reply.code(500).send({ code: 'INTERNAL_ERROR', message: '内部错误，请重试或联系管理员' });
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ code: 'NOT_FOUND', message: '页面或接口不存在' }));

  // ---- audit, sessions, lockout
  const insertAudit = db.prepare(`INSERT INTO audit_log (at, action, method, username, account_id, uscc, fingerprint, result, ip)
    VALUES (@at, @action, @method, @username, @account_id, @uscc, @fingerprint, @result, @ip)`);
  function audit(req: FastifyRequest, e: { action: string; method?: string | null; username?: string | null; accountId?: number | null; uscc?: string | null; fingerprint?: string | null; result: string }): void {
    insertAudit.run({
      at: now().toISOString(), action: e.action, method: e.method ?? null, username: e.username ?? null, account_id: e.accountId ?? null,
      uscc: e.uscc ?? null, fingerprint: e.fingerprint ?? null, result: e.result, ip: req.ip,
    });
  }

  const accountById = db.prepare('SELECT * FROM accounts WHERE id = ?');
  const accountByKey = db.prepare('SELECT * FROM accounts WHERE username_key = ?');

  function startSession(reply: FastifyReply, req: FastifyRequest, accountId: number, method: string): void {
    const old = req.cookies[cookieNameOf()];
    if (old) db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(sha256Hex(old));
    const id = nodeRandomBytes(32).toString('base64url');
    const t = now();
    db.prepare('DELETE FROM sessions WHERE expires_at < ?').run(t.toISOString());
    db.prepare('INSERT INTO sessions (id_hash, account_id, method, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(sha256Hex(id), accountId, method, t.toISOString(), t.toISOString(), new Date(t.getTime() + sessionMaxMs).toISOString());
    reply.setCookie(cookieNameOf(), id, { httpOnly: true, sameSite: 'strict', path: '/', secure: isSecure(), maxAge: Math.floor(sessionMaxMs / 1000) });
  }

  /** The signed-in account, or null; slides the idle timeout. */
  function currentSession(req: FastifyRequest): { account: AccountRow; method: string } | null {
    const id = req.cookies[cookieNameOf()];
    if (!id) return null;
    const row = db.prepare('SELECT * FROM sessions WHERE id_hash = ?').get(sha256Hex(id)) as
      { id_hash: string; account_id: number; method: string; last_seen_at: string; expires_at: string } | undefined;
    if (!row) return null;
    const t = now().getTime();
    if (Date.parse(row.expires_at) <= t || Date.parse(row.last_seen_at) + sessionIdleMs <= t) {
      db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(row.id_hash);
      return null;
    }
    db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?').run(new Date(t).toISOString(), row.id_hash);
    const account = accountById.get(row.account_id) as AccountRow | undefined;
    return account ? { account, method: row.method } : null;
  }

  function requireSession(req: FastifyRequest): { account: AccountRow; method: string } {
    const s = currentSession(req);
    if (!s) throw new PortalError(401, 'NOT_SIGNED_IN', MSG.notSignedIn);
    return s;
  }

  function lockedUntil(key: string): number | null {
    const row = db.prepare('SELECT locked_until FROM login_failures WHERE username_key = ?').get(key) as { locked_until: string | null } | undefined;
    const until = row?.locked_until ? Date.parse(row.locked_until) : NaN;
    return Number.isFinite(until) && until > now().getTime() ? until : null;
  }

  function recordFailure(key: string): void {
    const t = now().getTime();
    // Names tried once and long ago say nothing any more: keep the table small.
    db.prepare('DELETE FROM login_failures WHERE window_start < ? AND (locked_until IS NULL OR locked_until < ?)')
      .run(new Date(t - lockout.windowMs).toISOString(), new Date(t).toISOString());
    const row = db.prepare('SELECT failures, window_start FROM login_failures WHERE username_key = ?').get(key) as { failures: number; window_start: string } | undefined;
    const fresh = !row || Date.parse(row.window_start) + lockout.windowMs <= t;
    const failures = fresh ? 1 : row.failures + 1;
    const windowStart = fresh ? new Date(t).toISOString() : row.window_start;
    const locked = failures >= lockout.maxFailures ? new Date(t + lockout.lockMs).toISOString() : null;
    db.prepare(`INSERT INTO login_failures (username_key, failures, window_start, locked_until) VALUES (?, ?, ?, ?)
      ON CONFLICT (username_key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, locked_until = excluded.locked_until`)
      .run(key, locked ? 0 : failures, windowStart, locked);
  }

  function publicAccount(a: AccountRow) {
    return { username: a.username, orgName: a.org_name, uscc: a.uscc };
  }

  function bodyOf(req: FastifyRequest): Record<string, unknown> {
    const b = req.body;
    if (b === null || typeof b !== 'object' || Array.isArray(b)) throw new PortalError(400, 'BAD_REQUEST', '请求内容须为 JSON 对象');
    return b as Record<string, unknown>;
  }

  /** A CMS token carries no challenge echo: the client then names the challenge it answered. */
  function answeredChallenge(body: Record<string, unknown>): string | undefined {
    const c = body.challenge;
    if (c === undefined) return undefined;
    if (typeof c !== 'string' || c.length === 0 || c.length > 128) throw new PortalError(400, 'FIELD_INVALID', '“challenge”须为本站签发的挑战值', { field: 'challenge' });
    return c;
  }

  /** The challenge a token answers: named in the body (CMS), else the JSON token's echo. */
  function challengeOfToken(token: string): string | undefined {
    try {
      const c = (JSON.parse(token) as { challenge?: unknown }).challenge;
      return typeof c === 'string' && c.length > 0 && c.length <= 128 ? c : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Always verifies against a named challenge, and only one issued to this browser: a challenge
   * issued to another pre-session is refused before the verifier runs, so it is not burnt either.
   */
  async function verifyToken(req: FastifyRequest, token: string, named: string | undefined, action: 'login' | 'bind'): Promise<VerifyResult> {
    const challenge = named ?? challengeOfToken(token);
    if (challenge !== undefined) {
      const owner = await challenges.boundTo(challenge);
      if (owner !== null && owner !== preSessionOf(req)) {
        audit(req, { action, method: 'certificate', fingerprint: tokenCertificateFingerprint(token), result: 'CHALLENGE_OTHER_BROWSER' });
        throw new PortalError(action === 'login' ? 401 : 400, 'CHALLENGE_OTHER_BROWSER', MSG.challengeOtherBrowser);
      }
    }
    return verifyLoginToken(token, {
      origin: originOf(), trustAnchors: opts.trustAnchors, challengeStore: challenges, now: now(),
      ...(challenge !== undefined ? { challenge } : {}), ...(opts.crls ? { crls: opts.crls } : {}),
    });
  }

  // ---- 法人用户注册
  app.post('/api/accounts', { config: { rateLimit } }, async (req, reply) => {
    const b = bodyOf(req);
    if (b.kind !== 'legal') throw new PortalError(400, 'KIND_UNSUPPORTED', '本站仅提供“法人用户”注册（kind 须为 "legal"）', { field: 'kind' });
    const username = stringField(b, 'username', '用户名').normalize('NFKC').trim();
    const password = stringField(b, 'password', '密码');
    const orgName = stringField(b, 'orgName', '单位/机构/企业名称').normalize('NFKC').trim();
    const usccInput = stringField(b, 'uscc', '统一社会信用代码');
    const leaderName = stringField(b, 'leaderName', '单位/机构/企业负责人').trim();
    const leaderIdNumber = stringField(b, 'leaderIdNumber', '负责人身份证号码');
    const legalPersonName = stringField(b, 'legalPersonName', '法人姓名').trim();
    const legalPersonIdNumber = stringField(b, 'legalPersonIdNumber', '法人身份证号');

    if (!/^[\p{L}\p{N}_.@-]{4,32}$/u.test(username)) throw new PortalError(400, 'USERNAME_INVALID', '用户名须为 4–32 位汉字、字母、数字或 _ . @ -', { field: 'username' });
    if (orgName.length > 100) throw new PortalError(400, 'FIELD_TOO_LONG', '单位/机构/企业名称过长（最多 100 字）', { field: 'orgName' });
    for (const [field, v] of [['leaderName', leaderName], ['legalPersonName', legalPersonName]] as const) {
      if (v.length > 50) throw new PortalError(400, 'FIELD_TOO_LONG', '姓名过长（最多 50 字）', { field });
    }
    const code = uscc.normalizeUscc(usccInput);
    if (!uscc.isValidUscc(code)) throw new PortalError(400, 'USCC_INVALID', '统一社会信用代码校验未通过，请核对后重新填写', { field: 'uscc' });
    for (const [field, v, label] of [['leaderIdNumber', leaderIdNumber, '负责人身份证号码'], ['legalPersonIdNumber', legalPersonIdNumber, '法人身份证号']] as const) {
      if (!isValidResidentId(v, now())) throw new PortalError(400, 'ID_NUMBER_INVALID', `“${label}”不是有效的 18 位居民身份证号码`, { field });
    }
    const weak = passwordWeakness(password, username);
    if (weak) throw new PortalError(400, 'WEAK_PASSWORD', weak, { field: 'password' });
    const key = usernameKey(username);
    if (accountByKey.get(key)) throw new PortalError(400, 'USERNAME_TAKEN', '该用户名已被注册，请换一个', { field: 'username' });

    const hash = await hashPassword(password);
    let id: number;
    try {
      const r = db.prepare(`INSERT INTO accounts (kind, username, username_key, password_hash, org_name, uscc, legal_person_kind,
        leader_name, leader_id_number, legal_person_name, legal_person_id_number, created_at) VALUES ('legal', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(username, key, hash, orgName, code, uscc.legalPersonKind(code), leaderName, normalizeIdNumber(leaderIdNumber),
          legalPersonName, normalizeIdNumber(legalPersonIdNumber), now().toISOString());
      id = Number(r.lastInsertRowid);
    } catch (e) {
      // Two registrations racing for one name: the UNIQUE index decides.
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new PortalError(400, 'USERNAME_TAKEN', '该用户名已被注册，请换一个', { field: 'username' });
      throw e;
    }
    audit(req, { action: 'register', username, accountId: id, uscc: code, result: 'ok' });
    return reply.code(201).send({ id });
  });

  // ---- 用户名密码登录
  app.post('/api/session/password', { config: { rateLimit } }, async (req, reply) => {
    const b = bodyOf(req);
    const username = typeof b.username === 'string' ? b.username.normalize('NFKC').trim() : '';
    const password = typeof b.password === 'string' ? b.password : '';
    if (!username || !password) throw new PortalError(400, 'FIELD_REQUIRED', '请填写用户名和密码');
    const key = usernameKey(username).slice(0, 64);
    if (lockedUntil(key) !== null) {
      audit(req, { action: 'login', method: 'password', username, result: 'LOGIN_LOCKED' });
      throw new PortalError(429, 'LOGIN_LOCKED', MSG.locked);
    }
    const account = accountByKey.get(key) as AccountRow | undefined;
    // Unknown names cost the same scrypt as known ones: the answer and its timing say nothing.
    const ok = await verifyPassword(password.slice(0, 1024), account?.password_hash ?? (await DUMMY_HASH_PROMISE));
    if (!account || !ok) {
      recordFailure(key);
      audit(req, { action: 'login', method: 'password', username, accountId: account?.id ?? null, result: 'LOGIN_FAILED' });
      throw new PortalError(401, 'LOGIN_FAILED', MSG.loginFailed);
    }
    db.prepare('DELETE FROM login_failures WHERE username_key = ?').run(key);
    startSession(reply, req, account.id, 'password');
    audit(req, { action: 'login', method: 'password', username: account.username, accountId: account.id, uscc: account.uscc, result: 'ok' });
    return { account: publicAccount(account) };
  });

  // ---- challenge for 证书登录 / 认证统一社会信用代码
  app.get('/api/challenge', { config: { rateLimit: { max: loginLimit.max * 2, timeWindow: loginLimit.timeWindowMs } } }, async (req, reply) => {
    const c = await challenges.issue(now(), { boundTo: ensurePreSession(req, reply) });
    return { challenge: c.challenge, expiresAt: c.expiresAt.toISOString() };
  });

  // ---- 账户设置: 认证统一社会信用代码 (bind the certificate)
  app.post('/api/account/certificate', { config: { rateLimit } }, async (req) => {
    const { account } = requireSession(req);
    const body = bodyOf(req);
    const token = stringField(body, 'token', '登录令牌');
    const fpGuess = tokenCertificateFingerprint(token);
    const r = await verifyToken(req, token, answeredChallenge(body), 'bind');
    if (!r.ok) {
      audit(req, { action: 'bind', method: 'certificate', username: account.username, accountId: account.id, uscc: r.uscc ?? null, fingerprint: fpGuess, result: r.code });
      // The clerk reads the plain message; the admin's (DNs, folders, settings) goes to the log.
      req.log.warn({ code: r.code, adminMessage: r.message, step: r.step }, 'certificate binding refused');
      throw new PortalError(400, r.code, r.clerkMessage);
    }
    const fingerprint = normalizeFingerprint(r.fingerprintSha256);
    const certUscc = uscc.normalizeUscc(r.uscc);
    if (certUscc !== account.uscc) {
      audit(req, { action: 'bind', method: 'certificate', username: account.username, accountId: account.id, uscc: certUscc, fingerprint, result: 'USCC_MISMATCH' });
      throw new PortalError(400, 'USCC_MISMATCH', MSG.usccMismatch);
    }
    // The certificate (issuer + serial, whatever its encoding) and its key belong to one account each.
    const existing = findBinding(r);
    const keyElsewhere = db.prepare('SELECT 1 FROM certificate_bindings WHERE spki_sha256 = ? AND account_id != ? LIMIT 1').get(r.spkiSha256, account.id);
    if ((existing && existing.account_id !== account.id) || keyElsewhere) {
      audit(req, { action: 'bind', method: 'certificate', username: account.username, accountId: account.id, uscc: certUscc, fingerprint, result: 'CERT_BOUND_ELSEWHERE' });
      throw new PortalError(400, 'CERT_BOUND_ELSEWHERE', '该数字证书（或其密钥）已绑定到另一个法人账户');
    }
    if (existing) {
      db.prepare('UPDATE certificate_bindings SET subject = ?, not_after = ?, bound_at = ? WHERE id = ?').run(r.subject, r.notAfter, now().toISOString(), existing.id);
    } else {
      db.prepare(`INSERT INTO certificate_bindings (account_id, uscc, fingerprint, issuer_serial, spki_sha256, subject, not_after, bound_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(account.id, certUscc, fingerprint, issuerSerialOf(r), r.spkiSha256, r.subject, r.notAfter, now().toISOString());
    }
    audit(req, { action: 'bind', method: 'certificate', username: account.username, accountId: account.id, uscc: certUscc, fingerprint, result: 'ok' });
    return { uscc: certUscc, fingerprint: existing?.fingerprint ?? fingerprint };
  });

  interface BindingRow { id: number; account_id: number; uscc: string; fingerprint: string }
  const bindingByIssuerSerial = db.prepare('SELECT id, account_id, uscc, fingerprint FROM certificate_bindings WHERE issuer_serial = ?');
  const legacyBindingByFingerprint = db.prepare('SELECT id, account_id, uscc, fingerprint FROM certificate_bindings WHERE fingerprint = ? AND issuer_serial IS NULL');
  const upgradeLegacyBinding = db.prepare('UPDATE certificate_bindings SET issuer_serial = ?, spki_sha256 = ? WHERE id = ?');

  /**
   * The binding of a verified certificate: by issuer + serial number, so a re-encoding of the same
   * certificate (new fingerprint) finds it too. A row bound before migration 3 has only the
   * fingerprint: the exact certificate finds it once, and the row learns its issuer + serial.
   */
  function findBinding(r: Extract<VerifyResult, { ok: true }>): BindingRow | undefined {
    const key = issuerSerialOf(r);
    const row = bindingByIssuerSerial.get(key) as BindingRow | undefined;
    if (row) return row;
    const legacy = legacyBindingByFingerprint.get(normalizeFingerprint(r.fingerprintSha256)) as BindingRow | undefined;
    if (legacy) upgradeLegacyBinding.run(key, r.spkiSha256, legacy.id);
    return legacy;
  }

  /** After a certificate verified: the account bound to it (by issuer + serial, same USCC), and a new session. */
  function certificateLogin(req: FastifyRequest, reply: FastifyReply, r: Extract<VerifyResult, { ok: true }>, method: string): AccountRow {
    const fingerprint = normalizeFingerprint(r.fingerprintSha256);
    const certUscc = uscc.normalizeUscc(r.uscc);
    // The guide: bind first, then log in with that same certificate (issuer + serial; see docs/portal.md).
    const binding = findBinding(r);
    const account = binding ? (accountById.get(binding.account_id) as AccountRow | undefined) : undefined;
    if (!binding || !account) {
      audit(req, { action: 'login', method, uscc: certUscc, fingerprint, result: 'CERT_NOT_BOUND' });
      throw new PortalError(401, 'CERT_NOT_BOUND', MSG.certNotBound);
    }
    if (binding.uscc !== certUscc || account.uscc !== certUscc) {
      audit(req, { action: 'login', method, username: account.username, accountId: account.id, uscc: certUscc, fingerprint, result: 'USCC_MISMATCH' });
      throw new PortalError(401, 'USCC_MISMATCH', MSG.usccMismatch);
    }
    startSession(reply, req, account.id, method);
    audit(req, { action: 'login', method, username: account.username, accountId: account.id, uscc: certUscc, fingerprint, result: 'ok' });
    return account;
  }

  // ---- 企业数字证书登录
  app.post('/api/session/certificate', { config: { rateLimit } }, async (req, reply) => {
    const body = bodyOf(req);
    const token = stringField(body, 'token', '登录令牌');
    const fpGuess = tokenCertificateFingerprint(token);
    const r = await verifyToken(req, token, answeredChallenge(body), 'login');
    if (!r.ok) {
      audit(req, { action: 'login', method: 'certificate', uscc: r.uscc ?? null, fingerprint: fpGuess, result: r.code });
      req.log.warn({ code: r.code, adminMessage: r.message, step: r.step }, 'certificate login refused');
      throw new PortalError(401, r.code, r.clerkMessage);
    }
    const account = certificateLogin(req, reply, r, 'certificate');
    return { account: publicAccount(account) };
  });

  // ---- 证书登录（CA 助手兼容）: server random + the portal's own signature over it; the CA's page
  // library checks that signature (SOF_VerifySignedData), signs the random (SOF_SignData) and posts
  // UserCert + UserSignedData as a form. The random is bound to this browser by an httpOnly cookie.
  const sofKey = opts.sofServer ? createPrivateKey(opts.sofServer.privateKeyPem) : null;
  const sofCert = opts.sofServer ? opts.sofServer.certificatePem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '') : null;
  app.get('/api/sof/random', { config: { rateLimit: { max: loginLimit.max * 2, timeWindow: loginLimit.timeWindowMs } } }, async (req, reply) => {
    if (!sofKey || !sofCert) throw new PortalError(404, 'SOF_NOT_CONFIGURED', '本站未启用 CA 助手兼容登录');
    // Bound too, so a CA-assistant random can never be answered as a token challenge from another browser.
    const c = await challenges.issue(now(), { boundTo: ensurePreSession(req, reply) });
    reply.setCookie(SOF_RANDOM_COOKIE, c.challenge, { httpOnly: true, sameSite: 'strict', path: SOF_FORM_PATH, secure: isSecure(), maxAge: 300 });
    return { random: c.challenge, serverCert: sofCert, serverSignature: cryptoSign('sha256', Buffer.from(c.challenge, 'utf8'), sofKey).toString('base64'), expiresAt: c.expiresAt.toISOString() };
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, text, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(text))));
  });
  app.post(SOF_FORM_PATH, { config: { rateLimit } }, async (req, reply) => {
    const body = bodyOf(req);
    const random = req.cookies[SOF_RANDOM_COOKIE];
    reply.clearCookie(SOF_RANDOM_COOKIE, { path: SOF_FORM_PATH, httpOnly: true, sameSite: 'strict', secure: isSecure() });
    const refuse = (code: string) => reply.redirect(`/login-sof.html?error=${encodeURIComponent(code)}`, 303);
    const cert = typeof body.UserCert === 'string' ? body.UserCert : '';
    const signature = typeof body.UserSignedData === 'string' ? body.UserSignedData : '';
    if (!random) return refuse('CHALLENGE_UNKNOWN');
    const owner = await challenges.boundTo(random);
    if (owner !== null && owner !== preSessionOf(req)) return refuse('CHALLENGE_OTHER_BROWSER');
    const r = await verifySofLogin({ certificate: cert, signature, random }, {
      trustAnchors: opts.trustAnchors, challengeStore: challenges, challenge: random, now: now(),
      ...(opts.crls ? { crls: opts.crls } : {}), ...(opts.intermediates ? { intermediates: opts.intermediates } : {}),
    });
    if (!r.ok) {
      audit(req, { action: 'login', method: 'sof', uscc: r.uscc ?? null, fingerprint: cert ? sha256Hex(Buffer.from(cert, 'base64')) : null, result: r.code });
      return refuse(r.code);
    }
    try {
      certificateLogin(req, reply, r, 'sof');
    } catch (e) {
      if (e instanceof PortalError) return refuse(e.code);
      throw e;
    }
    return reply.redirect('/account.html', 303);
  });

  app.post('/api/session/logout', async (req, reply) => {
    const id = req.cookies[cookieNameOf()];
    const s = currentSession(req);
    if (id) db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(sha256Hex(id));
    reply.clearCookie(cookieNameOf(), { path: '/', httpOnly: true, sameSite: 'strict', secure: isSecure() });
    if (s) audit(req, { action: 'logout', method: s.method, username: s.account.username, accountId: s.account.id, uscc: s.account.uscc, result: 'ok' });
    return { ok: true };
  });

  app.get('/api/session', async (req) => {
    const { account: a, method } = requireSession(req);
    const certificates = (db.prepare('SELECT fingerprint, subject, not_after, bound_at FROM certificate_bindings WHERE account_id = ? ORDER BY bound_at').all(a.id) as
      { fingerprint: string; subject: string; not_after: string; bound_at: string }[])
      .map((c) => ({ fingerprint: c.fingerprint, subject: c.subject, notAfter: c.not_after, boundAt: c.bound_at }));
    return {
      account: {
        ...publicAccount(a), kind: 'legal', legalPersonKind: a.legal_person_kind, createdAt: a.created_at,
        leaderName: a.leader_name, leaderIdNumber: maskIdNumber(a.leader_id_number),
        legalPersonName: a.legal_person_name, legalPersonIdNumber: maskIdNumber(a.legal_person_id_number),
        certificates,
      },
      method,
    };
  });

  // ---- 站点切换
  app.get('/api/sites', async () => ({ sites: sites.sites, guideAvailable: sites.guideAvailable }));
  app.get<{ Params: { code: string }; Querystring: { for?: string; offset?: string; limit?: string } }>('/api/sites/:code/items', async (req) => {
    const forWho = req.query.for === 'person' || req.query.for === 'legal' ? req.query.for : undefined;
    const r = sites.items(req.params.code, {
      ...(forWho ? { for: forWho } : {}),
      offset: Number(req.query.offset ?? 0) || 0, limit: Number(req.query.limit ?? 50) || 50,
    });
    if (!r) throw new PortalError(404, 'SITE_UNKNOWN', '没有这个站点');
    const site = sites.sites.find((s) => s.code === req.params.code);
    return { site, ...r };
  });

  // ---- pages (one shared layout, assembled at start-up) and their static assets
  for (const [name, html] of assemblePages(PUBLIC_DIR)) {
    const urls = name === 'index' ? ['/', '/index.html'] : [`/${name}.html`, `/${name}`];
    for (const url of urls) app.get(url, async (_req, reply) => reply.type('text/html; charset=utf-8').send(html));
  }
  await app.register(fastifyStatic, { root: path.join(PUBLIC_DIR, 'static'), prefix: '/static/' });
  return app;
}
