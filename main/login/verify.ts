/**
 * Verifier for `cert-login:1` tokens, for relying parties (portals): a plain Node import with no
 * side effects, no Electron, no globals besides bounded caches of parsed data.
 *
 * Shape (after Web eID's validators): an ordered list of small steps; each either passes or
 * fails with its own reason code and zh-CN message. See docs/login-token.md.
 */
import { createHash } from 'node:crypto';
import { AssistantError } from '../errors.ts';
import type { SignatureAlgorithm } from '../pki/signature-algorithm.ts';
import { parseCertificate, type ParsedCertificate } from '../pki/certificate.ts';
import { verifyChain, type ChainCode } from '../pki/chain.ts';
import { loginEkuProblem } from '../pki/path-validation.ts';
import { SIGNATURE_ALGORITHMS } from '../pki/oids.ts';
import { legalPersonKind, normalizeUscc } from '../pki/uscc.ts';
import { MemoryChallengeStore, type ChallengeStore } from './challenge-store.ts';
import { parseCmsToken } from './cms.ts';
import { LoginTokenRejection, VERIFY_CODES, VERIFY_MESSAGES, type VerifyCode } from './codes.ts';
import type { OcspOptions } from './ocsp.ts';
import { checkRevocation, parseCrl, REVOCATION_REASON_TEXT, type CrlFetcher, type LinkRevocation, type PreparedCrl } from './revocation.ts';
import { algorithmMismatch, MIN_RSA_BITS, verifyTokenSignature } from './signature.ts';
import { normalizeOrigin, tbsFor, tbsHash } from './tbs.ts';
import { decodeCanonicalBase64, DEFAULT_MAX_TOKEN_BYTES, parseJsonToken, tokenText, type ParsedLoginToken } from './token-format.ts';
import { certificateFromRef, clearVerifyCaches, identityOf, isKnownCertificate, normalizedUscc, provenPath, rememberPath, usccIsValid } from './verify-cache.ts';

export { MemoryChallengeStore, VERIFY_CODES, VERIFY_MESSAGES, clearVerifyCaches };
export type { ChallengeStore, VerifyCode };

export const DEFAULT_CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface VerifyOptions {
  /** The relying party's own origin (`https://host[:port]`); tokens are checked against it. */
  origin: string;
  /** Trusted roots (DER or parsed). Parsed once per content (edits to the array are seen at once). */
  trustAnchors: Uint8Array[] | ParsedCertificate[];
  challengeStore: ChallengeStore;
  /**
   * The challenge issued to THIS session (recommended). When absent, the token's unsigned
   * `challenge` echo is looked up in the store (then any issued challenge can be answered
   * from any session).
   */
  challenge?: string;
  now?: Date;
  /** Tolerance for certificate validity and CRL times; default 5 minutes. */
  clockSkewMs?: number;
  /** The account's USCC: when given, the certificate's USCC must equal it. */
  expectedUscc?: string;
  /** CRLs (DER or PEM). Parsed once per content, as trustAnchors. */
  crls?: Uint8Array[];
  /** Fetch CRLs from the certificates' distribution points when no configured CRL covers them. */
  allowNetworkFetch?: boolean;
  crlFetchTimeoutMs?: number;
  maxCrlBytes?: number;
  /** Replaces the HTTP fetch of CRLs (tests, proxies). */
  fetchCrl?: CrlFetcher;
  /** OCSP (RFC 6960): on with allowNetworkFetch, or with these options; `false` turns it off. */
  ocsp?: OcspOptions | false;
  /**
   * Every link of the path (leaf and each CA below the anchor) must have a definite status from
   * a CRL or OCSP; a link with none fails with REVOCATION_UNKNOWN instead of a warning.
   */
  requireRevocation?: boolean;
  /** Intermediate CA certificates the portal knows, used when a token lacks them. */
  intermediates?: Uint8Array[] | ParsedCertificate[];
  maxTokenBytes?: number;
}

