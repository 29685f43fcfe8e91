/**
 * The `cert-login:1` token as JSON, and its strict parser. The parser never trusts sizes or
 * shapes: the whole token, each field, and the number of certificates are bounded before any
 * certificate is decoded.
 */
import type { SignatureAlgorithm } from '../pki/signature-algorithm.ts';
import { LoginTokenRejection } from './codes.ts';

export const TOKEN_FORMAT = 'cert-login:1';
export const TOKEN_ALGORITHMS: readonly SignatureAlgorithm[] = ['RS256', 'ES256', 'SM2-SM3'];

/** Default whole-token limit: a leaf, a few intermediates and a 4096-bit RSA signature fit easily. */
export const DEFAULT_MAX_TOKEN_BYTES = 64 * 1024;
const MAX_CERT_BYTES = 16 * 1024;
const MAX_INTERMEDIATES = 6;
const MAX_SIGNATURE_BYTES = 1024; // RSA-8192
const MAX_APP_VERSION_CHARS = 64;
const MAX_ORIGIN_CHARS = 2048;
const MAX_CHALLENGE_CHARS = 344;

/** The token as it travels (JSON). `origin` and `challenge` are unsigned echoes, see docs/login-token.md. */
export interface LoginTokenJson {
  format: typeof TOKEN_FORMAT;
  algorithm: SignatureAlgorithm;
  /** Signer certificate, base64 DER. */
  certificate: string;
  /**
   * CA certificates, base64 DER: the path the assistant validated locally below the root, the
   * signer's issuer first; without a local path, the key store's other certificates as they are.
   */
  intermediates?: string[];
  /** RS256: PKCS#1 v1.5; ES256: IEEE P1363 r||s (64 bytes); SM2-SM3: DER SEQUENCE{r,s}. Base64. */
  signature: string;
  appVersion: string;
  /** Unsigned hint: the origin the assistant signed for (diagnostics only; never trusted). */
  origin?: string;
  /** Unsigned hint: the challenge answered (lets a portal look it up; never trusted alone). */
  challenge?: string;
}

/**
 * A certificate as the token carries it: canonical base64 and its DER. `der` is null when the
 * verifier already knows this exact base64 text (it was decoded and checked when first seen).
 */
export interface CertificateRef {
  b64: string;
  der: Uint8Array | null;
}

/** A parsed token: bytes decoded, nothing about them checked yet. */
export interface ParsedLoginToken {
  kind: 'json' | 'cms' | 'sof';
  algorithm: SignatureAlgorithm;
  certificate: CertificateRef;
  intermediates: CertificateRef[];
  /** JSON: the signature over tbs. CMS: the SignerInfo signature over the signed attributes (DER form for ECDSA). */
  signature: Uint8Array;
  appVersion: string | null;
  originHint: string | null;
  challengeHint: string | null;
  /** CMS only: DER of the signed attributes (SET) and the messageDigest they carry. */
  cms?: { signedAttrs: Uint8Array; messageDigest: Uint8Array; signingTime: Date | null; certificates: Uint8Array[] };
}

const KEYS = new Set(['format', 'algorithm', 'certificate', 'intermediates', 'signature', 'appVersion', 'origin', 'challenge']);

/** Decodes canonical base64 (RFC 4648 §4: padded, no whitespace, zero pad bits) or returns null. */
export function decodeCanonicalBase64(value: string): Buffer | null {
  const bytes = Buffer.from(value, 'base64');
  // Node skips junk characters; re-encoding and comparing rejects anything non-canonical.
  return bytes.toString('base64') === value ? bytes : null;
}

function malformed(zh: string, en: string): LoginTokenRejection {
  return new LoginTokenRejection('TOKEN_MALFORMED', zh, en);
}

