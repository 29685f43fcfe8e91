import { AssistantError } from '../../errors.ts';
import type { KeyStoreErrorCode } from '../errors.ts';

/** CKR_OK / SAR_OK are in the table too, never raised. */
type TableCode = KeyStoreErrorCode | 'OK';
type TableText = { code: TableCode; zh: string; en: string };

/**
 * Every standard CK_RV (PKCS#11 v2.40 / 3.0) mapped to a stable error code and a zh-CN message,
 * the way OpenSC's pkcs11-tool names them. Codes shared by several CKR values mean "the same
 * thing for the user" (e.g. every kind of invalid argument is a program error).
 */
export interface CkrEntry { name: string; code: TableCode; zh: string; en: string }

const PROGRAM: TableText = { code: 'PKCS11_ARGUMENTS_BAD', zh: 'USB Key 驱动拒绝了本程序的调用参数，请联系技术支持', en: 'the driver rejected the call arguments' };
const UNSUPPORTED: TableText = { code: 'PKCS11_FUNCTION_NOT_SUPPORTED', zh: '该 USB Key 驱动不支持此操作', en: 'the driver does not support this operation' };
const MECH: TableText = { code: 'MECHANISM_NOT_SUPPORTED', zh: '该 USB Key 不支持所需的签名算法', en: 'the key does not support the signature mechanism' };
const KEY: TableText = { code: 'KEY_NOT_USABLE', zh: 'USB Key 中的密钥不能用于签名', en: 'the key on the token cannot be used to sign' };
const OBJECT: TableText = { code: 'OBJECT_HANDLE_INVALID', zh: 'USB Key 中的对象已失效，请重新插入后再试', en: 'the token object is no longer valid; re-insert and retry' };

