/**
 * What a login token signs: tbs = H(origin) || H(challenge).
 *   origin    — the WHATWG URL serialization `scheme://host[:port]` (lower-case, punycode host,
 *               default port dropped), as UTF-8 bytes (it is always ASCII);
 *   challenge — the base64 challenge STRING exactly as the relying party issued it, as ASCII
 *               bytes (not the decoded random bytes), as Web eID does with its nonce;
 *   H         — SHA-256 for RS256/ES256, SM3 for SM2-SM3 (GB/T 32905).
 * The result is 64 bytes; the signature algorithm then hashes it again as it always does
 * (RSASSA/ECDSA over SHA-256(tbs); SM2 over SM3(Z_A || tbs)).
 */
import * as nodeCrypto from 'node:crypto';
import { AssistantError } from '../errors.ts';
import type { SignatureAlgorithm } from '../pki/signature-algorithm.ts';
import { sm3 } from '../pki/sm2.ts';

/** Smallest challenge entropy we sign for (DESIGN: >= 32 random bytes). */
export const MIN_CHALLENGE_BYTES = 32;
/** Largest challenge string we accept: keeps inputs small and bounded. */
export const MAX_CHALLENGE_CHARS = 344; // base64 of 256 bytes


// A verifier sees the same few origins over and over: remember their normal forms and hashes.
const MEMO_SIZE = 64;
const originMemo = new Map<string, string>();
const originHashMemo = new Map<string, Uint8Array>();

function remember<V>(m: Map<string, V>, k: string, v: V): V {
  if (m.size >= MEMO_SIZE) m.delete(m.keys().next().value as string);
  m.set(k, v);
  return v;
}

/** Normalises an origin or URL to its ASCII origin; only http(s) origins can be signed for. */
export function normalizeOrigin(input: string): string {
  const hit = originMemo.get(input);
  if (hit !== undefined) return hit;
  return remember(originMemo, input, parseOrigin(input));
}

function parseOrigin(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new AssistantError('ORIGIN_INVALID', `来源地址无效：${input.slice(0, 100)}`, { en: 'origin is not a valid URL' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AssistantError('ORIGIN_INVALID', '来源地址必须是 http 或 https 地址', { en: 'origin must be an http(s) origin' });
  }
  return url.origin;
}

/** Checks a challenge is canonical base64 of at least 32 bytes; returns it unchanged. */
export function checkChallenge(challengeB64: string): string {
  const bytes = typeof challengeB64 === 'string' && challengeB64.length <= MAX_CHALLENGE_CHARS ? Buffer.from(challengeB64, 'base64') : null;
  // Canonical only (padded, no whitespace, zero pad bits): one challenge has one spelling.
  if (!bytes || challengeB64.length === 0 || bytes.toString('base64') !== challengeB64) {
    throw new AssistantError('CHALLENGE_INVALID', '挑战值格式无效（应为 Base64 编码）', { en: 'challenge is not canonical base64' });
  }
  if (bytes.length < MIN_CHALLENGE_BYTES) {
    throw new AssistantError('CHALLENGE_INVALID', `挑战值过短（至少 ${MIN_CHALLENGE_BYTES} 字节随机数）`, { en: `challenge must carry at least ${MIN_CHALLENGE_BYTES} random bytes` });
  }
  return challengeB64;
}

// One-shot hashing where Node has it (20.12+, Electron's Node): no Hash object per call.
const oneShot = (nodeCrypto as { hash?: (alg: string, data: Uint8Array, enc: 'buffer') => Buffer }).hash;

function sha256(data: Uint8Array): Uint8Array {
  const d = oneShot ? oneShot('sha256', data, 'buffer') : nodeCrypto.createHash('sha256').update(data).digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** The hash the token algorithm uses for tbs: SHA-256 or SM3. */
export function tbsHash(alg: SignatureAlgorithm, data: Uint8Array): Uint8Array {
  if (alg === 'SM2-SM3') return sm3(data);
  return sha256(data);
}

/**
 * tbs for an already-normalised origin and a checked challenge. Callers with user input use
 * `loginTbs`, which normalises and checks first.
 */
export function tbsFor(origin: string, challengeB64: string, alg: SignatureAlgorithm): Uint8Array {
  const out = new Uint8Array(64);
  const key = `${alg} ${origin}`;
  out.set(originHashMemo.get(key) ?? remember(originHashMemo, key, tbsHash(alg, Buffer.from(origin, 'utf8'))), 0);
  out.set(tbsHash(alg, Buffer.from(challengeB64, 'utf8')), 32);
  return out;
}

/** tbs = H(origin) || H(challenge), origin normalised, challenge checked (see file header). */
export function loginTbs(origin: string, challengeB64: string, alg: SignatureAlgorithm): Uint8Array {
  return tbsFor(normalizeOrigin(origin), checkChallenge(challengeB64), alg);
}
