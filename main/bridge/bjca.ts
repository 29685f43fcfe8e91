/**
 * BJCA 证书应用环境 (XTXApp) over WebSocket, as docs/compat.md describes it: JSON text frames
 * `{call_cmd_id, xtx_func_name, param_1…|param:[…], token?}` answered by `{call_cmd_id, retVal}`;
 * semantics after GM/T 0020 (SOF). Only the login/sign/verify subset answers; everything else gets
 * the SOF error shape (false / "" / -1 and a SOF_GetLastError code), never a dropped socket.
 */
import { randomBytes } from 'node:crypto';
import { toErrorInfo } from '../errors.ts';
import { failureKind, type FailureKind } from './failure-kind.ts';
import {
  buildEnvelope, decodeBase64, envelopeFor, formatSofUserList, MAX_ENVELOPE_BYTES, publicKeyEncrypt, SGD, sofGenRandom, sofGetCertInfo, sofGetCertInfoByOid, sofGetInfoFromSignedMessage, sofHashAlgorithm,
  sofHashData, sofHashDataEx, sofGetCertEntity, sofVerifySignedData, sofVerifySignedHashData, sofVerifySignedMessage,
} from './formats/index.ts';
import { REFUSAL_MESSAGES, refusalReason } from './refused.ts';
import { b64, FrameRate, listCertificates, type SessionContext } from './session.ts';
import type { BridgeCertificate, BridgeSignRequest, SignatureFormat } from './types.ts';
import type { EnvelopeContent } from '../keystores/types.ts';

/** GM/T 0020 error codes we answer with (SOF_GetLastError). */
export const SOR = {
  OK: 0,
  UNKNOWN: 0x0b000001,
  NOT_SUPPORTED: 0x0b000002,
  ALGO_TYPE: 0x0b000007,
  OBJ: 0x0b000012,
  TIMEOUT: 0x0b000101,
  INDATA_LEN: 0x0b000200,
  INDATA: 0x0b000201,
  /** Ours, in the same range: the user said no in the assistant's window. */
  USER_DENIED: 0x0b000301,
  /** Ours: wrong PIN / locked key, as the key store reported. */
  PIN_INCORRECT: 0x0b000302,
  PIN_LOCKED: 0x0b000303,
  /** GM/T 0020 SOR_RSAENCERR / SOR_RSADECERR (also used here for SM2). */
  ENCRYPT: 0x0b000208,
  DECRYPT: 0x0b000209,
  CERT_NOT_FOUND: 0x0b000304,
  NOT_LOGGED_IN: 0x0b000305,
} as const;

export const BJCA_VERSION = '2.20';

type Ret = string | number | boolean;
type ReturnKind = 'string' | 'bool' | 'number';
interface Failure { code: number; message: string }

class SofFailure extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

const fail = (code: number, message: string): never => {
  throw new SofFailure(code, message);
};

const failureValue: Record<ReturnKind, Ret> = { string: '', bool: false, number: -1 };

interface Call { name: string; args: unknown[] }

/** Parses one frame; null with a reason when it is not a call at all. */
export function parseBjcaFrame(text: string): { id: string; call: Call } | { id: string | null; error: string } {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { id: null, error: 'not JSON' };
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return { id: null, error: 'not an object' };
  const m = msg as Record<string, unknown>;
  const rawId = m['call_cmd_id'];
  const id = typeof rawId === 'string' && rawId.length <= 128 ? rawId : typeof rawId === 'number' && Number.isFinite(rawId) ? String(rawId) : null;
  const name = typeof m['xtx_func_name'] === 'string' ? m['xtx_func_name'] : typeof m['func'] === 'string' ? m['func'] : null;
  if (id === null) return { id: null, error: 'no call_cmd_id' };
  if (name === null || name.length > 128) return { id, error: 'no xtx_func_name' };
  let args: unknown[] = [];
  if (Array.isArray(m['param'])) args = m['param'].slice(0, 16);
  else {
    for (let i = 1; i <= 16; i++) {
      const k = `param_${i}`;
      if (!Object.prototype.hasOwnProperty.call(m, k)) break;
      args.push(m[k]);
    }
  }
  return { id, call: { name, args } };
}

