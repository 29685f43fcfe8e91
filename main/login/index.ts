/**
 * What a relying party (portal) imports to verify login tokens: plain Node, no side effects.
 *   import { verifyLoginToken, MemoryChallengeStore } from '<cert-assistant>/main/login/index.ts'
 */
export { verifyLoginToken, VERIFY_STEPS, DEFAULT_CLOCK_SKEW_MS } from './verify.ts';
export type { VerifyOptions, VerifyResult } from './verify.ts';
export { MemoryChallengeStore, DEFAULT_CHALLENGE_TTL_MS, CHALLENGE_BYTES } from './challenge-store.ts';
export type { ChallengeStore, ConsumeResult } from './challenge-store.ts';
export { VERIFY_CODES, VERIFY_MESSAGES, VERIFY_CLERK_MESSAGES, LoginTokenRejection } from './codes.ts';
export type { VerifyCode } from './codes.ts';
export { loginTbs, normalizeOrigin, checkChallenge } from './tbs.ts';
export { TOKEN_FORMAT, DEFAULT_MAX_TOKEN_BYTES } from './token-format.ts';
export type { LoginTokenJson } from './token-format.ts';
export { parseCrl, crlDistributionUrls } from './revocation.ts';
export type { CrlFetcher, RevocationReason } from './revocation.ts';
export { clearOcspCache, ocspResponderUrls } from './ocsp.ts';
export type { OcspOptions, OcspFetcher } from './ocsp.ts';
export type { RevocationLinkJson } from './verify.ts';
export { verifySofLogin, SOF_VERIFY_STEPS } from './sof-login.ts';
export type { SofLoginInput, SofVerifyOptions } from './sof-login.ts';
