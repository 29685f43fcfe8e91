/**
 * Our own error numbers for the protocols whose public material gives no error table: HEBCA's
 * `ret` and JIT PNXClient's GetLastError use the same numbers (docs/compat.md §4 and §8).
 */
import { toErrorInfo } from '../errors.ts';
import { failureKind, type FailureKind } from './failure-kind.ts';

export const BRIDGE_ERR = {
  BAD_FRAME: 1001,
  BAD_PARAM: 1002,
  REFUSED: 1003,
  NO_CERT: 1004,
  NOT_SELECTED: 1005,
  USER_DENIED: 1006,
  PIN_INCORRECT: 1007,
  PIN_LOCKED: 1008,
  TIMEOUT: 1009,
  TOO_LARGE: 1010,
  BUSY: 1011,
  NOT_SUPPORTED: 1012,
  DECRYPT_FAILED: 1013,
  /** The digest algorithm the page set does not fit the certificate's key (JIT SetDigestAlg SM3 on RSA). */
  ALGORITHM_MISMATCH: 1014,
  FAILED: 1099,
} as const;

export class NumberedFailure extends Error {
  constructor(readonly ret: number, message: string) {
    super(message);
  }
}

export const failWith = (ret: number, msg: string): never => {
  throw new NumberedFailure(ret, msg);
};

/** A host error (consent denied, PIN wrong, key gone, timeout) or our own failure → number + zh-CN message. */
export function numberedFailure(e: unknown): { ret: number; msg: string } {
  if (e instanceof NumberedFailure) return { ret: e.ret, msg: e.message };
  const info = toErrorInfo(e, 'SIGN_FAILED');
  return { ret: NUMBER_OF[failureKind(info.code)], msg: info.message };
}

const NUMBER_OF: Record<FailureKind, number> = {
  denied: BRIDGE_ERR.USER_DENIED, busy: BRIDGE_ERR.BUSY, 'pin-incorrect': BRIDGE_ERR.PIN_INCORRECT, 'pin-locked': BRIDGE_ERR.PIN_LOCKED,
  timeout: BRIDGE_ERR.TIMEOUT, 'no-certificate': BRIDGE_ERR.NO_CERT, decrypt: BRIDGE_ERR.DECRYPT_FAILED, algorithm: BRIDGE_ERR.ALGORITHM_MISMATCH,
  'bad-input': BRIDGE_ERR.BAD_PARAM, 'not-supported': BRIDGE_ERR.NOT_SUPPORTED, other: BRIDGE_ERR.FAILED,
};
