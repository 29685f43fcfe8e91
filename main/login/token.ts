/**
 * Creating a login token: challenge + origin -> tbs -> key store signature -> `cert-login:1`
 * JSON (or a detached CMS). The origin must come from the requesting frame (main process),
 * never from page data; this function just signs what it is given.
 */
import { AssistantError } from '../errors.ts';
import type { KeyStore, SignatureAlgorithm } from '../keystores/types.ts';
import { buildDetachedCms } from './cms.ts';
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
  /** CMS signing-time; defaults to the current time. */
  now?: Date;
}

export interface CreatedLoginToken {
  /** JSON text for 'json'; base64 DER ContentInfo for 'cms'. */
  token: string;
  format: LoginTokenFormat;
  algorithm: SignatureAlgorithm;
  /** Exactly what was signed (JSON) or digested into the signed attributes (CMS). */
  tbs: Uint8Array;
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
  const tbs = tbsFor(origin, challenge, algorithm);
  if (format === 'cms') {
    const der = await buildDetachedCms(
      tbs,
      {
        algorithm,
        certificate: identity.certificate,
        intermediates: identity.intermediates,
        sign: (data) => input.store.sign(identity.id, data, algorithm, input.pin),
      },
      input.now ?? new Date(),
    );
    return { token: toBase64(der), format, algorithm, tbs };
  }
  const signature = await input.store.sign(identity.id, tbs, algorithm, input.pin);
  const token = serializeToken({
    format: TOKEN_FORMAT,
    algorithm,
    certificate: toBase64(identity.certificate),
    intermediates: identity.intermediates.map(toBase64),
    signature: toBase64(signature),
    appVersion: input.appVersion,
    origin,
    challenge,
  });
  return { token, format, algorithm, tbs };
}
