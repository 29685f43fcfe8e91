/**
 * What the portal takes from Cert Assistant, exactly as a portal operator installs it: the
 * login-token verifier (`cert-assistant/verifier`) and the USCC and resident-ID checks
 * (`cert-assistant/uscc`).
 */
import { verifyLoginToken as realVerifyLoginToken, verifySofLogin as realVerifySofLogin } from 'cert-assistant/verifier';
import type { ChallengeStore, SofLoginInput, SofVerifyOptions, VerifyOptions, VerifyResult } from 'cert-assistant/verifier';
import { analyzeUscc, isValidUscc, normalizeUscc } from 'cert-assistant/uscc';

export type { ChallengeStore, SofLoginInput, SofVerifyOptions, VerifyOptions, VerifyResult };
export type VerifyLoginToken = (token: string, opts: VerifyOptions) => Promise<VerifyResult>;

export interface UsccCore {
  normalizeUscc(s: string): string;
  isValidUscc(s: string): boolean;
  /** 企业法人, 事业单位, … (GB 32100 institution type as the guide's six kinds), or null. */
  legalPersonKind(s: string): string | null;
}

export const realVerifier: VerifyLoginToken = realVerifyLoginToken;

/** The CA assistants' UserCert + UserSignedData login (binds no origin; see docs/compat.md). */
export type VerifySofLogin = (input: SofLoginInput, opts: SofVerifyOptions) => Promise<VerifyResult>;
export const realSofVerifier: VerifySofLogin = realVerifySofLogin;

export const realUsccCore: UsccCore = {
  normalizeUscc,
  isValidUscc,
  legalPersonKind: (s) => analyzeUscc(s).orgType?.legalPersonKind ?? null,
};