export type VerifyResult =
  | {
      ok: true;
      uscc: string;
      /** Where the USCC was read (`subject:serialNumber`, `ext:1.2.156.10260.4.1.4`, …) and how sure: high = the CA profile's place. */
      usccSource: string;
      usccConfidence: string;
      subject: string;
      issuer: string;
      serialNumber: string;
      /** SHA-256 (hex) of the whole certificate DER: changes when the same certificate is re-encoded. */
      fingerprintSha256: string;
      /**
       * SHA-256 (hex) of the issuer Name's DER as the certificate carries it (signed, so fixed for the
       * certificate): with serialNumber it names the certificate whatever its outer encoding.
       */
      issuerNameSha256: string;
      /** SHA-256 (hex) of the subjectPublicKeyInfo DER: the key, the same in every certificate for it. */
      spkiSha256: string;
      algorithm: string;
      legalPersonKind?: string;
      notAfter: string;
      /** json/cms: a cert-login:1 token; sof: the CA-assistant login (verifySofLogin). */
      format: 'json' | 'cms' | 'sof';
      appVersion?: string;
      warnings: string[];
      /** Per link of the path (leaf first), when revocation was configured. */
      revocation?: RevocationLinkJson[];
    }
  | {
      ok: false; code: VerifyCode;
      /** For administrators and logs: the reason with its detail (DNs, folders, settings). */
      message: string; messageEn: string;
      /** For the person logging in: plain words and what to do (codes.ts VERIFY_CLERK_MESSAGES). */
      clerkMessage: string; clerkMessageEn: string;
      step: string; uscc?: string | null; subject?: string;
    };

/** One link's revocation status as the result carries it (JSON-friendly). */
export interface RevocationLinkJson {
  depth: number;
  subject: string;
  serialNumber: string;
  status: LinkRevocation['status'];
  source?: 'crl' | 'ocsp';
  reason?: string;
  revokedAt?: string;
}

export function linkJson(l: LinkRevocation): RevocationLinkJson {
  return {
    depth: l.depth,
    subject: l.subject,
    serialNumber: l.serialNumber,
    status: l.status,
    ...(l.source ? { source: l.source } : {}),
    ...(l.reason ? { reason: l.reason } : {}),
    ...(l.revokedAt ? { revokedAt: l.revokedAt.toISOString() } : {}),
  };
}

/** What the steps learn, in order. */
export interface VerifyContext {
  /** The options (the origin is normalised into `origin`; the SOF flow has none). */
  opts: Omit<VerifyOptions, 'origin'>;
  now: Date;
  skew: number;
  origin: string;
  anchors: ParsedCertificate[];
  knownIntermediates: ParsedCertificate[];
  crls: PreparedCrl[];
  /** A token (string or bytes) or, for the SOF flow, its structured login input. */
  input: unknown;
  token?: ParsedLoginToken;
  leaf?: ParsedCertificate;
  intermediates?: ParsedCertificate[];
  path?: ParsedCertificate[];
  challenge?: string;
  uscc?: string;
  usccPlace?: { source: string; confidence: string };
  warnings: string[];
  revocation?: RevocationLinkJson[];
}

type Context = VerifyContext;

export interface VerifyStep {
  name: string;
  run(ctx: VerifyContext): void | Promise<void>;
}
type Step = VerifyStep;

export function need<T>(v: T | undefined): T {
  if (v === undefined) throw new Error('verifier step order broken');
  return v;
}

const WEAK_HASHES = new Set(['md5', 'sha1']);

/**
 * Chain signature checks per token (cache hits are free), and of those the checks under an issuer
 * that is neither configured nor a CA proven on an earlier path: one is what a first login needs
 * when the token brings its CA. (A key-rollover chain that only the token carries needs its
 * intermediates configured.)
 */
export const MAX_CHAIN_SIGNATURE_CHECKS = 8;
export const MAX_UNVOUCHED_SIGNATURE_CHECKS = 2;

