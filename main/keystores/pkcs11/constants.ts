/** PKCS#11 v2.40 numeric constants this binding uses (names as in the standard's pkcs11t.h). */

export const CKF_TOKEN_PRESENT = 0x1;
export const CKF_REMOVABLE_DEVICE = 0x2;
export const CKF_HW_SLOT = 0x4;

// CK_C_INITIALIZE_ARGS.flags: let the library use the OS's own threading primitives.
export const CKF_OS_LOCKING_OK = 0x2;

// Session flags.
export const CKF_RW_SESSION = 0x2;
export const CKF_SERIAL_SESSION = 0x4;

// Token flags (CK_TOKEN_INFO.flags).
export const CKF_LOGIN_REQUIRED = 0x4;
export const CKF_USER_PIN_INITIALIZED = 0x8;
export const CKF_PROTECTED_AUTHENTICATION_PATH = 0x100;
export const CKF_TOKEN_INITIALIZED = 0x400;
export const CKF_USER_PIN_COUNT_LOW = 0x10000;
export const CKF_USER_PIN_FINAL_TRY = 0x20000;
export const CKF_USER_PIN_LOCKED = 0x40000;
export const CKF_USER_PIN_TO_BE_CHANGED = 0x80000;

export const CKU_USER = 1;

// Object classes.
export const CKO_CERTIFICATE = 1;
export const CKO_PUBLIC_KEY = 2;
export const CKO_PRIVATE_KEY = 3;

// Attributes.
export const CKA_CLASS = 0x0;
export const CKA_TOKEN = 0x1;
export const CKA_PRIVATE = 0x2;
export const CKA_LABEL = 0x3;
export const CKA_VALUE = 0x11;
export const CKA_CERTIFICATE_TYPE = 0x80;
export const CKA_KEY_TYPE = 0x100;
export const CKA_ID = 0x102;
export const CKA_SIGN = 0x108;
export const CKA_MODULUS = 0x120;
export const CKA_EC_PARAMS = 0x180;

export const CKC_X_509 = 0;

// Key types.
export const CKK_RSA = 0x0;
export const CKK_EC = 0x3;

// Mechanisms.
export const CKM_RSA_PKCS = 0x1;
export const CKM_SHA256_RSA_PKCS = 0x40;
export const CKM_ECDSA = 0x1041;

/** CK_UNAVAILABLE_INFORMATION as a CK_ULONG of the platform's width. */
export function unavailableInformation(ulongBytes: number): number | bigint {
  return ulongBytes === 8 ? 0xffffffffffffffffn : 0xffffffff;
}

/** DER of the namedCurve OIDs we recognise in CKA_EC_PARAMS. */
export const EC_PARAMS_P256 = Buffer.from('06082a8648ce3d030107', 'hex');
export const EC_PARAMS_SM2 = Buffer.from('06082a811ccf5501822d', 'hex');
