/**
 * The one consent-and-record path every signature and private-key decryption goes through
 * (bridge calls from web pages, the CLI's bridge; the embedded portal's authenticate shares
 * the same reservation so only one consent is ever on screen): describe what is asked, ask the
 * user once (one consent at a time, with a timeout), sign through the key store with the PIN the
 * user typed, then `record` the signature — never the PIN, never the content.
 */
import { createHash } from 'node:crypto';
import { AssistantError } from '../errors.ts';
import type { EnvelopeContent, KeyStore } from '../keystores/types.ts';
import { envelopeCipherNotOnDevice } from '../keystores/errors.ts';
import { openEnvelopeContent } from '../bridge/formats/envelope.ts';
import type { SignatureAlgorithm } from '../pki/signature-algorithm.ts';
import { parseCertificate, type ParsedCertificate } from '../pki/certificate.ts';
import { inspectCertificate } from '../pki/inspect.ts';
import { buildSignedData, ecdsaP1363ToDer } from './cms.ts';
import { chainToSend } from './sent-chain.ts';
import type { SignatureChannel, SignatureRecord as LogRecord } from './signature-log.ts';

export type SigningOperation = 'login' | 'sign' | 'decrypt';
export type SignatureOutput = 'raw' | 'pkcs7-detached' | 'pkcs7-attached';

/** A key the path may use: where it lives and the certificate that names it. */
export interface SigningKey {
  certificate: Uint8Array;
  intermediates: Uint8Array[];
  algorithm: SignatureAlgorithm;
  store: KeyStore;
  identityId: string;
}

export interface ConsentContent {
  /** login: a short random (shown as 登录); content: 签署内容 with a preview; decrypt: 解密. */
  kind: 'login' | 'content' | 'decrypt' | 'file';
  /** First lines of readable text, or 二进制数据. */
  preview: string;
  sha256: string;
}

export interface ConsentView {
  id: string;
  origin: string;
  /** The site's name from policy, when policy names it. */
  siteName: string | null;
  protocol: string;
  /** open: a PFX file's password is asked so its certificates can be listed (CLI). */
  operation: SigningOperation | 'open';
  certificate: { subject: string; enterpriseName: string | null; uscc: string | null; fingerprintSha256: string };
  content: ConsentContent;
  expiresAt: string;
  /** The page passed a PIN and policy bridgeAcceptPagePin lets it unlock the key: allowing without typing one uses it. */
  pinFromPage?: boolean;
  /**
   * More than one certificate fits what the page asked (JIT AddFilter): every candidate, `certificate`
   * first; the user picks the one that signs (`choice` in the answer, an index into this list).
   */
  choices?: Array<ConsentView['certificate']>;
}

export type ConsentAnswer = { allow: true; secret?: string; choice?: number } | { allow: false };

/** What is recorded for each completed signature or decryption (the signature log plugs in here). */
export interface SignatureRecord {
  event: 'signed';
  origin: string;
  protocol: string;
  operation: SigningOperation;
  fingerprintSha256: string;
  enterprise: string | null;
  uscc: string | null;
  contentSha256: string;
  at: string;
}

/** The signature log's entry for a signature that went through this path (`via`: bridge or CLI). */
export function signatureLogRecord(r: SignatureRecord, via: Exclude<SignatureChannel, 'app'>): LogRecord {
  return {
    at: r.at, origin: r.origin, protocol: r.protocol, operation: r.operation, via,
    fingerprintSha256: r.fingerprintSha256, enterprise: r.enterprise, uscc: r.uscc, contentSha256: r.contentSha256,
  };
}

export interface SigningPathOptions {
  /** Shows the consent; resolves with the user's answer. `signal` aborts when the consent times out. */
  ask(view: ConsentView, signal: AbortSignal): Promise<ConsentAnswer>;
  /** Called once the signature is made; the signature goes back to the caller only after it settles (a log write). */
  record(r: SignatureRecord): unknown;
  now: () => Date;
  randomId: () => string;
  siteName?: (origin: string) => string | null;
  timeoutMs?: number;
  /** The one consent slot of the process, shared with the embedded portal's authenticate; default: a slot of its own. */
  slot?: ConsentSlot;
  /**
   * The assistant's trust anchors (the certificate verdict's): a PKCS#7 output then carries the CA
   * certificates of the path validated here (sent-chain.ts); without them, or without a path, the key store's.
   */
  anchors?: () => readonly ParsedCertificate[];
}