/** The challenge this token answers: the session's, else the token's unsigned echo. */
function challengeOf(ctx: Context): string {
  const challenge = ctx.opts.challenge ?? need(ctx.token).challengeHint ?? undefined;
  if (challenge === undefined) throw new LoginTokenRejection('CHALLENGE_UNKNOWN', '令牌未说明应答的挑战，调用方也未提供', 'no challenge given or echoed');
  return challenge;
}

function rejectChallengeState(state: string): void {
  if (state === 'unknown') throw new LoginTokenRejection('CHALLENGE_UNKNOWN');
  if (state === 'reused') throw new LoginTokenRejection('CHALLENGE_REUSED');
  if (state === 'expired') throw new LoginTokenRejection('CHALLENGE_EXPIRED');
}

/**
 * Before any certificate work: is the challenge one we issued, unexpired and unused? Looked up,
 * not consumed (a certificate problem still lets the user retry), so tokens answering nothing
 * cost a JSON parse, not a chain build. Stores without `lookup` skip this step.
 */
const lookupChallenge: Step = {
  name: 'challengeLookup',
  async run(ctx) {
    const challenge = challengeOf(ctx);
    const store = ctx.opts.challengeStore;
    if (store.lookup) rejectChallengeState(await store.lookup(challenge, ctx.now));
  },
};

/**
 * Configuration lists (anchors, intermediates, CRLs) parsed once per CONTENT: the key is the
 * SHA-256 of every item, taken on each call, so a caller that edits its array in place (splice,
 * `length = 0; push`) or rewrites a buffer is seen at once. Bounded; oldest dropped first.
 */
const MAX_PREPARED_LISTS = 64;
const preparedLists = new Map<string, ParsedCertificate[] | PreparedCrl[]>();

function contentKey(kind: string, items: readonly (Uint8Array | ParsedCertificate)[]): string {
  return kind + ':' + items.map((c) => (c instanceof Uint8Array ? createHash('sha256').update(c).digest('hex') : 'p' + c.fingerprintSha256)).join(',');
}

function prepared<T extends ParsedCertificate[] | PreparedCrl[]>(key: string, make: () => T): T {
  const hit = preparedLists.get(key) as T | undefined;
  if (hit) return hit;
  const value = make();
  if (preparedLists.size >= MAX_PREPARED_LISTS) preparedLists.delete(preparedLists.keys().next().value as string);
  preparedLists.set(key, value);
  return value;
}

function prepareCertificates(list: Uint8Array[] | ParsedCertificate[] | undefined): ParsedCertificate[] {
  if (!list || list.length === 0) return [];
  const items = [...(list as (Uint8Array | ParsedCertificate)[])];
  // Parsed certificates are the caller's objects: only their identity-free fields are used.
  return prepared(contentKey('cert', items), () => items.map((c) => (c instanceof Uint8Array ? parseCertificate(new Uint8Array(c)) : c)));
}

function prepareCrls(list: Uint8Array[] | undefined): PreparedCrl[] {
  if (!list || list.length === 0) return [];
  const items = [...list];
  return prepared(contentKey('crl', items), () => items.map((c) => parseCrl(new Uint8Array(c))));
}

const readToken: Step = {
  name: 'token',
  run(ctx) {
    const max = ctx.opts.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES;
    const text = tokenText(ctx.input as string | Uint8Array, max).trim();
    if (text.startsWith('{')) {
      ctx.token = parseJsonToken(text, isKnownCertificate);
      return;
    }
    // Anything else must be the `cms` variant: base64 of a DER ContentInfo.
    const der = decodeCanonicalBase64(text);
    if (!der || der.length === 0) throw new LoginTokenRejection('TOKEN_MALFORMED', '既不是 JSON 令牌也不是 Base64 编码的 CMS', 'neither a JSON token nor base64 CMS');
    ctx.token = parseCmsToken(new Uint8Array(der.buffer, der.byteOffset, der.byteLength));
  },
};