const T: Array<[number, string, TableText]> = [
  [0x0, 'CKR_OK', { code: 'OK', zh: '成功', en: 'OK' }],
  [0x1, 'CKR_CANCEL', { code: 'USER_CANCELLED', zh: '操作已取消', en: 'operation cancelled' }],
  [0x2, 'CKR_HOST_MEMORY', { code: 'HOST_MEMORY', zh: '本机内存不足，USB Key 驱动无法完成操作', en: 'the host ran out of memory' }],
  [0x3, 'CKR_SLOT_ID_INVALID', { code: 'SLOT_ID_INVALID', zh: '读卡器（插槽）不存在，USB Key 可能已拔出', en: 'the slot does not exist; the key may have been removed' }],
  [0x5, 'CKR_GENERAL_ERROR', { code: 'DEVICE_GENERAL_ERROR', zh: 'USB Key 驱动发生不可恢复的错误，请拔出后重新插入', en: 'the driver hit an unrecoverable error; re-insert the key' }],
  [0x6, 'CKR_FUNCTION_FAILED', { code: 'FUNCTION_FAILED', zh: 'USB Key 操作失败，请重试', en: 'the token operation failed' }],
  [0x7, 'CKR_ARGUMENTS_BAD', PROGRAM],
  [0x8, 'CKR_NO_EVENT', { code: 'NO_EVENT', zh: '没有新的插拔事件', en: 'no slot event' }],
  [0x9, 'CKR_NEED_TO_CREATE_THREADS', { code: 'PKCS11_NEED_THREADS', zh: 'USB Key 驱动要求自行创建线程，本程序不支持', en: 'the driver needs to create threads' }],
  [0xa, 'CKR_CANT_LOCK', { code: 'PKCS11_CANT_LOCK', zh: 'USB Key 驱动不支持所需的多线程加锁方式', en: 'the driver cannot use the requested locking' }],
  [0x10, 'CKR_ATTRIBUTE_READ_ONLY', { code: 'ATTRIBUTE_READ_ONLY', zh: 'USB Key 中的属性为只读', en: 'attribute is read-only' }],
  [0x11, 'CKR_ATTRIBUTE_SENSITIVE', { code: 'ATTRIBUTE_SENSITIVE', zh: 'USB Key 拒绝读取受保护的属性', en: 'attribute is sensitive' }],
  [0x12, 'CKR_ATTRIBUTE_TYPE_INVALID', { code: 'ATTRIBUTE_TYPE_INVALID', zh: 'USB Key 中的对象没有所需的属性', en: 'attribute type invalid' }],
  [0x13, 'CKR_ATTRIBUTE_VALUE_INVALID', PROGRAM],
  [0x1b, 'CKR_ACTION_PROHIBITED', { code: 'ACTION_PROHIBITED', zh: 'USB Key 禁止此操作', en: 'action prohibited' }],
  [0x20, 'CKR_DATA_INVALID', { code: 'DATA_INVALID', zh: 'USB Key 拒绝了待签名的数据', en: 'the token rejected the data' }],
  [0x21, 'CKR_DATA_LEN_RANGE', { code: 'DATA_LEN_RANGE', zh: '待签名的数据长度不被 USB Key 接受', en: 'data length out of range' }],
  [0x30, 'CKR_DEVICE_ERROR', { code: 'DEVICE_ERROR', zh: 'USB Key 设备出错，请拔出后重新插入', en: 'device error; re-insert the key' }],
  [0x31, 'CKR_DEVICE_MEMORY', { code: 'DEVICE_MEMORY', zh: 'USB Key 存储空间不足', en: 'the token is out of memory' }],
  [0x32, 'CKR_DEVICE_REMOVED', { code: 'DEVICE_REMOVED', zh: 'USB Key 已被拔出，请重新插入后再试', en: 'the key was removed; insert it and retry' }],
  [0x40, 'CKR_ENCRYPTED_DATA_INVALID', { code: 'ENCRYPTED_DATA_INVALID', zh: '密文无效', en: 'encrypted data invalid' }],
  [0x41, 'CKR_ENCRYPTED_DATA_LEN_RANGE', { code: 'ENCRYPTED_DATA_LEN_RANGE', zh: '密文长度无效', en: 'encrypted data length out of range' }],
  [0x50, 'CKR_FUNCTION_CANCELED', { code: 'USER_CANCELLED', zh: '操作已取消', en: 'function cancelled' }],
  [0x51, 'CKR_FUNCTION_NOT_PARALLEL', UNSUPPORTED],
  [0x54, 'CKR_FUNCTION_NOT_SUPPORTED', UNSUPPORTED],
  [0x60, 'CKR_KEY_HANDLE_INVALID', OBJECT],
  [0x62, 'CKR_KEY_SIZE_RANGE', { code: 'KEY_SIZE_RANGE', zh: 'USB Key 不支持该密钥长度', en: 'key size out of range' }],
  [0x63, 'CKR_KEY_TYPE_INCONSISTENT', KEY],
  [0x64, 'CKR_KEY_NOT_NEEDED', PROGRAM],
  [0x65, 'CKR_KEY_CHANGED', KEY],
  [0x66, 'CKR_KEY_NEEDED', PROGRAM],
  [0x67, 'CKR_KEY_INDIGESTIBLE', KEY],
  [0x68, 'CKR_KEY_FUNCTION_NOT_PERMITTED', KEY],
  [0x69, 'CKR_KEY_NOT_WRAPPABLE', KEY],
  [0x6a, 'CKR_KEY_UNEXTRACTABLE', KEY],
  [0x70, 'CKR_MECHANISM_INVALID', MECH],
  [0x71, 'CKR_MECHANISM_PARAM_INVALID', MECH],
  [0x82, 'CKR_OBJECT_HANDLE_INVALID', OBJECT],
  [0x90, 'CKR_OPERATION_ACTIVE', { code: 'OPERATION_ACTIVE', zh: 'USB Key 正忙于另一项操作，请稍后再试', en: 'another operation is active' }],
  [0x91, 'CKR_OPERATION_NOT_INITIALIZED', PROGRAM],
  [0xa0, 'CKR_PIN_INCORRECT', { code: 'PIN_INCORRECT', zh: 'PIN 码错误', en: 'wrong PIN' }],
  [0xa1, 'CKR_PIN_INVALID', { code: 'PIN_INVALID', zh: 'PIN 码含有不允许的字符', en: 'the PIN contains invalid characters' }],
  [0xa2, 'CKR_PIN_LEN_RANGE', { code: 'PIN_LEN_RANGE', zh: 'PIN 码长度不符合要求', en: 'the PIN length is out of range' }],
  [0xa3, 'CKR_PIN_EXPIRED', { code: 'PIN_EXPIRED', zh: 'PIN 码已过期，请先用证书厂商的管理工具修改 PIN', en: 'the PIN has expired; change it with the vendor tool first' }],
  [0xa4, 'CKR_PIN_LOCKED', { code: 'PIN_LOCKED', zh: 'PIN 码已锁定，请联系发证机构解锁', en: 'the PIN is locked; ask the CA to unlock it' }],
  [0xb0, 'CKR_SESSION_CLOSED', { code: 'SESSION_CLOSED', zh: '与 USB Key 的会话已关闭，请重试', en: 'the session was closed' }],
  [0xb1, 'CKR_SESSION_COUNT', { code: 'SESSION_COUNT', zh: 'USB Key 会话数已满，请关闭其他使用该 Key 的程序', en: 'too many sessions open' }],
  [0xb3, 'CKR_SESSION_HANDLE_INVALID', { code: 'SESSION_HANDLE_INVALID', zh: '与 USB Key 的会话已失效（可能已被拔出），请重试', en: 'the session is no longer valid (key removed?)' }],
  [0xb4, 'CKR_SESSION_PARALLEL_NOT_SUPPORTED', UNSUPPORTED],
  [0xb5, 'CKR_SESSION_READ_ONLY', { code: 'SESSION_READ_ONLY', zh: '会话为只读', en: 'session is read-only' }],
  [0xb6, 'CKR_SESSION_EXISTS', { code: 'SESSION_EXISTS', zh: 'USB Key 仍有打开的会话', en: 'a session exists' }],
  [0xb7, 'CKR_SESSION_READ_ONLY_EXISTS', { code: 'SESSION_READ_ONLY_EXISTS', zh: 'USB Key 仍有只读会话', en: 'a read-only session exists' }],
  [0xb8, 'CKR_SESSION_READ_WRITE_SO_EXISTS', { code: 'SESSION_READ_WRITE_SO_EXISTS', zh: 'USB Key 管理员会话已打开', en: 'an SO session exists' }],
  [0xc0, 'CKR_SIGNATURE_INVALID', { code: 'SIGNATURE_INVALID', zh: '签名无效', en: 'signature invalid' }],
  [0xc1, 'CKR_SIGNATURE_LEN_RANGE', { code: 'SIGNATURE_LEN_RANGE', zh: '签名长度无效', en: 'signature length out of range' }],
  [0xd0, 'CKR_TEMPLATE_INCOMPLETE', PROGRAM],
  [0xd1, 'CKR_TEMPLATE_INCONSISTENT', PROGRAM],
  [0xe0, 'CKR_TOKEN_NOT_PRESENT', { code: 'TOKEN_NOT_PRESENT', zh: '未检测到 USB Key，请插入后再试', en: 'no token present; insert the key' }],
  [0xe1, 'CKR_TOKEN_NOT_RECOGNIZED', { code: 'TOKEN_NOT_RECOGNIZED', zh: '无法识别该 USB Key，请确认已安装对应发证机构的驱动', en: 'token not recognised; is the right driver installed?' }],
  [0xe2, 'CKR_TOKEN_WRITE_PROTECTED', { code: 'TOKEN_WRITE_PROTECTED', zh: 'USB Key 处于写保护状态', en: 'token is write-protected' }],
  [0xf0, 'CKR_UNWRAPPING_KEY_HANDLE_INVALID', PROGRAM],
  [0xf1, 'CKR_UNWRAPPING_KEY_SIZE_RANGE', PROGRAM],
  [0xf2, 'CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT', PROGRAM],
  [0x100, 'CKR_USER_ALREADY_LOGGED_IN', { code: 'USER_ALREADY_LOGGED_IN', zh: '已登录 USB Key', en: 'user already logged in' }],
  [0x101, 'CKR_USER_NOT_LOGGED_IN', { code: 'USER_NOT_LOGGED_IN', zh: '尚未验证 PIN 码，请输入 PIN 后重试', en: 'not logged in; enter the PIN' }],
  [0x102, 'CKR_USER_PIN_NOT_INITIALIZED', { code: 'PIN_NOT_INITIALIZED', zh: 'USB Key 尚未设置用户 PIN，请联系发证机构', en: 'the user PIN is not initialised' }],
  [0x103, 'CKR_USER_TYPE_INVALID', PROGRAM],
  [0x104, 'CKR_USER_ANOTHER_ALREADY_LOGGED_IN', { code: 'USER_ANOTHER_ALREADY_LOGGED_IN', zh: '另一身份已登录该 USB Key，请关闭其他使用该 Key 的程序', en: 'another user is logged in' }],
  [0x105, 'CKR_USER_TOO_MANY_TYPES', { code: 'USER_TOO_MANY_TYPES', zh: '登录该 USB Key 的程序过多', en: 'too many user types logged in' }],
  [0x110, 'CKR_WRAPPED_KEY_INVALID', PROGRAM],
  [0x112, 'CKR_WRAPPED_KEY_LEN_RANGE', PROGRAM],
  [0x113, 'CKR_WRAPPING_KEY_HANDLE_INVALID', PROGRAM],
  [0x114, 'CKR_WRAPPING_KEY_SIZE_RANGE', PROGRAM],
  [0x115, 'CKR_WRAPPING_KEY_TYPE_INCONSISTENT', PROGRAM],
  [0x120, 'CKR_RANDOM_SEED_NOT_SUPPORTED', UNSUPPORTED],
  [0x121, 'CKR_RANDOM_NO_RNG', UNSUPPORTED],
  [0x130, 'CKR_DOMAIN_PARAMS_INVALID', { code: 'DOMAIN_PARAMS_INVALID', zh: 'USB Key 中密钥的曲线参数无效或不受支持', en: 'domain parameters invalid' }],
  [0x140, 'CKR_CURVE_NOT_SUPPORTED', { code: 'CURVE_NOT_SUPPORTED', zh: 'USB Key 不支持该椭圆曲线', en: 'curve not supported' }],
  [0x150, 'CKR_BUFFER_TOO_SMALL', PROGRAM],
  [0x160, 'CKR_SAVED_STATE_INVALID', PROGRAM],
  [0x170, 'CKR_INFORMATION_SENSITIVE', { code: 'INFORMATION_SENSITIVE', zh: 'USB Key 拒绝提供受保护的信息', en: 'information is sensitive' }],
  [0x180, 'CKR_STATE_UNSAVEABLE', UNSUPPORTED],
  [0x190, 'CKR_CRYPTOKI_NOT_INITIALIZED', { code: 'CRYPTOKI_NOT_INITIALIZED', zh: 'USB Key 驱动尚未初始化，请重试', en: 'the driver is not initialised' }],
  [0x191, 'CKR_CRYPTOKI_ALREADY_INITIALIZED', { code: 'CRYPTOKI_ALREADY_INITIALIZED', zh: 'USB Key 驱动已初始化', en: 'the driver is already initialised' }],
  [0x1a0, 'CKR_MUTEX_BAD', PROGRAM],
  [0x1a1, 'CKR_MUTEX_NOT_LOCKED', PROGRAM],
  [0x1b0, 'CKR_NEW_PIN_MODE', { code: 'NEW_PIN_MODE', zh: 'USB Key 要求设置新 PIN', en: 'new PIN mode' }],
  [0x1b1, 'CKR_NEXT_OTP', { code: 'NEXT_OTP', zh: 'USB Key 要求下一个一次性口令', en: 'next OTP required' }],
  [0x1b5, 'CKR_EXCEEDED_MAX_ITERATIONS', { code: 'EXCEEDED_MAX_ITERATIONS', zh: 'USB Key 运算超出最大迭代次数', en: 'exceeded max iterations' }],
  [0x1b6, 'CKR_FIPS_SELF_TEST_FAILED', { code: 'DEVICE_SELF_TEST_FAILED', zh: 'USB Key 自检失败，请更换设备', en: 'device self-test failed' }],
  [0x1b7, 'CKR_LIBRARY_LOAD_FAILED', { code: 'MODULE_LOAD_FAILED', zh: 'USB Key 驱动加载依赖库失败', en: 'the driver failed to load a library' }],
  [0x1b8, 'CKR_PIN_TOO_WEAK', { code: 'PIN_TOO_WEAK', zh: 'PIN 码强度不足', en: 'the PIN is too weak' }],
  [0x1b9, 'CKR_PUBLIC_KEY_INVALID', KEY],
  [0x200, 'CKR_FUNCTION_REJECTED', { code: 'FUNCTION_REJECTED', zh: 'USB Key 拒绝了该操作（可能已在设备上取消）', en: 'the token rejected the operation' }],
  [0x201, 'CKR_TOKEN_RESOURCE_EXCEEDED', { code: 'TOKEN_RESOURCE_EXCEEDED', zh: 'USB Key 资源不足', en: 'token resources exceeded' }],
  [0x202, 'CKR_OPERATION_CANCEL_FAILED', { code: 'OPERATION_CANCEL_FAILED', zh: '无法取消 USB Key 上的操作', en: 'operation cancel failed' }],
];