/** One consent on screen at a time, whoever asks (bridge, CLI, embedded portal). */
export interface ConsentSlot {
  /** Takes the slot synchronously; null when another consent holds it. The release is idempotent. */
  reserve(): (() => void) | null;
  /** Waits for the slot. */
  acquire(): Promise<() => void>;
  readonly busy: boolean;
}

export interface SigningRequest {
  origin: string;
  protocol: string;
  key: SigningKey;
  data: Uint8Array;
  output: SignatureOutput;
  /**
   * raw output only. `sha1`: RSA PKCS#1 v1.5 over SHA-1(data) (pages that set SGD_SHA1_RSA);
   * `prehashed`: data is the digest itself (SOF_SignHashData: RSA by length SHA-1/SHA-256, SM2 e).
   */
  digest?: 'sha1' | 'prehashed';
  /** Only when policy bridge.acceptPagePin lets a page-typed PIN unlock the key. */
  pagePin?: string;
  /** pkcs7-* output only: false leaves every certificate out of the SignedData (JIT isIncludeCert=false). */
  includeCertificates?: false;
  /**
   * Other keys the user may pick instead of `key` in the consent (listed after it). With
   * alternatives, `digest: 'sha1'` is for the RSA keys among them; SM2 keys sign as usual (SM3, Z_A).
   */
  alternatives?: SigningKey[];
}

/** A private-key decryption: `ciphertext` is exactly what the key decrypts (RSA block, SM2 C1C3C2/DER). */
export interface DecryptionRequest {
  origin: string;
  protocol: string;
  key: SigningKey;
  ciphertext: Uint8Array;
  /**
   * A digital envelope's content: `ciphertext` is then its wrapped session key and the result is
   * the content — opened inside the device where the store can (decryptEnvelope), else with the
   * session key the store's decrypt gives back.
   */
  content?: EnvelopeContent;
  pagePin?: string;
}

export interface SigningPath {
  sign(req: SigningRequest): Promise<Uint8Array>;
  /** As sign; also says which key signed (the user may pick one of `alternatives` in the consent). */
  signChoosing(req: SigningRequest): Promise<{ signature: Uint8Array; key: SigningKey }>;
  /** Consent (解密), then the key store's decryption; recorded as a decryption. */
  decrypt(req: DecryptionRequest): Promise<Uint8Array>;
  /**
   * Takes the single consent slot synchronously (the embedded portal's own consent holds it too);
   * null when another consent is open. Release it when the consent ends.
   */
  reserve(): (() => void) | null;
  /** Waits for the slot (for prompts that must follow each other, e.g. opening several files). */
  acquire(): Promise<() => void>;
  readonly busy: boolean;
}

export const DEFAULT_SIGNING_CONSENT_TIMEOUT_MS = 2 * 60 * 1000;

const LOGIN_RANDOM = /^[A-Za-z0-9+/=_-]{8,128}$/;

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** How the consent shows what is signed: a short random is a login, anything else is content. */
export function describeContent(data: Uint8Array, operation: SigningOperation, opts: { prehashed?: boolean } = {}): ConsentContent {
  const sha256 = sha256Hex(data);
  if (operation === 'decrypt') return { kind: 'decrypt', preview: '解密', sha256 };
  // A digest computed by the page: the user can only be told that, and which digest it is.
  if (opts.prehashed) return { kind: 'content', preview: `摘要（由网页计算）：${Buffer.from(data).toString('hex')}`, sha256 };
  let text: string | null;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    text = null;
  }
  // eslint-disable-next-line no-control-regex
  const readable = text !== null && !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text);
  if (readable && LOGIN_RANDOM.test(text!)) return { kind: 'login', preview: '登录', sha256 };
  if (!readable) return { kind: 'content', preview: '二进制数据', sha256 };
  const lines = text!.split(/\r?\n/).slice(0, 5).map((l) => (l.length > 120 ? `${l.slice(0, 120)}…` : l));
  const more = text!.split(/\r?\n/).length > 5 ? '\n…' : '';
  return { kind: 'content', preview: lines.join('\n') + more, sha256 };
}

function denied(): AssistantError {
  return new AssistantError('USER_DENIED', '用户拒绝了该签名请求', { en: 'The user refused the signature' });
}