const decodeCertificates: Step = {
  name: 'certificate',
  run(ctx) {
    const token = need(ctx.token);
    try {
      ctx.leaf = certificateFromRef(token.certificate);
      ctx.intermediates = [...token.intermediates.map(certificateFromRef), ...ctx.knownIntermediates];
    } catch (e) {
      const why = e instanceof AssistantError ? e.message : '';
      if (e instanceof AssistantError && e.code === 'CERT_DUPLICATE_EXTENSION') throw new LoginTokenRejection('CERT_DUPLICATE_EXTENSION', why, e.messageEn, e.details);
      throw new LoginTokenRejection('CERT_MALFORMED', why, undefined, { cause: e instanceof AssistantError ? e.code : 'PARSE' });
    }
  },
};

const checkKeyUsage: Step = {
  name: 'keyUsage',
  run(ctx) {
    const leaf = need(ctx.leaf);
    // Login keys must say they sign; an absent extension is not taken as permission.
    if (!leaf.keyUsage || !leaf.keyUsage.includes('digitalSignature')) {
      const has = leaf.keyUsage ? leaf.keyUsage.join(', ') || '无' : '缺少密钥用法扩展';
      throw new LoginTokenRejection('KEY_USAGE', `证书的用法为：${has}`, `key usage: ${leaf.keyUsage?.join(', ') ?? 'extension absent'}`);
    }
  },
};

const checkExtendedKeyUsage: Step = {
  name: 'extendedKeyUsage',
  run(ctx) {
    const problem = loginEkuProblem(need(ctx.leaf));
    if (problem) throw new LoginTokenRejection('EXTENDED_KEY_USAGE', problem.message, problem.messageEn);
  },
};

/** RFC 5280 path rules that failed get their own verifier code; other chain failures are UNTRUSTED_CHAIN. */
const PATH_CODES: Partial<Record<ChainCode, VerifyCode>> = {
  CHAIN_CRITICAL_EXTENSION: 'CRITICAL_EXTENSION',
  CHAIN_ISSUER_KEY_USAGE: 'ISSUER_KEY_USAGE',
  CHAIN_PATH_LENGTH: 'PATH_LENGTH_EXCEEDED',
  CHAIN_NAME_CONSTRAINTS: 'NAME_CONSTRAINTS',
  CHAIN_NAME_CONSTRAINTS_UNSUPPORTED: 'NAME_CONSTRAINTS_UNSUPPORTED',
};

const checkValidity: Step = {
  name: 'validity',
  run(ctx) {
    const leaf = need(ctx.leaf);
    const t = ctx.now.getTime();
    if (t > leaf.notAfter.getTime() + ctx.skew) {
      throw new LoginTokenRejection('CERT_EXPIRED', `有效期至 ${leaf.notAfter.toISOString()}`, `valid until ${leaf.notAfter.toISOString()}`);
    }
    if (t < leaf.notBefore.getTime() - ctx.skew) {
      throw new LoginTokenRejection('CERT_NOT_YET_VALID', `生效时间 ${leaf.notBefore.toISOString()}`, `valid from ${leaf.notBefore.toISOString()}`);
    }
  },
};

const checkChain: Step = {
  name: 'chain',
  run(ctx) {
    const leaf = need(ctx.leaf);
    const intermediates = need(ctx.intermediates);
    const known = provenPath(ctx.anchors, leaf, intermediates, ctx.now);
    if (known) {
      ctx.path = known;
      return;
    }
    const res = verifyChain(leaf, {
      intermediates,
      anchors: ctx.anchors,
      now: ctx.now,
      configuredIntermediates: ctx.knownIntermediates,
      // A real path costs one or two checks; a token of look-alike CAs must not buy more.
      maxSignatureChecks: MAX_CHAIN_SIGNATURE_CHECKS,
      maxUnvouchedSignatureChecks: MAX_UNVOUCHED_SIGNATURE_CHECKS,
    });
    if (!res.ok) throw new LoginTokenRejection((res.code && PATH_CODES[res.code]) ?? 'UNTRUSTED_CHAIN', res.message, res.messageEn, { chainCode: res.code });
    // Signatures the chain walker accepts but a login should not rest on.
    for (let i = 0; i + 1 < res.path.length; i++) {
      const c = res.path[i]!;
      const hash = SIGNATURE_ALGORITHMS[c.signatureAlgorithmOid]?.hash;
      if (hash && WEAK_HASHES.has(hash)) {
        throw new LoginTokenRejection('UNTRUSTED_CHAIN', `证书“${c.subject}”使用弱签名算法 ${c.signatureAlgorithm}`, `"${c.subject}" is signed with weak ${c.signatureAlgorithm}`);
      }
      if (i > 0 && c.publicKey.kind === 'RSA' && (c.publicKey.bits ?? 0) < MIN_RSA_BITS) {
        throw new LoginTokenRejection('UNTRUSTED_CHAIN', `CA 证书“${c.subject}”的 RSA 密钥过短`, `CA "${c.subject}" has a short RSA key`);
      }
    }
    ctx.path = res.path;
    rememberPath(ctx.anchors, leaf, intermediates, res.path);
  },
};

