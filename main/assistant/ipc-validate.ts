/**
 * Payload validators for every IPC channel: what crosses the boundary is checked here, before
 * any handler code sees it. Errors never echo the payload (it may hold a PIN).
 */
import { AssistantError } from '../errors.ts';
import type { Bounds, IpcChannel, IpcRequest, ServiceFor } from '../../common/ipc-contract.ts';

type Validator<T> = (v: unknown, field: string) => T;

function bad(field: string, why: string, whyEn: string): never {
  throw new AssistantError('IPC_BAD_PAYLOAD', `请求参数无效：${field}${why}`, { en: `Invalid request: ${field} ${whyEn}`, details: { field } });
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

const str = (max: number, opts: { min?: number; pattern?: RegExp; allowControl?: boolean } = {}): Validator<string> => (v, field) => {
  if (typeof v !== 'string') bad(field, '必须是字符串', 'must be a string');
  if (v.length < (opts.min ?? 0) || v.length > max) bad(field, '长度不符', 'has a bad length');
  if (!opts.allowControl && CONTROL.test(v)) bad(field, '含有控制字符', 'contains control characters');
  if (opts.pattern && !opts.pattern.test(v)) bad(field, '格式不符', 'has a bad format');
  return v;
};

const int = (min: number, max: number): Validator<number> => (v, field) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(field, '必须是范围内的整数', 'must be an integer in range');
  return v;
};

const num = (min: number, max: number): Validator<number> => (v, field) => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) bad(field, '必须是范围内的数字', 'must be a number in range');
  return v;
};

const oneOf = <T extends string>(...values: T[]): Validator<T> => (v, field) => {
  if (typeof v !== 'string' || !(values as string[]).includes(v)) bad(field, '取值无效', 'has an unknown value');
  return v as T;
};

type Shape = Record<string, { v: Validator<unknown>; optional?: boolean }>;
type FromShape<S extends Shape> = { [K in keyof S as S[K]['optional'] extends true ? never : K]: ReturnType<S[K]['v']> } & {
  [K in keyof S as S[K]['optional'] extends true ? K : never]?: ReturnType<S[K]['v']>;
};

const obj = <S extends Shape>(shape: S): Validator<FromShape<S>> => (v, field) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.getPrototypeOf(v) !== Object.prototype) bad(field, '必须是对象', 'must be an object');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!Object.hasOwn(shape, k)) bad(`${field}.${k}`, '不是允许的字段', 'is not an allowed field');
  const out: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(shape)) {
    if (o[k] === undefined) {
      if (!spec.optional) bad(`${field}.${k}`, '缺失', 'is missing');
      continue;
    }
    out[k] = spec.v(o[k], `${field}.${k}`);
  }
  return out as FromShape<S>;
};

const none: Validator<void> = (v, field) => {
  if (v !== undefined && v !== null) bad(field, '应为空', 'must be empty');
};

const req = <T>(v: Validator<T>) => ({ v });
const opt = <T>(v: Validator<T>) => ({ v, optional: true as const });

const bounds: Validator<Bounds> = obj({ x: req(num(0, 20000)), y: req(num(0, 20000)), width: req(num(0, 20000)), height: req(num(0, 20000)) });
const id = str(128, { min: 1, pattern: /^[A-Za-z0-9._:/@-]+$/ });
/** Base64 of >= 32 random bytes (DESIGN: login token); 1 KiB bounds it. */
const challenge = str(1024, { min: 43, pattern: /^[A-Za-z0-9+/_-]+={0,2}$/ });
/**
 * PINs and file passwords: the device or file judges them; we only bound size. Empty only where
 * the page's PIN may be used (the handler checks that against the open consent).
 */
const submittedPin = str(128);
const serviceFor = oneOf<ServiceFor>('person', 'legal');
const page = int(1, 10000);
const pageSize = int(1, 100);
const shortText = str(200);

type Validators = { [C in IpcChannel]: Validator<IpcRequest<C>> };

export const day = str(10, { min: 10, pattern: /^\d{4}-\d{2}-\d{2}$/ });
const signatureFilter = obj({
  certificate: opt(str(64, { min: 1, pattern: /^[0-9a-f]+$/ })), origin: opt(str(2048, { min: 1 })), since: opt(day), until: opt(day),
});

const requestValidators: Validators = {
  'app:version': none,
  'app:diagnostics': none,
  'bridge:status': none,
  'app:openExternal': obj({ url: req(str(4096, { min: 1 })) }),
  'certs:list': none,
  'certs:pickPfx': none,
  'certs:openPfx': obj({ fileId: req(id), password: req(str(128)) }),
  'certs:closePfx': obj({ fileId: req(id) }),
  'certs:remove': obj({ certificateId: req(str(512, { min: 1 })) }),
  'consent:current': none,
  'consent:submit': obj({ requestId: req(id), certificateId: req(str(512, { min: 1 })), pin: req(submittedPin) }),
  'consent:cancel': obj({ requestId: req(id) }),
  'portal:open': obj({ url: req(str(4096, { min: 1 })), bounds: req(bounds) }),
  'portal:setBounds': obj({ bounds: req(bounds) }),
  'portal:close': none,
  'guide:sites': none,
  'guide:search': obj({
    query: req(str(200)), site: opt(id), for: opt(serviceFor), theme: opt(shortText), department: opt(shortText), page: opt(page), pageSize: opt(pageSize),
  }),
  'guide:browse': obj({ site: req(id), for: req(serviceFor), theme: opt(shortText), department: opt(shortText), page: opt(page), pageSize: opt(pageSize) }),
  'guide:item': obj({ id: req(id) }),
  'guide:hot': obj({ site: opt(id) }),
  'guide:ask': obj({ question: req(str(500, { min: 1 })) }),
  'guide:manual': none,
  'guide:manualSection': obj({ id: req(str(32, { min: 1, pattern: /^\d+(\.\d+)*$/ })) }),
  'signatures:list': signatureFilter,
  'signatures:export': signatureFilter,
  'reminders:active': none,
  'reminders:dismiss': obj({ fingerprint: req(str(128, { min: 16, pattern: /^[0-9A-Fa-f:]+$/ })), threshold: req(int(0, 30)) }),
  'portal:authenticate': obj({ challenge: req(challenge), expectedUscc: opt(str(64, { min: 1 })) }),
};

export function validateRequest<C extends IpcChannel>(channel: C, payload: unknown): IpcRequest<C> {
  const v = requestValidators[channel] as Validator<IpcRequest<C>> | undefined;
  if (!v) throw new AssistantError('IPC_UNKNOWN_CHANNEL', '未知的请求通道', { en: 'Unknown IPC channel' });
  return v(payload, 'payload');
}
