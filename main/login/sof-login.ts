/**
 * The CA assistants' login (BJCA XTXApp / GM/T 0020 SOF): the portal issues a random, the page's
 * library signs it with SOF_SignData and posts `UserCert` + `UserSignedData`. verifySofLogin runs
 * the token verifier's own steps (decode, key usage, validity, chain, revocation, random, USCC)
 * and replaces only what differs: the input, and the signature — a raw PKCS#1 v1.5 (SHA-1 or
 * SHA-256, as its DigestInfo says) or SM2 signature over the random's UTF-8 bytes.
 *
 * This flow binds NO origin: a signature over a random proves the key holder answered that
 * random, not which site asked. `cert-login:1` (verifyLoginToken) signs the origin and is the
 * safer protocol; here only the assistant's origin allow-list stands between a hostile page and
 * a signature. See docs/compat.md.
 */
import { AssistantError } from '../errors.ts';
import { LoginTokenRejection } from './codes.ts';
import { algorithmMismatch, verifyMessageSignature } from './signature.ts';
import { decodeCanonicalBase64, type CertificateRef } from './token-format.ts';
import { need, runVerifySteps, VERIFY_STEPS, type VerifyOptions, type VerifyResult, type VerifyStep } from './verify.ts';

export interface SofLoginInput {
  /** `UserCert`: base64 DER of the signing certificate (PEM armour and line breaks tolerated). */
  certificate: string;
  /** `UserSignedData`: base64 of the signature SOF_SignData returned. */
  signature: string;
  /** The random the portal issued to this session, exactly as the page signed it. */
  random: string;
  /** Intermediate CA certificates the page sent along (base64 DER), if any. */
  intermediates?: string[];
}

/** Options of verifyLoginToken without the origin (nothing here binds one). `challenge` is the session's random. */
export type SofVerifyOptions = Omit<VerifyOptions, 'origin' | 'maxTokenBytes'>;

const MAX_CERTIFICATE_TEXT = 96 * 1024;
const MAX_SIGNATURE_TEXT = 2048;
const MAX_RANDOM_TEXT = 1024;

/** Whitespace and PEM armour out; what remains must be canonical base64. */
function certificateRef(text: unknown, what: string): CertificateRef {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_CERTIFICATE_TEXT) {
    throw new LoginTokenRejection('TOKEN_MALFORMED', `${what}为空或过大`, `${what === '证书' ? 'certificate' : 'intermediate'} empty or too large`);
  }
  const b64 = text.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  const der = decodeCanonicalBase64(b64);
  // Undecodable certificate text is the certificate step's failure, as in a token.
  return der ? { b64, der: new Uint8Array(der.buffer, der.byteOffset, der.byteLength) } : { b64, der: new Uint8Array(0) };
}

const readSofLogin: VerifyStep = {
  name: 'token',
  run(ctx) {
    const input = ctx.input as Partial<SofLoginInput> | null;
    if (!input || typeof input !== 'object') throw new LoginTokenRejection('TOKEN_MALFORMED', '缺少登录数据', 'no login data');
    if (typeof input.signature !== 'string' || input.signature.length > MAX_SIGNATURE_TEXT) throw new LoginTokenRejection('TOKEN_MALFORMED', '签名值（UserSignedData）缺失或过大', 'signature missing or too large');
    if (typeof input.random !== 'string' || input.random.length === 0 || input.random.length > MAX_RANDOM_TEXT) throw new LoginTokenRejection('TOKEN_MALFORMED', '随机数缺失或过长', 'random missing or too long');
    const signature = decodeCanonicalBase64(input.signature.replace(/\s+/g, ''));
    if (!signature || signature.length === 0) throw new LoginTokenRejection('TOKEN_MALFORMED', '签名值不是 Base64 编码', 'signature is not base64');
    const intermediates = input.intermediates ?? [];
    if (!Array.isArray(intermediates) || intermediates.length > 6) throw new LoginTokenRejection('TOKEN_MALFORMED', '中间证书过多', 'too many intermediates');
    ctx.token = {
      kind: 'sof',
      // Replaced by the key's own algorithm in the signature step; RS256 is only a placeholder label.
      algorithm: 'RS256',
      certificate: certificateRef(input.certificate, '证书'),
      intermediates: intermediates.map((c) => certificateRef(c, '中间证书')),
      signature: new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength),
      appVersion: null,
      originHint: null,
      challengeHint: input.random,
    };
  },
};

const checkSofSignature: VerifyStep = {
  name: 'signature',
  run(ctx) {
    const token = need(ctx.token);
    const leaf = need(ctx.leaf);
    const pk = leaf.publicKey;
    token.algorithm = pk.kind === 'SM2' ? 'SM2-SM3' : 'RS256';
    // SOF signs with RSA or SM2 only; RSA keys below the login minimum are refused as in tokens.
    const why = pk.kind === 'RSA' || pk.kind === 'SM2' ? algorithmMismatch(token.algorithm, pk) : { zh: 'CA 助手登录只支持 RSA 或 SM2 密钥', en: 'SOF login supports RSA or SM2 keys only' };
    if (why) throw new LoginTokenRejection('ALGORITHM_MISMATCH', why.zh, why.en, { key: leaf.keyAlgorithm });
    const check = verifyMessageSignature(pk, new TextEncoder().encode(need(ctx.challenge)), token.signature);
    if (!check.ok) throw new LoginTokenRejection('BAD_SIGNATURE', '签名与本次登录的随机数不符', 'signature does not match this login random');
    if (check.hash === 'sha1') ctx.warnings.push('SHA1_SIGNATURE');
  },
};

/** Our steps in place of the token's: input and signature replaced, origin checks dropped (nothing here names one). */
const REPLACED: ReadonlyMap<string, VerifyStep | null> = new Map([
  ['token', readSofLogin],
  ['origin', null],
  ['algorithm', null],
  ['signature', checkSofSignature],
]);

/** The token verifier's steps, in its order, with the SOF flow's input and signature steps swapped in. */
export const SOF_VERIFY_STEPS: readonly VerifyStep[] = VERIFY_STEPS.flatMap((s) => {
  if (!REPLACED.has(s.name)) return [s];
  const mine = REPLACED.get(s.name);
  return mine ? [mine] : [];
});

/**
 * Verifies a CA-assistant (SOF) login: certificate, signature over the session's random, the
 * random itself (known, unexpired, unused — burned on the first attempt). Never throws for bad
 * input; throws AssistantError only for the caller's own configuration errors.
 */
export function verifySofLogin(input: SofLoginInput, opts: SofVerifyOptions): Promise<VerifyResult> {
  if (!opts || !opts.challengeStore) throw new AssistantError('CONFIG_INVALID', '未提供随机数存储（challengeStore）', { en: 'challengeStore is required' });
  return runVerifySteps(SOF_VERIFY_STEPS, input, opts, '');
}