const checkRevoked: Step = {
  name: 'revocation',
  async run(ctx) {
    const o = ctx.opts;
    const configured = ctx.crls.length > 0 || o.allowNetworkFetch === true || (o.ocsp !== undefined && o.ocsp !== false);
    if (!configured) {
      if (o.requireRevocation) throw new LoginTokenRejection('REVOCATION_UNKNOWN', '未配置吊销列表（CRL）或 OCSP', 'no CRL or OCSP source is configured');
      ctx.warnings.push('REVOCATION_NOT_CHECKED');
      return;
    }
    const out = await checkRevocation(need(ctx.path), {
      crls: ctx.crls,
      ...(o.allowNetworkFetch !== undefined ? { allowNetworkFetch: o.allowNetworkFetch } : {}),
      ...(o.ocsp !== undefined ? { ocsp: o.ocsp } : {}),
      ...(o.crlFetchTimeoutMs !== undefined ? { fetchTimeoutMs: o.crlFetchTimeoutMs } : {}),
      ...(o.maxCrlBytes !== undefined ? { maxCrlBytes: o.maxCrlBytes } : {}),
      ...(o.fetchCrl !== undefined ? { fetchCrl: o.fetchCrl } : {}),
      clockSkewMs: ctx.skew,
    }, ctx.now);
    ctx.revocation = out.links.map(linkJson);
    const revoked = out.links.find((l) => l.status === 'revoked');
    if (revoked?.revokedAt) {
      const at = revoked.revokedAt.toISOString();
      throw new LoginTokenRejection('REVOKED', `“${revoked.subject}”于 ${at} 被吊销`, `"${revoked.subject}" revoked at ${at}`, { revokedAt: at, depth: revoked.depth, source: revoked.source });
    }
    const open = out.links.find((l) => l.status === 'unknown') ?? (o.requireRevocation ? out.links.find((l) => l.status === 'not-checked') : undefined);
    if (open) {
      const why = REVOCATION_REASON_TEXT[open.reason ?? 'NO_SOURCE'];
      throw new LoginTokenRejection('REVOCATION_UNKNOWN', `“${open.subject}”：${why.zh}`, `"${open.subject}": ${why.en}`, { reason: open.reason, depth: open.depth });
    }
    if (out.status === 'not-checked') ctx.warnings.push('REVOCATION_NOT_CHECKED');
  },
};

const consumeChallenge: Step = {
  name: 'challenge',
  async run(ctx) {
    const token = need(ctx.token);
    const challenge = challengeOf(ctx);
    // Burn the session's challenge first: one attempt per challenge, whatever happens next.
    rejectChallengeState(await ctx.opts.challengeStore.consume(challenge, ctx.now));
    if (ctx.opts.challenge !== undefined && token.challengeHint !== null && token.challengeHint !== ctx.opts.challenge) {
      throw new LoginTokenRejection('CHALLENGE_UNKNOWN', '令牌应答的不是本次会话签发的挑战', 'token answers another challenge than this session\'s');
    }
    ctx.challenge = challenge;
  },
};

