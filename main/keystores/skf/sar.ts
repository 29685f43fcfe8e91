import { AssistantError } from '../../errors.ts';
import type { KeyStoreErrorCode } from '../errors.ts';

/** CKR_OK / SAR_OK are in the table too, never raised. */
type TableCode = KeyStoreErrorCode | 'OK';
type TableText = { code: TableCode; zh: string; en: string };

/**
 * Every SAR_* return code of GM/T 0016-2012 (智能密码钥匙密码应用接口规范) mapped to a stable error
 * code and a zh-CN message. Codes shared by several SAR values mean "the same thing for the user"
 * (e.g. any malformed call is a program error). Codes match the PKCS#11 table where the meaning is
 * the same (PIN_INCORRECT, PIN_LOCKED, DEVICE_REMOVED…), so the UI handles both drivers alike.
 */
export interface SarEntry { name: string; code: TableCode; zh: string; en: string }

const PROGRAM: TableText = { code: 'SKF_ARGUMENTS_BAD', zh: 'USB Key 驱动（SKF）拒绝了本程序的调用参数，请联系技术支持', en: 'the SKF driver rejected the call arguments' };
const FILE: TableText = { code: 'SKF_FILE_ERROR', zh: 'USB Key 内部文件读写失败，请拔出后重新插入', en: 'file error inside the key; re-insert it' };
const KEY: TableText = { code: 'KEY_NOT_USABLE', zh: 'USB Key 中的密钥不能用于签名', en: 'the key cannot be used to sign' };
const CRYPTO: TableText = { code: 'SKF_CRYPTO_ERROR', zh: 'USB Key 密码运算失败，请重试', en: 'a cryptographic operation in the key failed' };