const str = (v: unknown, what: string): string => {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return fail(SOR.INDATA, `参数${what}不是字符串`);
};
const int = (v: unknown, what: string): number => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*(0x[0-9a-f]+|\d+)\s*$/i.test(v) ? Number(v.trim()) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) fail(SOR.INDATA, `参数${what}不是整数`);
  return n;
};

/** Maps a host error (consent denied, PIN wrong, key gone, timeout) to a SOF code. */
export function hostFailure(e: unknown): Failure {
  if (e instanceof SofFailure) return { code: e.code, message: e.message };
  const info = toErrorInfo(e, 'SIGN_FAILED');
  return { code: SOF_CODE_OF[failureKind(info.code)], message: info.message };
}

// One consent at a time: a second request while one is open is, to the page, a refusal.
const SOF_CODE_OF: Record<FailureKind, number> = {
  denied: SOR.USER_DENIED, busy: SOR.USER_DENIED, 'pin-incorrect': SOR.PIN_INCORRECT, 'pin-locked': SOR.PIN_LOCKED,
  timeout: SOR.TIMEOUT, 'no-certificate': SOR.CERT_NOT_FOUND, decrypt: SOR.DECRYPT, algorithm: SOR.ALGO_TYPE,
  'bad-input': SOR.INDATA, 'not-supported': SOR.NOT_SUPPORTED, other: SOR.UNKNOWN,
};

type Impl = (args: unknown[]) => Promise<Ret> | Ret;

/** One WebSocket connection speaking XTXApp. Login state lives here and dies with the socket. */
export class BjcaSession {
  private lastError: Failure = { code: SOR.OK, message: '' };
  private signMethod: number | null = null;
  /** certID -> login; a page-typed PIN is kept only when policy allows it (else never read). */
  private readonly logins = new Map<string, { token: string; pagePin?: string }>();
  /** The certID this connection last logged in with (SOF_GetLastLoginCertID). */
  private lastLogin = '';
  private readonly rate: FrameRate;
  private inFlight = 0;
  private readonly table: Record<string, { returns: ReturnKind; run: Impl }>;

  constructor(private readonly ctx: SessionContext) {
    this.rate = new FrameRate(ctx.limits.framesPerSecond);
    this.table = this.buildTable();
  }

  /** Unsolicited key insert/remove event, as the libraries listen for it. */
  usbKeyChanged(): void {
    // Keys that left take their logins with them; the page re-lists.
    this.logins.clear();
    this.ctx.send(JSON.stringify({ call_cmd_id: 'onUsbkeyChange', retVal: '' }));
  }

  close(): void {
    this.logins.clear();
  }

  async onFrame(text: string): Promise<void> {
    const parsedFrame = parseBjcaFrame(text);
    if ('error' in parsedFrame) {
      // Without an id the page cannot match an answer; with one it gets the error shape.
      this.lastError = { code: SOR.INDATA, message: '请求格式错误' };
      if (parsedFrame.id !== null) this.answer(parsedFrame.id, '');
      return;
    }
    const { id, call } = parsedFrame;
    const entry = Object.prototype.hasOwnProperty.call(this.table, call.name) ? this.table[call.name]! : null;
    if (!this.rate.allow() || this.inFlight >= this.ctx.limits.maxInFlight) {
      this.lastError = { code: SOR.UNKNOWN, message: '请求过于频繁，请稍后再试' };
      this.answer(id, entry ? failureValue[entry.returns] : false);
      return;
    }
    if (!entry) {
      const reason = refusalReason('bjca', call.name);
      const msg = REFUSAL_MESSAGES[reason ?? 'unknown'];
      this.ctx.log('bridge.refused-call', { protocol: 'bjca', origin: this.ctx.origin, func: call.name.slice(0, 64), reason: reason ?? 'unknown' });
      this.lastError = { code: SOR.NOT_SUPPORTED, message: msg.zh };
      // Unknown return type: false is falsy for bool, string and number readers alike.
      this.answer(id, false);
      return;
    }
    this.inFlight++;
    try {
      const v = await entry.run(call.args);
      if (call.name !== 'SOF_GetLastError' && call.name !== 'SOF_GetLastErrMsg') this.lastError = { code: SOR.OK, message: '' };
      const extra = (call.name === 'SOF_Login' || call.name === 'SOF_LoginEx') && v === true ? { token: this.logins.get(str(call.args[0], ''))?.token } : {};
      this.answer(id, v, extra);
    } catch (e) {
      this.lastError = hostFailure(e);
      this.answer(id, failureValue[entry.returns]);
    } finally {
      this.inFlight--;
    }
  }

