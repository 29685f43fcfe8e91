import { AssistantError, isAssistantError } from '../errors.ts';

/**
 * Every error code a key store (PKCS#12, PKCS#11, SKF, Windows) or its worker raises: the CK_RV,
 * SAR and Windows tables map into it, and the app decides what to do by it (ask for the PIN
 * again, say the key is locked). Closed, so a code that exists nowhere fails to compile.
 */
export const KEY_STORE_ERROR_CODES = [
  'ACTION_PROHIBITED', 'ALGORITHM_MISMATCH', 'ATTRIBUTE_READ_ONLY', 'ATTRIBUTE_SENSITIVE',
  'ATTRIBUTE_TYPE_INVALID', 'CERTIFICATE_NOT_FOUND', 'CRYPTOKI_ALREADY_INITIALIZED',
  'CRYPTOKI_NOT_INITIALIZED', 'CURVE_NOT_SUPPORTED', 'DATA_INVALID', 'DATA_LEN_RANGE', 'DEVICE_ERROR',
  'DEVICE_GENERAL_ERROR', 'DEVICE_MEMORY', 'DEVICE_REMOVED', 'DEVICE_SELF_TEST_FAILED', 'DEVICE_TIMEOUT',
  'DIGEST_LENGTH', 'DOMAIN_PARAMS_INVALID', 'ENCRYPTED_DATA_INVALID', 'ENCRYPTED_DATA_LEN_RANGE', 'EXCEEDED_MAX_ITERATIONS',
  'FILE_EMPTY', 'FILE_TOO_LARGE', 'FILE_UNREADABLE', 'FUNCTION_FAILED', 'FUNCTION_REJECTED', 'HOST_MEMORY',
  'IDENTITY_NOT_FOUND', 'INFORMATION_SENSITIVE', 'INTERNAL_ERROR', 'KEY_CERTIFICATE_MISMATCH',
  'KEY_CERT_MISMATCH', 'KEY_NOT_FOUND', 'KEY_NOT_USABLE', 'KEY_SIZE_RANGE', 'MECHANISM_NOT_SUPPORTED',
  'MODULE_LOAD_FAILED', 'MODULE_NOT_FOUND', 'MODULE_NOT_PKCS11', 'MODULE_NOT_SKF', 'MODULE_PATH_UNSAFE',
  'NEW_PIN_MODE', 'NEXT_OTP', 'NO_EVENT', 'OBJECT_HANDLE_INVALID', 'OPERATION_ACTIVE',
  'OPERATION_CANCEL_FAILED', 'OPERATION_NOT_SUPPORTED', 'PFX_TIMEOUT', 'PIN_EXPIRED', 'PIN_INCORRECT', 'PIN_INVALID', 'PIN_LEN_RANGE',
  'PIN_LOCKED', 'PIN_NOT_INITIALIZED', 'PIN_REQUIRED', 'PIN_TOO_WEAK', 'PKCS11_ARGUMENTS_BAD',
  'PKCS11_CANT_LOCK', 'PKCS11_FUNCTION_NOT_SUPPORTED', 'PKCS11_NEED_THREADS', 'PKCS11_UNKNOWN_ERROR',
  'PKCS11_VENDOR_ERROR', 'SESSION_CLOSED', 'SESSION_COUNT', 'SESSION_EXISTS', 'SESSION_HANDLE_INVALID',
  'SESSION_READ_ONLY', 'SESSION_READ_ONLY_EXISTS', 'SESSION_READ_WRITE_SO_EXISTS', 'SIGNATURE_INVALID',
  'SIGNATURE_LEN_RANGE', 'SKF_APPLICATION_EXISTS', 'SKF_APPLICATION_NOT_FOUND', 'SKF_ARGUMENTS_BAD',
  'SKF_BAD_DIGEST', 'SKF_BAD_PUBLIC_KEY', 'SKF_BAD_SIGNATURE', 'SKF_BUFFER_TOO_SMALL', 'SKF_CONTAINER_LIMIT',
  'SKF_CRYPTO_ERROR', 'SKF_FAILED', 'SKF_FILE_ERROR', 'SKF_FUNCTION_NOT_SUPPORTED', 'SKF_HANDLE_INVALID',
  'SKF_MEMORY_ERROR', 'SKF_NOT_EXPORTABLE', 'SKF_NOT_INITIALIZED', 'SKF_OBJECT_ERROR', 'SKF_RANDOM_ERROR',
  'SKF_UNKNOWN_ERROR', 'SKF_VENDOR_ERROR', 'SLOT_ID_INVALID', 'SM2_NOT_SUPPORTED_ON_TOKEN', 'STORE_CLOSED',
  'STORE_KIND_UNSUPPORTED', 'TOKEN_NOT_PRESENT', 'TOKEN_NOT_RECOGNIZED', 'TOKEN_RESOURCE_EXCEEDED',
  'TOKEN_WRITE_PROTECTED', 'USER_ALREADY_LOGGED_IN', 'USER_ANOTHER_ALREADY_LOGGED_IN', 'USER_CANCELLED',
  'USER_NOT_LOGGED_IN', 'USER_PIN_NOT_INITIALIZED', 'USER_TOO_MANY_TYPES', 'WINDOWS_ACCESS_DENIED',
  'WINDOWS_ALGORITHM_UNSUPPORTED', 'WINDOWS_BAD_DATA', 'WINDOWS_BAD_FLAGS', 'WINDOWS_BAD_KEY',
  'WINDOWS_BAD_KEY_STATE', 'WINDOWS_BAD_TYPE', 'WINDOWS_BUFFER_TOO_SMALL', 'WINDOWS_INVALID_PARAMETER',
  'WINDOWS_KEY_FAILED', 'WINDOWS_KEY_NOT_FOUND', 'WINDOWS_KEY_UNAVAILABLE', 'WINDOWS_NOT_FOUND',
  'WINDOWS_NOT_SUPPORTED', 'WINDOWS_NO_MEMORY', 'WINDOWS_PROVIDER_MISSING', 'WORKER_BAD_REQUEST',
  'WORKER_CLOSED', 'WORKER_CRASHED', 'WORKER_INTERNAL_ERROR', 'WORKER_METHOD_UNKNOWN', 'WORKER_START_FAILED',
] as const;
export type KeyStoreErrorCode = (typeof KEY_STORE_ERROR_CODES)[number];