const T: Array<[number, string, TableText]> = [
  [0x00000000, 'SAR_OK', { code: 'OK', zh: '成功', en: 'OK' }],
  [0x0a000001, 'SAR_FAIL', { code: 'SKF_FAILED', zh: 'USB Key 操作失败，请重试', en: 'the key operation failed' }],
  [0x0a000002, 'SAR_UNKNOWNERR', { code: 'SKF_UNKNOWN_ERROR', zh: 'USB Key 驱动发生异常错误，请拔出后重新插入', en: 'the driver hit an unexpected error; re-insert the key' }],
  [0x0a000003, 'SAR_NOTSUPPORTYETERR', { code: 'SKF_FUNCTION_NOT_SUPPORTED', zh: '该 USB Key 驱动不支持此操作', en: 'the driver does not support this operation' }],
  [0x0a000004, 'SAR_FILEERR', FILE],
  [0x0a000005, 'SAR_INVALIDHANDLEERR', { code: 'SKF_HANDLE_INVALID', zh: 'USB Key 连接已失效，请重新插入后再试', en: 'the key handle is no longer valid; re-insert and retry' }],
  [0x0a000006, 'SAR_INVALIDPARAMERR', PROGRAM],
  [0x0a000007, 'SAR_READFILEERR', FILE],
  [0x0a000008, 'SAR_WRITEFILEERR', FILE],
  [0x0a000009, 'SAR_NAMELENERR', PROGRAM],
  [0x0a00000a, 'SAR_KEYUSAGEERR', KEY],
  [0x0a00000b, 'SAR_MODULUSLENERR', KEY],
  [0x0a00000c, 'SAR_NOTINITIALIZEERR', { code: 'SKF_NOT_INITIALIZED', zh: 'USB Key 尚未初始化，请联系发证机构', en: 'the key is not initialised' }],
  [0x0a00000d, 'SAR_OBJERR', { code: 'SKF_OBJECT_ERROR', zh: 'USB Key 中的对象错误', en: 'object error in the key' }],
  [0x0a00000e, 'SAR_MEMORYERR', { code: 'SKF_MEMORY_ERROR', zh: 'USB Key 或本机内存不足', en: 'out of memory (key or host)' }],
  [0x0a00000f, 'SAR_TIMEOUTERR', { code: 'DEVICE_TIMEOUT', zh: 'USB Key 响应超时，请拔出后重新插入', en: 'the key timed out; re-insert it' }],
  [0x0a000010, 'SAR_INDATALENERR', { code: 'DATA_LEN_RANGE', zh: '待签名的数据长度不被 USB Key 接受', en: 'input data length out of range' }],
  [0x0a000011, 'SAR_INDATAERR', { code: 'DATA_INVALID', zh: 'USB Key 拒绝了输入的数据', en: 'the key rejected the input data' }],
  [0x0a000012, 'SAR_GENRANDERR', { code: 'SKF_RANDOM_ERROR', zh: 'USB Key 生成随机数失败', en: 'random number generation failed' }],
  [0x0a000013, 'SAR_HASHOBJERR', CRYPTO],
  [0x0a000014, 'SAR_HASHERR', CRYPTO],
  [0x0a000015, 'SAR_GENRSAKEYERR', CRYPTO],
  [0x0a000016, 'SAR_RSAMODULUSLENERR', KEY],
  [0x0a000017, 'SAR_CSPIMPRTPUBKEYERR', CRYPTO],
  [0x0a000018, 'SAR_RSAENCERR', CRYPTO],
  [0x0a000019, 'SAR_RSADECERR', CRYPTO],
  [0x0a00001a, 'SAR_HASHNOTEQUALERR', CRYPTO],
  [0x0a00001b, 'SAR_KEYNOTFOUNTERR', { code: 'KEY_NOT_FOUND', zh: 'USB Key 中找不到与证书对应的私钥', en: 'no key in the container' }],
  [0x0a00001c, 'SAR_CERTNOTFOUNTERR', { code: 'CERTIFICATE_NOT_FOUND', zh: 'USB Key 容器中没有证书', en: 'no certificate in the container' }],
  [0x0a00001d, 'SAR_NOTEXPORTERR', { code: 'SKF_NOT_EXPORTABLE', zh: 'USB Key 中的对象不可导出', en: 'object not exportable' }],
  [0x0a00001e, 'SAR_DECRYPTPADERR', CRYPTO],
  [0x0a00001f, 'SAR_MACLENERR', CRYPTO],
  [0x0a000020, 'SAR_BUFFER_TOO_SMALL', { code: 'SKF_BUFFER_TOO_SMALL', zh: 'USB Key 驱动返回的数据超出预期长度', en: 'buffer too small' }],
  [0x0a000021, 'SAR_KEYINFOTYPEERR', KEY],
  [0x0a000022, 'SAR_NOT_EVENTERR', { code: 'NO_EVENT', zh: '没有新的插拔事件', en: 'no device event' }],
  [0x0a000023, 'SAR_DEVICE_REMOVED', { code: 'DEVICE_REMOVED', zh: 'USB Key 已被拔出或无法访问，请重新插入后再试', en: 'the key was removed; insert it and retry' }],
  [0x0a000024, 'SAR_PIN_INCORRECT', { code: 'PIN_INCORRECT', zh: 'PIN 码错误', en: 'wrong PIN' }],
  [0x0a000025, 'SAR_PIN_LOCKED', { code: 'PIN_LOCKED', zh: 'PIN 码已锁定，请联系发证机构解锁', en: 'the PIN is locked; ask the CA to unlock it' }],
  [0x0a000026, 'SAR_PIN_INVALID', { code: 'PIN_INVALID', zh: 'PIN 码含有不允许的字符', en: 'the PIN is invalid' }],
  [0x0a000027, 'SAR_PIN_LEN_RANGE', { code: 'PIN_LEN_RANGE', zh: 'PIN 码长度不符合要求', en: 'the PIN length is out of range' }],
  [0x0a000028, 'SAR_USER_ALREADY_LOGGED_IN', { code: 'USER_ALREADY_LOGGED_IN', zh: 'USB Key 已处于登录状态', en: 'user already logged in' }],
  [0x0a000029, 'SAR_USER_PIN_NOT_INITIALIZED', { code: 'USER_PIN_NOT_INITIALIZED', zh: 'USB Key 尚未设置用户 PIN，请联系发证机构', en: 'the user PIN is not initialised' }],
  [0x0a00002a, 'SAR_USER_TYPE_INVALID', PROGRAM],
  [0x0a00002b, 'SAR_APPLICATION_NAME_INVALID', { code: 'SKF_APPLICATION_NOT_FOUND', zh: 'USB Key 中找不到所需的应用，请重新选择证书', en: 'application name invalid' }],
  [0x0a00002c, 'SAR_APPLICATION_EXISTS', { code: 'SKF_APPLICATION_EXISTS', zh: 'USB Key 中已存在同名应用', en: 'application exists' }],
  [0x0a00002d, 'SAR_USER_NOT_LOGGED_IN', { code: 'USER_NOT_LOGGED_IN', zh: 'USB Key 未验证 PIN，不能签名', en: 'user not logged in' }],
  [0x0a00002e, 'SAR_APPLICATION_NOT_EXISTS', { code: 'SKF_APPLICATION_NOT_FOUND', zh: 'USB Key 中找不到所需的应用，请重新选择证书', en: 'application does not exist' }],
  [0x0a00002f, 'SAR_FILE_ALREADY_EXIST', FILE],
  [0x0a000030, 'SAR_NO_ROOM', { code: 'DEVICE_MEMORY', zh: 'USB Key 存储空间不足', en: 'no room on the key' }],
  [0x0a000031, 'SAR_FILE_NOT_EXIST', FILE],
  // Not in the 2012 table, but in most vendors' headers.
  [0x0a000032, 'SAR_REACH_MAX_CONTAINER_COUNT', { code: 'SKF_CONTAINER_LIMIT', zh: 'USB Key 容器数量已达上限', en: 'maximum container count reached' }],
];

const BY_VALUE = new Map<number, SarEntry>(T.map(([v, name, e]) => [v, { name, ...e }]));

export const SAR_OK = 0;
export const SAR_BUFFER_TOO_SMALL = 0x0a000020;
export const SAR_CERTNOTFOUNTERR = 0x0a00001c;
export const SAR_KEYNOTFOUNTERR = 0x0a00001b;
export const SAR_PIN_INCORRECT = 0x0a000024;
export const SAR_PIN_LOCKED = 0x0a000025;
export const SAR_USER_ALREADY_LOGGED_IN = 0x0a000028;

/** The table entry for a SAR value; unknown (vendor) values get a generic entry with the hex. */
export function describeSar(rv: number): SarEntry {
  const hit = BY_VALUE.get(rv >>> 0);
  if (hit) return hit;
  const hex = '0x' + (rv >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return { name: hex, code: 'SKF_VENDOR_ERROR', zh: `USB Key 驱动（SKF）返回未知错误 ${hex}`, en: `unknown SKF error ${hex}` };
}

/** All table entries (for docs and tests). */
export function sarTable(): Array<SarEntry & { value: number }> {
  return T.map(([value, name, e]) => ({ value, name, ...e }));
}

/** An AssistantError for a failed SKF call; details never carry PINs or data. */
export function skfError(rv: number, fn: string, extra?: Record<string, unknown>): AssistantError {
  const e = describeSar(rv);
  return new AssistantError(e.code, e.zh, { en: e.en, details: { function: fn, sar: e.name, ...extra } });
}