  private answer(id: string, retVal: Ret, extra: Record<string, unknown> = {}): void {
    this.ctx.send(JSON.stringify({ call_cmd_id: id, retVal, ...extra }));
  }

  private async cert(certId: unknown): Promise<BridgeCertificate> {
    const id = str(certId, '证书标识');
    const c = (await listCertificates(this.ctx)).find((x) => x.id === id);
    if (!c) fail(SOR.CERT_NOT_FOUND, '找不到该证书，USB Key 可能已拔出');
    return c!;
  }

  private data(v: unknown): Uint8Array {
    const s = str(v, '原文');
    const bytes = new TextEncoder().encode(s);
    if (bytes.length > this.ctx.limits.maxDataBytes) fail(SOR.INDATA_LEN, '数据过大');
    return bytes;
  }

  private async sign(certId: unknown, data: Uint8Array, call: string, format: SignatureFormat, prehashed = false): Promise<string> {
    const c = await this.cert(certId);
    let digest: BridgeSignRequest['digest'];
    if (this.signMethod !== null && !prehashed) {
      const ok = c.algorithm === 'SM2-SM3' ? this.signMethod === SGD.SM3_SM2 : this.signMethod === SGD.SHA256_RSA || this.signMethod === SGD.SHA1_RSA;
      if (!ok) fail(SOR.ALGO_TYPE, '所设签名算法与该证书不符');
      // Pages that still set SGD_SHA1_RSA get SHA-1 for raw signatures: the consent and the origin
      // allow-list protect the user, and their servers verify nothing else (docs/compat.md).
      if (this.signMethod === SGD.SHA1_RSA && format === 'raw') digest = 'sha1';
    }
    if (prehashed) digest = 'prehashed';
    const login = this.logins.get(c.id);
    const r = await this.ctx.host.sign({
      origin: this.ctx.origin, protocol: 'bjca', certificateId: c.id, data, call, format,
      ...(digest !== undefined ? { digest } : {}),
      ...(login?.pagePin !== undefined ? { pagePin: login.pagePin } : {}),
    });
    return b64(r.signature);
  }

  private async decrypt(c: BridgeCertificate, ciphertext: Uint8Array, call: string, content?: EnvelopeContent): Promise<Uint8Array> {
    const login = this.logins.get(c.id);
    const r = await this.ctx.host.decrypt({
      origin: this.ctx.origin, protocol: 'bjca', certificateId: c.id, ciphertext, call,
      ...(content ? { content } : {}),
      ...(login?.pagePin !== undefined ? { pagePin: login.pagePin } : {}),
    });
    return r.plaintext;
  }

  private b64In(v: unknown, what: string, max = this.ctx.limits.maxDataBytes): Uint8Array {
    const out = decodeBase64(str(v, what), max);
    if (!out || out.length === 0) return fail(SOR.INDATA, `参数${what}不是 Base64 编码`);
    return out;
  }

