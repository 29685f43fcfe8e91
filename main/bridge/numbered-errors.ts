/**
 * Our own error numbers for the protocols whose public material gives no error table: HEBCA's
 * `ret` and JIT PNXClient's GetLastError use the same numbers (docs/compat.md §4 and §8).
 */
import { toErrorInfo } from '../errors.ts';

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
  const ret = info.code === 'USER_CANCELLED' || info.code === 'USER_DENIED' || info.code === 'CONSENT_TIMEOUT' ? BRIDGE_ERR.USER_DENIED
    : info.code === 'CONSENT_BUSY' ? BRIDGE_ERR.BUSY
    : info.code === 'PIN_INCORRECT' || info.code === 'PIN_LEN_RANGE' ? BRIDGE_ERR.PIN_INCORRECT
    : info.code === 'PIN_LOCKED' ? BRIDGE_ERR.PIN_LOCKED
    : info.code === 'DEVICE_TIMEOUT' ? BRIDGE_ERR.TIMEOUT
    : info.code === 'NO_CERTIFICATE' || info.code === 'IDENTITY_NOT_FOUND' ? BRIDGE_ERR.NO_CERT
    : info.code === 'DECRYPT_FAILED' || info.code === 'ENVELOPE_NOT_FOR_RECIPIENT' || info.code === 'KEY_CERT_MISMATCH' ? BRIDGE_ERR.DECRYPT_FAILED
    : info.code === 'SIGN_METHOD_MISMATCH' || info.code === 'ALGORITHM_MISMATCH' ? BRIDGE_ERR.ALGORITHM_MISMATCH
    : info.code.startsWith('ENVELOPE_') || info.code === 'CERT_MALFORMED' || info.code === 'INPUT_TOO_LARGE' || info.code === 'DIGEST_LENGTH' ? BRIDGE_ERR.BAD_PARAM
    : info.code === 'OPERATION_NOT_SUPPORTED' || info.code === 'SM2_NOT_SUPPORTED_ON_TOKEN' ? BRIDGE_ERR.NOT_SUPPORTED
    : BRIDGE_ERR.FAILED;
  return { ret, msg: info.message };
}