const checkOrigin: Step = {
  name: 'origin',
  run(ctx) {
    const hint = need(ctx.token).originHint;
    if (hint === null) return; // no echo (CMS): the signature below decides
    let claimed: string;
    try {
      claimed = normalizeOrigin(hint);
    } catch {
      throw new LoginTokenRejection('ORIGIN_MISMATCH', '令牌中的来源地址无效', 'origin echo is invalid');
    }
    if (claimed !== ctx.origin) {
      throw new LoginTokenRejection('ORIGIN_MISMATCH', `令牌为 ${claimed.slice(0, 200)} 签发，本站为 ${ctx.origin}`, `signed for ${claimed.slice(0, 200)}, expected ${ctx.origin}`);
    }
  },
};

const checkAlgorithm: Step = {
  name: 'algorithm',
  run(ctx) {
    const token = need(ctx.token);
    const why = algorithmMismatch(token.algorithm, need(ctx.leaf).publicKey);
    if (why) throw new LoginTokenRejection('ALGORITHM_MISMATCH', why.zh, why.en, { algorithm: token.algorithm, key: need(ctx.leaf).keyAlgorithm });
  },
};

const checkSignature: Step = {
  name: 'signature',
  run(ctx) {
    const token = need(ctx.token);
    const leaf = need(ctx.leaf);
    const alg: SignatureAlgorithm = token.algorithm;
    // Always over the EXPECTED origin and the consumed challenge: echoes never enter tbs.
    const tbs = tbsFor(ctx.origin, need(ctx.challenge), alg);
    let ok: boolean;
    if (token.kind === 'cms') {
      const cms = need(token.cms);
      const digest = tbsHash(alg, tbs);
      ok = Buffer.compare(Buffer.from(digest), Buffer.from(cms.messageDigest)) === 0 && verifyTokenSignature(alg, leaf.publicKey, cms.signedAttrs, token.signature, 'der');
    } else {
      ok = verifyTokenSignature(alg, leaf.publicKey, tbs, token.signature, 'ieee-p1363');
    }
    if (!ok) throw new LoginTokenRejection('BAD_SIGNATURE', '签名与本站地址和挑战值不符', 'signature does not match this origin and challenge');
  },
};

const checkUscc: Step = {
  name: 'uscc',
  run(ctx) {
    const leaf = need(ctx.leaf);
    const identity = identityOf(leaf);
    const found = identity.uscc;
    const expected = ctx.opts.expectedUscc !== undefined ? normalizeUscc(ctx.opts.expectedUscc) : undefined;
    // Identity provenance (issue 12): a personal certificate or two enterprises never log in as one.
    const refusal = identity.refusal;
    if (refusal?.code === 'PERSONAL_CERTIFICATE') {
      throw new LoginTokenRejection('PERSONAL_CERTIFICATE', `证书含居民身份证号（${refusal.source}）`, `the certificate holds a resident ID number (${refusal.source})`);
    }
    if (refusal?.code === 'IDENTITY_AMBIGUOUS') {
      throw new LoginTokenRejection('IDENTITY_AMBIGUOUS', `${refusal.values.join('、')}（${refusal.sources.join('、')}）`, `${refusal.values.join(', ')} (${refusal.sources.join(', ')})`);
    }
    if (!found) {
      const org = identity.orgCode ? `（仅有组织机构代码 ${identity.orgCode.value}）` : '';
      throw new LoginTokenRejection('USCC_MISSING', org, identity.orgCode ? `only an organisation code ${identity.orgCode.value}` : undefined);
    }
    const value = normalizedUscc(found.value);
    ctx.uscc = value;
    ctx.usccPlace = { source: found.source, confidence: found.confidence };
    if (!found.valid || !usccIsValid(value)) {
      // Pilot-era codes that fail the check are accepted only on exact equality with the account's.
      if (expected !== undefined && expected === value) {
        ctx.warnings.push('USCC_CHECK_FAILED_BUT_REGISTERED');
      } else {
        throw new LoginTokenRejection('USCC_INVALID', value, value);
      }
    }
    if (expected !== undefined && expected !== value) {
      throw new LoginTokenRejection('USCC_MISMATCH', `证书为 ${value}，账号为 ${expected}`, `certificate ${value}, account ${expected}`);
    }
  },
};

