/**
 * What the portal takes from the product's core: the login-token verifier (main/login/verify.ts)
 * and the USCC checks (main/pki/uscc.ts).
 */
import { analyzeUscc, isValidUscc, normalizeUscc } from '../../main/pki/uscc.ts';
import { verifyLoginToken as realVerifyLoginToken } from '../../main/login/verify.ts';
import type { ChallengeStore, VerifyOptions, VerifyResult } from '../../main/login/verify.ts';

export type { ChallengeStore, VerifyOptions, VerifyResult };
export type VerifyLoginToken = (token: string, opts: VerifyOptions) => Promise<VerifyResult>;

export interface UsccCore {
  normalizeUscc(s: string): string;
  isValidUscc(s: string): boolean;
  /** 企业法人, 事业单位, … (GB 32100 institution type as the guide's six kinds), or null. */
  legalPersonKind(s: string): string | null;
}

export const realVerifier: VerifyLoginToken = realVerifyLoginToken;

export const realUsccCore: UsccCore = {
  normalizeUscc,
  isValidUscc,
  legalPersonKind: (s) => analyzeUscc(s).orgType?.legalPersonKind ?? null,
};