const CKR_VENDOR_DEFINED = 0x80000000;
const BY_VALUE = new Map<number, CkrEntry>(T.map(([v, name, e]) => [v, { name, ...e }]));

export const CKR_OK = 0;
export const CKR_CRYPTOKI_ALREADY_INITIALIZED = 0x191;
export const CKR_USER_ALREADY_LOGGED_IN = 0x100;
export const CKR_BUFFER_TOO_SMALL = 0x150;
export const CKR_PIN_INCORRECT = 0xa0;
export const CKR_ATTRIBUTE_TYPE_INVALID = 0x12;
export const CKR_ATTRIBUTE_SENSITIVE = 0x11;

/** The table entry for a CK_RV; unknown and vendor-defined values get a generic entry. */
export function describeCkr(rv: number): CkrEntry {
  const hit = BY_VALUE.get(rv);
  if (hit) return hit;
  const hex = '0x' + rv.toString(16).padStart(8, '0');
  if (rv >= CKR_VENDOR_DEFINED) {
    return { name: `CKR_VENDOR_DEFINED+${(rv - CKR_VENDOR_DEFINED).toString(16)}`, code: 'PKCS11_VENDOR_ERROR', zh: `USB Key 驱动返回厂商自定义错误 ${hex}`, en: `vendor-defined error ${hex}` };
  }
  return { name: hex, code: 'PKCS11_UNKNOWN_ERROR', zh: `USB Key 驱动返回未知错误 ${hex}`, en: `unknown PKCS#11 error ${hex}` };
}

/** All table entries (for docs and tests). */
export function ckrTable(): Array<CkrEntry & { value: number }> {
  return T.map(([value, name, e]) => ({ value, name, ...e }));
}

/** An AssistantError for a failed PKCS#11 call; details never carry PINs or data. */
export function pkcs11Error(rv: number, fn: string, extra?: Record<string, unknown>): AssistantError {
  const e = describeCkr(rv);
  return new AssistantError(e.code, e.zh, { en: e.en, details: { function: fn, ckr: e.name, ...extra } });
}