function checkDigestSigning(key: SigningKey, output: SignatureOutput, digest: 'sha1' | 'prehashed'): void {
  if (output !== 'raw' || key.algorithm === 'ES256' || (digest === 'sha1' && key.algorithm !== 'RS256')) {
    throw new AssistantError('SIGN_METHOD_MISMATCH', '该签名方式与证书密钥不符', { en: 'this signing method does not fit the key' });
  }
  if (!key.store.signDigest) throw new AssistantError('OPERATION_NOT_SUPPORTED', '该类证书存储暂不支持对摘要签名', { en: 'this key store cannot sign digests' });
}

function deniedDecryption(): AssistantError {
  return new AssistantError('USER_DENIED', '用户拒绝了该解密请求', { en: 'The user refused the decryption' });
}

export function createConsentSlot(): ConsentSlot {
  let held = false;
  const waiting: Array<() => void> = [];
  const reserve = (): (() => void) | null => {
    if (held) return null;
    held = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      held = false;
      waiting.shift()?.();
    };
  };
  return {
    reserve,
    async acquire() {
      for (;;) {
        const r = reserve();
        if (r) return r;
        await new Promise<void>((wake) => waiting.push(wake));
      }
    },
    get busy() {
      return held;
    },
  };
}

export function createSigningPath(opts: SigningPathOptions): SigningPath {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_SIGNING_CONSENT_TIMEOUT_MS;
  const slot = opts.slot ?? createConsentSlot();
  const reserve = (): (() => void) | null => slot.reserve();
  const acquire = (): Promise<() => void> => slot.acquire();

  // The certificate part of a consent depends on the certificate alone: inspected once per certificate.
  const described = new Map<string, ConsentView['certificate']>();
  const describeKey = (key: SigningKey): ConsentView['certificate'] => {
    const cacheKey = sha256Hex(key.certificate);
    const hit = described.get(cacheKey);
    if (hit) return hit;
    const view = inspectKey(key);
    if (described.size > 64) described.delete(described.keys().next().value!);
    described.set(cacheKey, view);
    return view;
  };
  const inspectKey = (key: SigningKey): ConsentView['certificate'] => {
    const leaf = parseCertificate(key.certificate);
    const report = inspectCertificate(leaf, { now: opts.now(), anchors: [], intermediates: [] });
    return {
      subject: report.subject,
      enterpriseName: report.enterpriseName ?? null,
      uscc: report.identity.uscc?.valid ? report.identity.uscc.value : null,
      fingerprintSha256: report.fingerprintSha256,
    };
  };

  const signWithKey = async (key: SigningKey, data: Uint8Array, output: SignatureOutput, pin: string, digest?: SigningRequest['digest'], includeCertificates = true): Promise<Uint8Array> => {
    if (digest !== undefined) {
      checkDigestSigning(key, output, digest);
      const value = digest === 'sha1' ? new Uint8Array(createHash('sha1').update(data).digest()) : data;
      return key.store.signDigest!(key.identityId, value, key.algorithm, pin);
    }
    if (output === 'raw') {
      const sig = await key.store.sign(key.identityId, data, key.algorithm, pin);
      return key.algorithm === 'ES256' ? ecdsaP1363ToDer(sig) : sig;
    }
    // PKCS#7 SignedData (GM/T 0010 algorithms for SM2): the key signs the signed attributes.
    const anchors = opts.anchors?.();
    const intermediates = anchors ? chainToSend(key.certificate, key.intermediates, { anchors, now: opts.now() }).certificates : key.intermediates;
    return buildSignedData(data, {
      algorithm: key.algorithm, certificate: key.certificate, intermediates,
      sign: (attrs) => key.store.sign(key.identityId, attrs, key.algorithm, pin),
    }, opts.now(), { attached: output === 'pkcs7-attached', digest: key.algorithm === 'SM2-SM3' ? 'sm3' : 'sha256', ...(includeCertificates ? {} : { includeCertificates: false }) });
  };

  /** One consent (one at a time, with a timeout), the key operation with the PIN typed there (on the key the user picked), one record. */
  const consented = async (req: { origin: string; protocol: string; key: SigningKey; pagePin?: string; alternatives?: SigningKey[] }, operation: SigningOperation, content: ConsentContent, run: (pin: string, key: SigningKey) => Promise<Uint8Array>): Promise<{ out: Uint8Array; key: SigningKey }> => {
    const release = reserve();
    if (!release) throw new AssistantError('CONSENT_BUSY', '已有一个签名请求等待确认', { en: 'Another signature request is waiting for confirmation' });
    try {
      const now = opts.now();
      const keys = [req.key, ...(req.alternatives ?? [])];
      const view: ConsentView = {
        id: opts.randomId(),
        origin: req.origin,
        siteName: opts.siteName?.(req.origin) ?? null,
        protocol: req.protocol,
        operation,
        certificate: describeKey(req.key),
        content,
        expiresAt: new Date(now.getTime() + timeoutMs).toISOString(),
        ...(req.pagePin !== undefined ? { pinFromPage: true } : {}),
        ...(keys.length > 1 ? { choices: keys.map(describeKey) } : {}),
      };
      const abort = new AbortController();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const answer = await Promise.race([
        opts.ask(view, abort.signal),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            abort.abort();
            reject(new AssistantError('CONSENT_TIMEOUT', '等待用户确认超时', { en: 'The user did not confirm in time' }));
          }, timeoutMs);
          timer.unref?.();
        }),
      ]).finally(() => clearTimeout(timer));
      if (!answer.allow) throw operation === 'decrypt' ? deniedDecryption() : denied();
      const choice = answer.choice ?? 0;
      if (!Number.isInteger(choice) || choice < 0 || choice >= keys.length) throw new AssistantError('CERTIFICATE_NOT_OFFERED', '所选证书不在本次签名可用的证书中', { en: 'The chosen certificate was not offered for this signature' });
      const key = keys[choice]!;
      const signer = choice === 0 ? view.certificate : describeKey(key);
      // The PIN typed in our own prompt wins; a page PIN only where policy allows it; never retried.
      const out = await run(answer.secret ?? req.pagePin ?? '', key);
      await opts.record({
        event: 'signed', origin: req.origin, protocol: req.protocol, operation,
        fingerprintSha256: signer.fingerprintSha256, enterprise: signer.enterpriseName, uscc: signer.uscc,
        contentSha256: view.content.sha256, at: opts.now().toISOString(),
      });
      return { out, key };
    } finally {
      release();
    }
  };

  const signChoosing = async (req: SigningRequest): Promise<{ signature: Uint8Array; key: SigningKey }> => {
    // What the key cannot do is refused before anyone is asked.
    const choosing = (req.alternatives?.length ?? 0) > 0;
    const digestFor = (k: SigningKey): SigningRequest['digest'] => (choosing && req.digest === 'sha1' && k.algorithm === 'SM2-SM3' ? undefined : req.digest);
    for (const k of [req.key, ...(req.alternatives ?? [])]) {
      const d = digestFor(k);
      if (d !== undefined) checkDigestSigning(k, req.output, d);
    }
    const operation: SigningOperation = req.digest !== 'prehashed' && describeContent(req.data, 'sign').kind === 'login' ? 'login' : 'sign';
    const content = describeContent(req.data, operation, { prehashed: req.digest === 'prehashed' });
    const r = await consented(req, operation, content, (pin, key) => signWithKey(key, req.data, req.output, pin, digestFor(key), req.includeCertificates !== false));
    return { signature: r.out, key: r.key };
  };

  return {
    reserve,
    acquire,
    get busy() {
      return slot.busy;
    },
    sign: (req) => signChoosing(req).then((r) => r.signature),
    signChoosing,
    async decrypt(req) {
      const { key, content } = req;
      const store = key.store;
      // What the key cannot do is refused before anyone is asked.
      const onDevice = content !== undefined && store.decryptEnvelope !== undefined;
      if (onDevice && !(store.envelopeCiphers ?? []).includes(content.cipher)) {
        throw envelopeCipherNotOnDevice(content.cipher);
      }
      if (!onDevice && !store.decrypt) throw new AssistantError('OPERATION_NOT_SUPPORTED', '该类证书存储暂不支持解密', { en: 'this key store cannot decrypt' });
      return (await consented(req, 'decrypt', describeContent(req.ciphertext, 'decrypt'), async (pin) => {
        if (onDevice) return store.decryptEnvelope!(key.identityId, req.ciphertext, content, key.algorithm, pin);
        const plain = await store.decrypt!(key.identityId, req.ciphertext, key.algorithm, pin);
        if (!content) return plain;
        try {
          return openEnvelopeContent(content, plain);
        } finally {
          plain.fill(0);
        }
      })).out;
    },
  };
}