/** The checks, in the order DESIGN.md gives; each fails with its own code. */
export const VERIFY_STEPS: readonly Step[] = [
  readToken,
  lookupChallenge,
  decodeCertificates,
  checkKeyUsage,
  checkExtendedKeyUsage,
  checkValidity,
  checkChain,
  checkRevoked,
  consumeChallenge,
  checkOrigin,
  checkAlgorithm,
  checkSignature,
  checkUscc,
];

function failureUscc(ctx: Context): string | null | undefined {
  if (ctx.uscc !== undefined) return ctx.uscc;
  if (!ctx.leaf) return undefined;
  try {
    const u = identityOf(ctx.leaf).uscc;
    return u ? normalizeUscc(u.value) : null;
  } catch {
    return null;
  }
}

/** Verifies a login token (JSON or CMS) for one relying party; never throws for bad tokens. */
export function verifyLoginToken(token: string | Uint8Array, opts: VerifyOptions): Promise<VerifyResult> {
  // Configuration errors (bad origin, unparsable anchors) are the caller's: they throw.
  return runVerifySteps(VERIFY_STEPS, token, opts, normalizeOrigin(opts.origin));
}

/** Runs `steps` in order over one input (the token flow and the SOF login flow share it); never throws for bad input. */
export async function runVerifySteps(steps: readonly VerifyStep[], input: unknown, opts: Omit<VerifyOptions, 'origin'>, origin: string): Promise<VerifyResult> {
  const ctx: Context = {
    opts,
    now: opts.now ?? new Date(),
    skew: opts.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS,
    origin,
    anchors: prepareCertificates(opts.trustAnchors),
    knownIntermediates: prepareCertificates(opts.intermediates),
    crls: prepareCrls(opts.crls),
    input,
    warnings: [],
  };
  let current = 'token';
  try {
    for (const step of steps) {
      current = step.name;
      // Only the steps that do I/O return promises; awaiting the others costs a tick each.
      const pending = step.run(ctx);
      if (pending) await pending;
    }
  } catch (e) {
    const r = e instanceof LoginTokenRejection ? e : new LoginTokenRejection('TOKEN_MALFORMED', '令牌无法处理', 'token could not be processed');
    const out: VerifyResult = { ok: false, code: r.code, message: r.message, messageEn: r.messageEn ?? VERIFY_MESSAGES[r.code].en, clerkMessage: r.clerkMessage, clerkMessageEn: r.clerkMessageEn, step: current };
    const uscc = failureUscc(ctx);
    if (uscc !== undefined) out.uscc = uscc;
    if (ctx.leaf) out.subject = ctx.leaf.subject;
    return out;
  }
  const leaf = need(ctx.leaf);
  const token0 = need(ctx.token);
  const uscc = need(ctx.uscc);
  return {
    ok: true,
    uscc,
    usccSource: need(ctx.usccPlace).source,
    usccConfidence: need(ctx.usccPlace).confidence,
    subject: leaf.subject,
    issuer: leaf.issuer,
    serialNumber: leaf.serialNumber,
    fingerprintSha256: leaf.fingerprintSha256,
    issuerNameSha256: createHash('sha256').update(leaf.issuerDer).digest('hex'),
    spkiSha256: createHash('sha256').update(leaf.publicKey.spki).digest('hex'),
    algorithm: token0.algorithm,
    legalPersonKind: legalPersonKind(uscc.slice(0, 2)),
    notAfter: leaf.notAfter.toISOString(),
    format: token0.kind,
    ...(token0.appVersion !== null ? { appVersion: token0.appVersion } : {}),
    warnings: ctx.warnings,
    ...(ctx.revocation ? { revocation: ctx.revocation } : {}),
  };
}