/** Strict canonical base64 (RFC 4648 §4, padded, no whitespace) with a decoded-size cap. */
export function decodeBase64Field(value: unknown, field: string, maxBytes: number): Uint8Array {
  if (typeof value !== 'string' || value.length === 0) throw malformed(`字段 ${field} 缺失或不是字符串`, `${field} missing or not a string`);
  if (value.length > Math.ceil(maxBytes / 3) * 4) throw malformed(`字段 ${field} 过长`, `${field} too long`);
  const bytes = decodeCanonicalBase64(value);
  if (!bytes) throw malformed(`字段 ${field} 不是有效的 Base64`, `${field} is not canonical base64`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function optionalString(obj: Record<string, unknown>, field: string, max: number): string | null {
  const v = obj[field];
  if (v === undefined) return null;
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw malformed(`字段 ${field} 无效`, `${field} invalid`);
  return v;
}

/** Size check first, then UTF-8, then JSON: a 1 MB token is rejected before it is decoded. */
export function tokenText(token: string | Uint8Array, maxTokenBytes: number): string {
  if (typeof token === 'string') {
    if (token.length > maxTokenBytes || Buffer.byteLength(token, 'utf8') > maxTokenBytes) {
      throw new LoginTokenRejection('TOKEN_TOO_LARGE', `超过 ${maxTokenBytes} 字节`, `over ${maxTokenBytes} bytes`);
    }
    return token;
  }
  if (!(token instanceof Uint8Array)) throw malformed('令牌必须是字符串或字节', 'token must be a string or bytes');
  if (token.byteLength > maxTokenBytes) throw new LoginTokenRejection('TOKEN_TOO_LARGE', `超过 ${maxTokenBytes} 字节`, `over ${maxTokenBytes} bytes`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(token);
  } catch {
    throw malformed('令牌不是 UTF-8 文本', 'token is not UTF-8');
  }
}

function certificateRef(value: unknown, field: string, known: ((b64: string) => boolean) | undefined): CertificateRef {
  if (known && typeof value === 'string' && known(value)) return { b64: value, der: null };
  return { b64: value as string, der: decodeBase64Field(value, field, MAX_CERT_BYTES) };
}

/**
 * Parses a JSON `cert-login:1` token (text already size-checked). `known` says which
 * certificate texts were decoded and checked before (skips decoding them again).
 */
export function parseJsonToken(text: string, known?: (b64: string) => boolean): ParsedLoginToken {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    throw malformed('不是有效的 JSON', 'not valid JSON');
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw malformed('令牌必须是 JSON 对象', 'token must be a JSON object');
  const o = obj as Record<string, unknown>;
  if (typeof o['format'] !== 'string') throw malformed('缺少 format 字段', 'format missing');
  // A later format may carry other fields: say "unsupported" before judging the fields.
  if (o['format'] !== TOKEN_FORMAT) throw new LoginTokenRejection('FORMAT_UNSUPPORTED', `格式 ${String(o['format']).slice(0, 40)}`, `format ${String(o['format']).slice(0, 40)}`);
  for (const k of Object.keys(o)) if (!KEYS.has(k)) throw malformed(`未知字段 ${k.slice(0, 40)}`, `unknown field ${k.slice(0, 40)}`);
  const alg = o['algorithm'];
  if (typeof alg !== 'string') throw malformed('缺少 algorithm 字段', 'algorithm missing');
  if (!(TOKEN_ALGORITHMS as readonly string[]).includes(alg)) throw new LoginTokenRejection('FORMAT_UNSUPPORTED', `算法 ${alg.slice(0, 40)}`, `algorithm ${alg.slice(0, 40)}`);
  const certificate = certificateRef(o['certificate'], 'certificate', known);
  let intermediates: CertificateRef[] = [];
  if (o['intermediates'] !== undefined) {
    const list = o['intermediates'];
    if (!Array.isArray(list) || list.length > MAX_INTERMEDIATES) throw malformed('intermediates 必须是不超过 6 个证书的数组', 'intermediates must be an array of at most 6');
    intermediates = list.map((v, i) => certificateRef(v, `intermediates[${i}]`, known));
  }
  const signature = decodeBase64Field(o['signature'], 'signature', MAX_SIGNATURE_BYTES);
  const appVersion = optionalString(o, 'appVersion', MAX_APP_VERSION_CHARS);
  if (appVersion === null) throw malformed('缺少 appVersion 字段', 'appVersion missing');
  return {
    kind: 'json',
    algorithm: alg as SignatureAlgorithm,
    certificate,
    intermediates,
    signature,
    appVersion,
    originHint: optionalString(o, 'origin', MAX_ORIGIN_CHARS),
    challengeHint: optionalString(o, 'challenge', MAX_CHALLENGE_CHARS),
  };
}

export function serializeToken(t: LoginTokenJson): string {
  // Fixed key order keeps tokens byte-identical for the same inputs.
  return JSON.stringify({
    format: t.format,
    algorithm: t.algorithm,
    certificate: t.certificate,
    ...(t.intermediates && t.intermediates.length ? { intermediates: t.intermediates } : {}),
    signature: t.signature,
    appVersion: t.appVersion,
    ...(t.origin !== undefined ? { origin: t.origin } : {}),
    ...(t.challenge !== undefined ? { challenge: t.challenge } : {}),
  });
}

export function toBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}