  /** Decrypted text back to the page; bytes that are not UTF-8 are refused, never mangled. */
  private text(plain: Uint8Array, what = '解密结果'): string {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(plain);
    } catch {
      return fail(SOR.INDATA, `${what}不是文本，无法以字符串返回`);
    }
  }

  private buildTable(): Record<string, { returns: ReturnKind; run: Impl }> {
    const S = (run: Impl) => ({ returns: 'string' as const, run });
    const B = (run: Impl) => ({ returns: 'bool' as const, run });
    const N = (run: Impl) => ({ returns: 'number' as const, run });
    const login = B(async ([id, _pin]) => {
      const c = await this.cert(id);
      // The page's PIN is not read unless policy lets pages unlock keys; our own prompt asks at signing.
      const pagePin = this.ctx.acceptPagePin && typeof _pin === 'string' && _pin.length > 0 && _pin.length <= 64 ? _pin : undefined;
      this.logins.set(c.id, { token: randomBytes(16).toString('hex'), ...(pagePin !== undefined ? { pagePin } : {}) });
      this.lastLogin = c.id;
      return true;
    });
    const retries = N(async ([id]) => (await this.cert(id)).retriesLeft ?? -1);
    return {
      SOF_GetVersion: S(() => BJCA_VERSION),
      GetEnvVersion: S(() => BJCA_VERSION),
      SOF_GetProductVersion: S(() => BJCA_VERSION),
      SOF_GetUserList: S(async () => formatSofUserList((await listCertificates(this.ctx)).map((c) => ({ name: c.label, certId: c.id })))),
      SOF_ExportUserCert: S(async ([id]) => b64((await this.cert(id)).certificate)),
      // The key's encryption certificate where it holds one (SKF containers); else the one certificate.
      SOF_ExportExChangeUserCert: S(async ([id]) => {
        const c = await this.cert(id);
        return b64(c.encryptionCertificate ?? c.certificate);
      }),
      SOF_Login: login,
      // SOF_Login with an "update" flag (newer libraries' login); the flag asks the vendor to refresh its cache.
      SOF_LoginEx: login,
      SOF_GetLastLoginCertID: S(() => this.lastLogin),
      SOF_Logout: B(([id]) => this.logins.delete(str(id, '证书标识')) || true),
      SOF_IsLogin: B(([id]) => this.logins.has(str(id, '证书标识'))),
      SOF_GetPinRetryCount: retries,
      SOF_GetRetryCount: retries,
      SOF_GetCertInfo: S(([cert, type]) => sofGetCertInfo(str(cert, '证书'), int(type, '类型'))),
      SOF_GetCertInfoByOid: S(([cert, oid]) => sofGetCertInfoByOid(str(cert, '证书'), str(oid, 'OID'))),
      SOF_GetCertEntity: S(([cert]) => sofGetCertEntity(str(cert, '证书'))),
      SOF_SetSignMethod: N(([m]) => {
        const v = int(m, '签名算法');
        if (v !== SGD.SHA256_RSA && v !== SGD.SHA1_RSA && v !== SGD.SM3_SM2) {
          return fail(SOR.ALGO_TYPE, '不支持该签名算法（RSA 使用 SHA-1 或 SHA-256，SM2 使用 SM3）');
        }
        this.signMethod = v;
        return SOR.OK;
      }),
      SOF_GetSignMethod: N(() => this.signMethod ?? SGD.SHA256_RSA),
      SOF_SignData: S(([id, data]) => this.sign(id, this.data(data), 'SOF_SignData', 'raw')),
      // The *Base64 forms take the data Base64-encoded (binary content), otherwise as their plain twins.
      SOF_SignDataBase64: S(([id, data]) => this.sign(id, this.b64In(data, '原文'), 'SOF_SignDataBase64', 'raw')),
      SOF_VerifySignedDataBase64: B(([cert, data, sig]) => sofVerifySignedData(str(cert, '证书'), this.b64In(data, '原文'), str(sig, '签名值'))),
      SOF_SignMessageBase64: S(([flag, id, data]) => {
        const f = int(flag, '标志');
        return this.sign(id, this.b64In(data, '原文'), 'SOF_SignMessageBase64', f === 1 ? 'pkcs7-detached' : 'pkcs7-attached');
      }),
      SOF_VerifySignedMessageBase64: B(([p7, data]) => sofVerifySignedMessage(str(p7, '签名消息'), data === undefined || data === '' ? undefined : this.b64In(data, '原文'))),
      SOF_VerifySignedData: B(([cert, data, sig]) => sofVerifySignedData(str(cert, '证书'), this.data(data), str(sig, '签名值'))),
      SOF_VerifySignedHashData: B(([cert, hash, sig]) => sofVerifySignedHashData(str(cert, '证书'), str(hash, '摘要'), str(sig, '签名值'))),
      SOF_VerifySignedMessage: B(([p7, data]) => sofVerifySignedMessage(str(p7, '签名消息'), data === undefined || data === '' ? undefined : this.data(data))),
      SOF_GetInfoFromSignedMessage: S(([p7, type]) => sofGetInfoFromSignedMessage(str(p7, '签名消息'), int(type, '类型'))),
      SOF_SignMessage: S(([flag, id, data]) => {
        const f = int(flag, '标志');
        return this.sign(id, this.data(data), 'SOF_SignMessage', f === 1 ? 'pkcs7-detached' : 'pkcs7-attached');
      }),
      SOF_SignHashData: S(async ([id, hash, alg]) => {
        const h = this.b64In(hash, '摘要', 64);
        const c = await this.cert(id);
        if (alg !== undefined && alg !== null && alg !== '') {
          const want = sofHashAlgorithm(int(alg, '摘要算法'));
          const fits = c.algorithm === 'SM2-SM3' ? want === 'sm3' : want !== 'sm3' && h.length === (want === 'sha1' ? 20 : 32);
          if (!fits) fail(SOR.ALGO_TYPE, '摘要算法或长度与该证书不符');
        }
        return this.sign(c.id, h, 'SOF_SignHashData', 'raw', true);
      }),
      // Digital envelope (PKCS#7/CMS EnvelopedData; GM/T 0010 for SM2) for the certificate a page names.
      SOF_EncryptData: S(([cert, data]) => b64(buildEnvelope(this.data(data), [this.b64In(cert, '证书', 64 * 1024)]))),
      SOF_DecryptData: S(async ([id, envelope]) => {
        const c = await this.cert(id);
        const env = envelopeFor(this.b64In(envelope, '数字信封', MAX_ENVELOPE_BYTES), c.encryptionCertificate ?? c.certificate);
        return this.text(await this.decrypt(c, env.encryptedKey, 'SOF_DecryptData', env.content));
      }),
      SOF_PubKeyEncrypt: S(([cert, data]) => b64(publicKeyEncrypt(this.b64In(cert, '证书', 64 * 1024), this.data(data)))),
      SOF_PriKeyDecrypt: S(async ([id, data]) => {
        const c = await this.cert(id);
        return this.text(await this.decrypt(c, this.b64In(data, '密文', 64 * 1024), 'SOF_PriKeyDecrypt'));
      }),
      SOF_GenRandom: S(([len]) => sofGenRandom(int(len, '长度'))),
      SOF_HashData: S(([alg, data]) => sofHashData(sofHashAlgorithm(int(alg, '算法')), this.data(data))),
      SOF_HashDataEx: S(([alg, data, cert, id]) => sofHashDataEx(sofHashAlgorithm(int(alg, '算法')), this.data(data), cert === undefined || cert === null ? '' : str(cert, '证书'), id === undefined || id === null ? '' : str(id, '签名者标识'))),
      SOF_Base64Encode: S(([data]) => b64(this.data(data))),
      SOF_Base64Decode: S(([data]) => this.text(this.b64In(data, '数据'), '解码结果')),
      SOF_GetLastError: N(() => this.lastError.code),
      SOF_GetLastErrMsg: S(() => this.lastError.message),
      GetDeviceCount: N(async () => new Set((await listCertificates(this.ctx)).map((c) => c.deviceSerial)).size),
      GetAllDeviceSN: S(async () => [...new Set((await listCertificates(this.ctx)).map((c) => c.deviceSerial))].map((s) => `${s}&&&`).join('')),
      IsDeviceExist: B(async ([sn]) => {
        const key = str(sn, '设备');
        return (await listCertificates(this.ctx)).some((c) => c.deviceSerial === key);
      }),
      GetDeviceInfo: S(async ([id, type]) => {
        const key = str(id, '设备');
        const t = int(type, '类型');
        const list = await listCertificates(this.ctx);
        const c = list.find((x) => x.id === key || x.deviceSerial === key);
        if (!c) return fail(SOR.CERT_NOT_FOUND, '找不到该设备');
        if (t === 7) return c.hardware ? 'HARD' : 'SOFT';
        if (t === 1) return c.deviceSerial;
        return fail(SOR.NOT_SUPPORTED, `不支持的设备信息类型 ${t}`);
      }),
    };
  }
}