/** What a driver's return-code table (CK_RV, SAR) maps to: CKR_OK / SAR_OK are in the tables too, never raised. */
export type ErrorTableCode = KeyStoreErrorCode | 'OK';
export interface ErrorTableText { code: ErrorTableCode; zh: string; en: string }

const CODES: ReadonlySet<string> = new Set(KEY_STORE_ERROR_CODES);
export function isKeyStoreErrorCode(code: string): code is KeyStoreErrorCode {
  return CODES.has(code);
}

/** The key or file refused the PIN/password typed: the user may type it again (never retried by us). */
export const WRONG_SECRET_CODES = ['PIN_INCORRECT', 'PIN_LEN_RANGE'] as const satisfies readonly KeyStoreErrorCode[];
/** The key is locked: no PIN will do until the CA unlocks it. */
export const LOCKED_CODES = ['PIN_LOCKED'] as const satisfies readonly KeyStoreErrorCode[];

export function isWrongSecret(code: string): code is (typeof WRONG_SECRET_CODES)[number] {
  return (WRONG_SECRET_CODES as readonly string[]).includes(code);
}

export function isLocked(code: string): code is (typeof LOCKED_CODES)[number] {
  return (LOCKED_CODES as readonly string[]).includes(code);
}

/**
 * A USB key pulled out mid-call shows up as whatever the driver makes of a vanished handle. Each
 * store lists the codes after which it asks "is the key still there?" and, when it is not, says
 * DEVICE_REMOVED with one message, naming the slot or device and keeping the driver's code as cause.
 */
export function mayMeanRemoved(e: unknown, codes: ReadonlySet<KeyStoreErrorCode>): e is AssistantError {
  return isAssistantError(e) && (codes as ReadonlySet<string>).has(e.code);
}

export function deviceRemovedError(where: { slot: number } | { device: string }, cause?: AssistantError): AssistantError {
  return new AssistantError('DEVICE_REMOVED' satisfies KeyStoreErrorCode, 'USB Key 已被拔出或无法访问，请重新插入后再试', {
    en: 'the key was removed or cannot be reached; insert it and retry',
    details: { ...where, ...(cause ? { cause: cause.code, ...(cause.details ?? {}) } : {}) },
  });
}

/** A device that opens envelopes itself (SKF) cannot decrypt this content cipher (GM/T 0016 has SM4, no AES). */
export function envelopeCipherNotOnDevice(cipher: string): AssistantError {
  return new AssistantError('OPERATION_NOT_SUPPORTED' satisfies KeyStoreErrorCode, 'USB Key 只能解开 SM4 加密的数字信封，该信封的内容用其他算法加密', {
    en: 'the USB key opens SM4 envelopes only', details: { cipher },
  });
}
