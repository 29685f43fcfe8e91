import { AssistantError } from '../../errors.ts';
import type { KeyStoreErrorCode } from '../errors.ts';

/**
 * Win32 / CryptoAPI / CNG / smart-card error numbers (HRESULT or GetLastError) → one stable code
 * and a message for people. The number itself goes into details as 0x…, never into the message.
 */
interface WinErrorText { code: KeyStoreErrorCode; zh: string; en: string }

const KEY_ERROR: WinErrorText = { code: 'WINDOWS_KEY_UNAVAILABLE', zh: '无法使用该证书的私钥，请确认 USB Key 已插入、驱动已安装', en: 'the private key of this certificate cannot be used; is the key inserted and its driver installed?' };

export const WIN_ERRORS: Readonly<Record<number, WinErrorText>> = {
  0x00000002: { code: 'WINDOWS_NOT_FOUND', zh: '找不到指定的项', en: 'not found' },
  0x00000005: { code: 'WINDOWS_ACCESS_DENIED', zh: '没有访问权限', en: 'access denied' },
  0x00000057: { code: 'WINDOWS_INVALID_PARAMETER', zh: 'Windows 拒绝了请求参数', en: 'invalid parameter' },
  0x000004c7: { code: 'USER_CANCELLED', zh: '已取消', en: 'cancelled by the user' },
  0x80070005: { code: 'WINDOWS_ACCESS_DENIED', zh: '没有访问权限', en: 'access denied' },
  0x800704c7: { code: 'USER_CANCELLED', zh: '已取消', en: 'cancelled by the user' },
  0x80090003: { code: 'WINDOWS_BAD_KEY', zh: '证书的私钥无效', en: 'bad key' },
  0x80090005: { code: 'WINDOWS_BAD_DATA', zh: '签名数据被密钥服务拒绝', en: 'bad data' },
  0x80090008: { code: 'WINDOWS_ALGORITHM_UNSUPPORTED', zh: '证书的密钥服务（CSP）不支持 SHA-256 签名', en: 'the key provider does not support SHA-256' },
  0x8009000a: { code: 'WINDOWS_BAD_TYPE', zh: '该证书的密钥服务不支持此参数', en: 'parameter type not supported by the key provider' },
  0x80090009: { code: 'WINDOWS_BAD_FLAGS', zh: 'Windows 拒绝了请求参数', en: 'bad flags' },
  0x8009000d: { code: 'WINDOWS_KEY_NOT_FOUND', zh: '找不到该证书对应的私钥', en: 'no private key for this certificate' },
  0x80090010: { code: 'WINDOWS_ACCESS_DENIED', zh: '没有使用该私钥的权限', en: 'access to the key denied' },
  0x80090016: { code: 'WINDOWS_KEY_NOT_FOUND', zh: '找不到该证书对应的私钥（密钥容器不存在）', en: 'key container not found' },
  0x80090017: { code: 'WINDOWS_PROVIDER_MISSING', zh: '证书所需的密钥服务（CSP）未安装，请安装发证机构的驱动', en: 'the key provider is not installed' },
  0x80090019: { code: 'WINDOWS_PROVIDER_MISSING', zh: '证书所需的密钥服务（CSP）未安装，请安装发证机构的驱动', en: 'the key provider is not installed' },
  0x8009001e: { code: 'WINDOWS_PROVIDER_MISSING', zh: '证书所需的密钥服务（CSP）未安装，请安装发证机构的驱动', en: 'the key provider DLL is missing' },
  0x80090020: { code: 'WINDOWS_KEY_FAILED', zh: '密钥服务内部错误，请重新插入 USB Key 后再试', en: 'the key provider failed' },
  0x80090022: { code: 'PIN_REQUIRED', zh: '需要输入 PIN 码才能签名', en: 'a PIN is needed' },
  0x80090027: { code: 'WINDOWS_INVALID_PARAMETER', zh: 'Windows 拒绝了请求参数', en: 'invalid parameter' },
  0x80090028: { code: 'WINDOWS_BUFFER_TOO_SMALL', zh: '密钥服务返回的数据过长', en: 'buffer too small' },
  0x80090029: { code: 'WINDOWS_NOT_SUPPORTED', zh: '该证书的密钥服务不支持此操作', en: 'not supported by the key provider' },
  0x8009002a: { code: 'WINDOWS_NO_MEMORY', zh: '内存不足', en: 'out of memory' },
  0x80090014: { code: 'WINDOWS_PROVIDER_MISSING', zh: '证书所需的密钥服务（CSP）类型不对', en: 'bad provider type' },
  0x8009000b: { code: 'WINDOWS_BAD_KEY_STATE', zh: '私钥当前不可用', en: 'bad key state' },
  0x80092004: { code: 'WINDOWS_NOT_FOUND', zh: '在证书存储中找不到该项', en: 'not found in the store' },
  0x80092042: { code: 'WINDOWS_KEY_NOT_FOUND', zh: '找不到该证书对应的私钥', en: 'no key for the certificate' },
  0x8009200b: { code: 'WINDOWS_KEY_NOT_FOUND', zh: '找不到该证书对应的私钥', en: 'no key property' },
  0x80100069: { code: 'DEVICE_REMOVED', zh: 'USB Key 已被拔出或无法访问，请重新插入后再试', en: 'the key was removed' },
  0x8010000c: { code: 'DEVICE_REMOVED', zh: '没有插入 USB Key，请插入后再试', en: 'no smart card present' },
  0x8010000a: { code: 'DEVICE_TIMEOUT', zh: 'USB Key 长时间无响应，已中止操作；请拔出后重新插入再试', en: 'the key did not answer in time' },
  0x8010006b: { code: 'PIN_INCORRECT', zh: 'PIN 码错误', en: 'wrong PIN' },
  0x8010006c: { code: 'PIN_LOCKED', zh: 'PIN 码已锁定，请联系发证机构解锁', en: 'the PIN is locked' },
  0x8010006e: { code: 'USER_CANCELLED', zh: '已取消输入 PIN 码', en: 'PIN entry cancelled' },
  0x8010006f: { code: 'PIN_REQUIRED', zh: '需要先输入 PIN 码', en: 'the card is not authenticated' },
};

export function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

/** One error value for a failed Win32 call; unknown numbers keep the key-unavailable message. */
export function winError(status: number, fn: string, extra?: Record<string, unknown>): AssistantError {
  const t = WIN_ERRORS[status >>> 0] ?? KEY_ERROR;
  return new AssistantError(t.code, t.zh, { en: t.en, details: { function: fn, status: hex32(status), ...(extra ?? {}) } });
}
