/**
 * Creating a login token: challenge + origin -> tbs -> key store signature -> `cert-login:1`
 * JSON (or a detached CMS). The origin must come from the requesting frame (main process),
 * never from page data; this function just signs what it is given.
 */
import { AssistantError } from '../errors.ts';
import type { KeyStore } from '../keystores/types.ts';
import type { SignatureAlgorithm } from '../pki/signature-algorithm.ts';
import type { ParsedCertificate } from '../pki/certificate.ts';
import { buildDetachedCms } from './cms.ts';
import { chainToSend, type SentChain } from './sent-chain.ts';
import { verifyTokenSignature } from './signature.ts';
import { parseCertificateCached } from './verify-cache.ts';
import { checkChallenge, normalizeOrigin, tbsFor } from './tbs.ts';
import { serializeToken, toBase64, TOKEN_FORMAT } from './token-format.ts';

export type LoginTokenFormat = 'json' | 'cms';

export interface CreateLoginTokenInput {
  origin: string;
  challenge: string;
  store: KeyStore;
  identityId: string;
  /** Used once for this signature; never kept, logged or retried. */
  pin: string;
  format?: LoginTokenFormat;
  appVersion: string;
  /** CMS signing-time and the time the local path is validated at; defaults to the current time. */
  now?: Date;
  /**
   * The assistant's trust anchors (the verdict's): the token then carries the CA certificates of the
   * path validated here (sent-chain.ts). Without them, or without a local path, the key store's.
   */
  anchors?: readonly ParsedCertificate[];
}

export interface CreatedLoginToken {
  /** JSON text for 'json'; base64 DER ContentInfo for 'cms'. */
  token: string;
  format: LoginTokenFormat;
  algorithm: SignatureAlgorithm;
  /** Exactly what was signed (JSON) or digested into the signed attributes (CMS). */
  tbs: Uint8Array;
  /** The CA certificates the token carries and where they came from (for the admin's log). */
  chain: SentChain;
}

/** Signs a login challenge with one identity of a key store; see docs/login-token.md. */
export async function createLoginToken(input: CreateLoginTokenInput): Promise<CreatedLoginToken> {
  const origin = normalizeOrigin(input.origin);
  const challenge = checkChallenge(input.challenge);
  const format = input.format ?? 'json';
  if (format !== 'json' && format !== 'cms') throw new AssistantError('USAGE', `不支持的令牌格式：${String(format)}`, { en: 'format must be json or cms' });
  const identities = await input.store.listIdentities();
  const identity = identities.find((i) => i.id === input.identityId);
  if (!identity) {
    throw new AssistantError('NO_CERTIFICATE', '找不到指定的证书', { en: 'no such identity in the key store', details: { identityId: input.identityId } });
  }
  const algorithm = identity.algorithm;
  // Cached: the same certificate signs again and again, and its key object is reused.
  const publicKey = parseCertificateCached(identity.certificate).publicKey;
  // Check our own signature before anyone else sees it: a key paired with the wrong certificate
  // (CKA_ID mix-ups on USB keys) or a driver returning junk gets a clear error here, not a
  // BAD_SIGNATURE at the portal.
  const signChecked = async (data: Uint8Array): Promise<Uint8Array> => {
    const sig = await input.store.sign(identity.id, data, algorithm, input.pin);
    if (!verifyTokenSignature(algorithm, publicKey, data, sig, 'ieee-p1363')) {
      throw new AssistantError('SIGNATURE_SELF_CHECK_FAILED', '签名校验失败：证书与私钥不匹配，或 USB Key 返回了无效签名', {
        en: 'the signature does not verify with the certificate: key and certificate do not match, or the key returned an invalid signature',
        details: { identityId: identity.id, algorithm },
      });
    }
    return sig;
  };
  const tbs = tbsFor(origin, challenge, algorithm);
  const now = input.now ?? new Date();
  const chain = input.anchors
    ? chainToSend(identity.certificate, identity.intermediates, { anchors: input.anchors, now })
    : { certificates: identity.intermediates, source: 'key-store' as const };
  if (format === 'cms') {
    const der = await buildDetachedCms(tbs, { algorithm, certificate: identity.certificate, intermediates: chain.certificates, sign: signChecked }, now);
    return { token: toBase64(der), format, algorithm, tbs, chain };
  }
  const signature = await signChecked(tbs);
  const token = serializeToken({
    format: TOKEN_FORMAT,
    algorithm,
    certificate: toBase64(identity.certificate),
    intermediates: chain.certificates.map(toBase64),
    signature: toBase64(signature),
    appVersion: input.appVersion,
    origin,
    challenge,
  });
  return { token, format, algorithm, tbs, chain };
}
