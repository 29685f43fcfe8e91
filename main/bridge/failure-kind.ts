/**
 * What kind of failure a host error is (consent denied, PIN wrong, key gone, …), decided once for
 * every protocol: each protocol then answers the kind with its own number (BJCA's SOF codes in
 * bjca.ts, HEBCA's and JIT's in numbered-errors.ts). The message is always the error's own zh-CN text.
 */
export type FailureKind =
  | 'denied' | 'busy' | 'pin-incorrect' | 'pin-locked' | 'timeout' | 'no-certificate' | 'decrypt'
  | 'algorithm' | 'bad-input' | 'not-supported' | 'other';

const KINDS: ReadonlyArray<[FailureKind, (code: string) => boolean]> = [
  ['denied', (c) => c === 'USER_CANCELLED' || c === 'USER_DENIED' || c === 'CONSENT_TIMEOUT'],
  ['busy', (c) => c === 'CONSENT_BUSY'],
  // A PIN the key refuses as typed (wrong, wrong length, bad characters): the user may type it again.
  ['pin-incorrect', (c) => c === 'PIN_INCORRECT' || c === 'PIN_LEN_RANGE' || c === 'PIN_INVALID'],
  ['pin-locked', (c) => c === 'PIN_LOCKED'],
  ['timeout', (c) => c === 'DEVICE_TIMEOUT' || c === 'PFX_TIMEOUT'],
  // The key was pulled out, or the certificate is no longer listed.
  ['no-certificate', (c) => c === 'NO_CERTIFICATE' || c === 'IDENTITY_NOT_FOUND' || c === 'CERTIFICATE_NOT_FOUND' || c === 'DEVICE_REMOVED' || c === 'TOKEN_NOT_PRESENT'],
  ['decrypt', (c) => c === 'DECRYPT_FAILED' || c === 'ENVELOPE_NOT_FOR_RECIPIENT' || c === 'KEY_CERT_MISMATCH' || c === 'KEY_CERTIFICATE_MISMATCH'],
  ['algorithm', (c) => c === 'SIGN_METHOD_MISMATCH' || c === 'ALGORITHM_MISMATCH'],
  ['not-supported', (c) => c === 'SOF_CERT_INFO_TYPE' || c === 'NOT_SUPPORTED' || c === 'OPERATION_NOT_SUPPORTED' || c === 'SM2_NOT_SUPPORTED_ON_TOKEN'],
  ['bad-input', (c) => c.startsWith('ENVELOPE_') || c.startsWith('SOF_') || c.startsWith('BASE64') || c === 'CERT_MALFORMED' || c === 'INPUT_TOO_LARGE' || c === 'DIGEST_LENGTH'],
];

export function failureKind(code: string): FailureKind {
  for (const [kind, test] of KINDS) if (test(code)) return kind;
  return 'other';
}
