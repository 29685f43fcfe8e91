/**
 * HEBCA P11 assistant over WebSocket, as docs/compat.md describes it: text frames `0|<ms>`
 * (handshake, answered `0|Welcome…`), calls `1|<Func>` or `1|<Func>|<json>`, answers
 * `1|<Func>|{"ret":0,"msg":"",…}`; ret ≠ 0 with a zh-CN msg is the error shape. The library
 * matches answers by function name, so every frame with a function gets one answer.
 */
import { AssistantError } from '../errors.ts';
import type { ParsedCertificate } from '../pki/certificate.ts';
import { BRIDGE_ERR as HEBCA_ERR, failWith as fail, numberedFailure as hostFailure } from './numbered-errors.ts';
import { REFUSAL_MESSAGES, refusalReason } from './refused.ts';
import { b64, base64Decode, digest, FrameRate, listCertificates, parsedCertificate, type HashName, type SessionContext } from './session.ts';
import { buildEnvelope, envelopeFor, formatHebcaCertSnList, hebcaNotAfter, notForUs, publicKeyEncrypt, sofVerifySignedMessage, type EnvelopeForRecipient } from './formats/index.ts';
import type { BridgeCertificate, SignatureFormat } from './types.ts';
import type { EnvelopeContent } from '../keystores/types.ts';

export const HEBCA_VERSION = '3.0.0-cert-assistant';
/** Our error numbers (the library shows msg; ret only has to be non-zero); JIT's GetLastError uses the same. */
export { HEBCA_ERR };
export const HEBCA_WELCOME = '0|Welcome to Cert Assistant (证书助手) HEBCA-compatible service';
/**
 * What the library's getAssistorVersion reads (ReadRegB64 of HKCU\Software\Hebca\ClientX, value
 * `version`) and assertAssistorVersion compares with a page's minimum written 0xMMmmpp (its own
 * example: 6.3.5 = 0x060305). 7.0.0: above that example, since we answer the calls of that library.
 */
export const HEBCA_ASSISTOR_VERSION_INT = 0x070000;
/** The one registry key the library reads for itself (its debug flag and the assistant's version). */
const HEBCA_CLIENT_KEY = 'HKEY_CURRENT_USERSOFTWAREHEBCACLIENTX';

/**
 * The library writes its JSON by string concatenation, so a page's text reaches us with raw line
 * breaks (and other control characters) inside strings, which JSON.parse rejects: they are taken as
 * themselves. Nothing else is repaired.
 */
function escapeRawControlsInStrings(json: string): string {
  let out = '';
  let inString = false;
  let escaped = false;
  for (const ch of json) {
    const code = ch.charCodeAt(0);
    if (inString && !escaped && code < 0x20) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
      continue;
    }
    out += ch;
    if (escaped) escaped = false;
    else if (ch === '\\' && inString) escaped = true;
    else if (ch === '"') inString = !inString;
  }
  return out;
}

/** Subject items by index (0 = CN, as the library's IsCertOnline assumes) or by name. */
const SUBJECT_ITEMS = ['CN', 'O', 'OU', 'L', 'ST', 'C', 'E', 'G'];

/** One subject attribute's values (display DN `C=CN, O=…, CN=…`, escapes undone), joined by commas. */
function dnValue(dn: string, key: string): string {
  return dn.split(/(?<!\\), /).map((part) => [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)] as const)
    .filter(([k]) => k === key).map(([, v]) => v.replace(/\\(.)/g, '$1')).join(',');
}

export function parseHebcaFrame(text: string): { kind: 'hello' } | { kind: 'call'; seq: string; func: string; params: Record<string, unknown> } | { kind: 'bad'; func: string | null; seq: string } {
  const first = text.indexOf('|');
  const seq = first < 0 ? text : text.slice(0, first);
  if (seq === '0') return { kind: 'hello' };
  if (!/^[1-9]\d{0,8}$/.test(seq) || first < 0) return { kind: 'bad', func: null, seq: /^\d{1,9}$/.test(seq) ? seq : '1' };
  const second = text.indexOf('|', first + 1);
  const func = text.slice(first + 1, second < 0 ? undefined : second);
  if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(func)) return { kind: 'bad', func: null, seq };
  if (second < 0 || second === text.length - 1) return { kind: 'call', seq, func, params: {} };
  const body = text.slice(second + 1);
  let p: unknown;
  try {
    p = JSON.parse(body);
  } catch {
    try {
      p = JSON.parse(escapeRawControlsInStrings(body));
    } catch {
      return { kind: 'bad', func, seq };
    }
  }
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return { kind: 'bad', func, seq };
  return { kind: 'call', seq, func, params: p as Record<string, unknown> };
}

const strParam = (p: Record<string, unknown>, k: string): string => {
  const v = p[k];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return fail(HEBCA_ERR.BAD_PARAM, `缺少参数 ${k}`);
};

type Impl = (params: Record<string, unknown>) => Promise<Record<string, unknown>> | Record<string, unknown>;

/** One WebSocket connection speaking the HEBCA P11 protocol; selection and login live here. */
export class HebcaSession {
  private selected: string | null = null;
  /** SelectCryptCert was the last choice: GetCertB64 hands out the encryption certificate where the key has one. */
  private crypt = false;
  private loggedIn = false;
  private pagePin: string | undefined;
  private readonly rate: FrameRate;
  private inFlight = 0;
  private readonly table: Record<string, Impl>;

  constructor(private readonly ctx: SessionContext) {
    this.rate = new FrameRate(ctx.limits.framesPerSecond);
    this.table = this.buildTable();
  }

  usbKeyChanged(): void {
    // The selected key may have left: the page selects again, and logs in again.
    this.selected = null;
    this.loggedIn = false;
    this.pagePin = undefined;
  }

  close(): void {
    this.usbKeyChanged();
  }

  async onFrame(text: string): Promise<void> {
    const f = parseHebcaFrame(text);
    if (f.kind === 'hello') {
      this.ctx.send(HEBCA_WELCOME);
      return;
    }
    if (f.kind === 'bad') {
      this.reply(f.seq, f.func ?? 'Error', { ret: HEBCA_ERR.BAD_FRAME, msg: '请求格式错误' });
      return;
    }
    if (!this.rate.allow() || this.inFlight >= this.ctx.limits.maxInFlight) {
      this.reply(f.seq, f.func, { ret: HEBCA_ERR.BUSY, msg: '请求过于频繁，请稍后再试' });
      return;
    }
    const impl = Object.prototype.hasOwnProperty.call(this.table, f.func) ? this.table[f.func]! : null;
    if (!impl) {
      const reason = refusalReason('hebca', f.func);
      this.ctx.log('bridge.refused-call', { protocol: 'hebca', origin: this.ctx.origin, func: f.func, reason: reason ?? 'unknown' });
      this.reply(f.seq, f.func, { ret: HEBCA_ERR.REFUSED, msg: REFUSAL_MESSAGES[reason ?? 'unknown'].zh });
      return;
    }
    this.inFlight++;
    try {
      const out = await impl(f.params);
      this.reply(f.seq, f.func, { ret: 0, msg: '', ...out });
    } catch (e) {
      this.reply(f.seq, f.func, hostFailure(e));
    } finally {
      this.inFlight--;
    }
  }

  private reply(seq: string, func: string, body: Record<string, unknown>): void {
    // The library reads the JSON as `frame.split('|')[2]`: a `|` inside a value (a subject item, a
    // message quoting the page) would cut it, so it travels escaped (same JSON once parsed).
    this.ctx.send(`${seq}|${func}|${JSON.stringify(body).replace(/\|/g, '\\u007c')}`);
  }

  private async list(): Promise<BridgeCertificate[]> {
    return listCertificates(this.ctx);
  }

  private async current(): Promise<BridgeCertificate> {
    if (this.selected === null) fail(HEBCA_ERR.NOT_SELECTED, '请先选择证书');
    const c = (await this.list()).find((x) => x.id === this.selected);
    if (!c) {
      this.usbKeyChanged();
      fail(HEBCA_ERR.NO_CERT, '找不到所选证书，USB Key 可能已拔出');
    }
    return c!;
  }

  private async byIndex(p: Record<string, unknown>): Promise<BridgeCertificate> {
    const i = Number(p['index']);
    const list = await this.list();
    if (!Number.isInteger(i) || i < 0 || i >= list.length) fail(HEBCA_ERR.BAD_PARAM, '证书序号超出范围');
    return list[i]!;
  }

  private async bySerial(sn: string): Promise<BridgeCertificate> {
    const c = (await this.list()).find((x) => parsedCertificate(x).serialNumber.toLowerCase() === sn.toLowerCase());
    if (!c) fail(HEBCA_ERR.NO_CERT, '找不到该序列号的证书');
    return c!;
  }

  private bytes(p: Record<string, unknown>, key: string, base64: boolean): Uint8Array {
    const s = strParam(p, key);
    const out = base64 ? base64Decode(s, this.ctx.limits.maxDataBytes) : new TextEncoder().encode(s);
    if (!out) fail(HEBCA_ERR.BAD_PARAM, `参数 ${key} 不是 Base64 编码`);
    if (out!.length > this.ctx.limits.maxDataBytes) fail(HEBCA_ERR.TOO_LARGE, '数据过大');
    return out!;
  }

  private async sign(c: BridgeCertificate, data: Uint8Array, call: string, format: SignatureFormat): Promise<string> {
    const r = await this.ctx.host.sign({
      origin: this.ctx.origin, protocol: 'hebca', certificateId: c.id, data, call, format,
      ...(this.pagePin !== undefined ? { pagePin: this.pagePin } : {}),
    });
    return b64(r.signature);
  }

  private async decrypt(c: BridgeCertificate, ciphertext: Uint8Array, call: string, content?: EnvelopeContent): Promise<Uint8Array> {
    const r = await this.ctx.host.decrypt({
      origin: this.ctx.origin, protocol: 'hebca', certificateId: c.id, ciphertext, call,
      ...(content ? { content } : {}),
      ...(this.pagePin !== undefined ? { pagePin: this.pagePin } : {}),
    });
    return r.plaintext;
  }

  /** The certificate an envelope is addressed to: the selected one when it is, else any of ours. */
  private async recipientOf(envelope: Uint8Array): Promise<{ cert: BridgeCertificate; env: EnvelopeForRecipient }> {
    const list = await this.list();
    const ordered = [...list.filter((c) => c.id === this.selected), ...list.filter((c) => c.id !== this.selected)];
    let lastError: unknown = null;
    for (const cert of ordered) {
      try {
        return { cert, env: envelopeFor(envelope, cert.encryptionCertificate ?? cert.certificate) };
      } catch (e) {
        // A malformed envelope is malformed for every certificate: say so at once.
        if (e instanceof AssistantError && e.code === 'ENVELOPE_MALFORMED') throw e;
        lastError = e;
      }
    }
    if (list.length === 0) fail(HEBCA_ERR.NO_CERT, '没有找到证书，请插入 USB Key');
    throw lastError ?? notForUs();
  }

  private login(pin: unknown): void {
    // The page's PIN is dropped unread unless policy lets pages unlock keys; we ask at signing.
    this.pagePin = this.ctx.acceptPagePin && typeof pin === 'string' && pin.length > 0 && pin.length <= 64 ? pin : undefined;
    this.loggedIn = true;
  }

  private buildTable(): Record<string, Impl> {
    const cn = (c: BridgeCertificate): string => dnValue(parsedCertificate(c).subject, 'CN');
    const subjectItem = (cert: ParsedCertificate, index: unknown): string => {
      const key = typeof index === 'number' ? SUBJECT_ITEMS[index] : typeof index === 'string' ? (/^\d+$/.test(index) ? SUBJECT_ITEMS[Number(index)] : index.toUpperCase()) : undefined;
      if (!key) return fail(HEBCA_ERR.BAD_PARAM, '主题项序号超出范围');
      return dnValue(cert.subject, key);
    };
    return {
      GetAssistorVersion: () => ({ version: HEBCA_VERSION }),
      GetCertCount: async () => ({ count: (await this.list()).length }),
      GetSignCertCount: async () => ({ count: (await this.list()).length }),
      SelectSignCert: async () => {
        // The vendor shows a chooser; the consent at signing names the certificate, and pages that
        // care select by index, serial or CN.
        const list = await this.list();
        if (list.length === 0) fail(HEBCA_ERR.NO_CERT, '没有找到证书，请插入 USB Key');
        this.selected = list[0]!.id;
        this.crypt = false;
        return {};
      },
      SelectCryptCert: async () => {
        const list = await this.list();
        if (list.length === 0) fail(HEBCA_ERR.NO_CERT, '没有找到证书，请插入 USB Key');
        this.selected = list[0]!.id;
        this.crypt = true;
        return {};
      },
      GetSignCert: async (p) => {
        this.selected = (await this.byIndex(p)).id;
        this.crypt = false;
        return {};
      },
      GetSubjectItem: async (p) => ({ content: subjectItem(parsedCertificate(await this.current()), p['index']) }),
      GetSignCertNotAfter: async (p) => ({ certnotafter: hebcaNotAfter(parsedCertificate(await this.byIndex(p))) }),
      GetCertB64: async () => {
        const c = await this.current();
        return { cert: b64(this.crypt ? c.encryptionCertificate ?? c.certificate : c.certificate) };
      },
      // The library reads `certlist` and `certsnlist` (lower case), both `;`-separated, in the same order.
      GetCertList: async () => {
        const list = await this.list();
        const sns = formatHebcaCertSnList(list.map((c) => parsedCertificate(c)));
        return { certlist: list.map((c) => b64(c.certificate)).join(';'), certsnlist: sns, certSnList: sns };
      },
      // deviceNames: `;`-separated devices the chooser skips; ours are matched by label or device serial.
      SelectSignCertFilterDevice: async (p) => {
        const skip = new Set((typeof p['deviceNames'] === 'string' ? p['deviceNames'] : '').split(';').map((s) => s.trim()).filter((s) => s !== ''));
        const c = (await this.list()).find((x) => !skip.has(x.label) && !skip.has(x.deviceSerial));
        if (!c) fail(HEBCA_ERR.NO_CERT, '没有找到证书，请插入 USB Key');
        this.selected = c!.id;
        this.crypt = false;
        return {};
      },
      // The next list is asked of the host (a key just inserted shows up).
      ReloadDevice: () => {
        this.ctx.certificates.clear();
        return {};
      },
      // Registry reads stay refused, except the library's two reads of its own key at start-up and for
      // getAssistorVersion, answered from here (nothing is read): debug off, our version.
      ReadRegB64: (p) => {
        const text = (k: string): string | null => {
          const v = p[k];
          const d = typeof v === 'string' ? base64Decode(v, 1024) : null;
          return d ? new TextDecoder().decode(d) : null;
        };
        const key = text('key')?.replace(/\\/g, '').toUpperCase();
        const name = text('name');
        if (key === HEBCA_CLIENT_KEY && name === 'version') return { value: HEBCA_ASSISTOR_VERSION_INT };
        if (key === HEBCA_CLIENT_KEY && name === 'p11ObjectDebug') return { value: 0 };
        this.ctx.log('bridge.refused-call', { protocol: 'hebca', origin: this.ctx.origin, func: 'ReadRegB64', reason: 'registry-process' });
        return fail(HEBCA_ERR.REFUSED, REFUSAL_MESSAGES['registry-process'].zh);
      },
      IsCertOnline: async (p) => {
        const want = strParam(p, 'cn');
        return { result: (await this.list()).some((c) => cn(c) === want) ? 1 : 0 };
      },
      IsCertLogined: async (p) => {
        const want = strParam(p, 'cn');
        const sel = this.selected === null ? null : (await this.list()).find((c) => c.id === this.selected);
        return { result: this.loggedIn && sel !== undefined && sel !== null && cn(sel) === want ? 1 : 0 };
      },
      UILogin: async () => {
        await this.current();
        this.login(undefined);
        return {};
      },
      Login: async (p) => {
        await this.current();
        this.login(p['pin']);
        return {};
      },
      CspLogin: async (p) => {
        await this.current();
        this.login(p['pin']);
        return {};
      },
      UnUICertLogin: async (p) => {
        this.selected = (await this.bySerial(strParam(p, 'certSN'))).id;
        this.login(p['password']);
        return {};
      },
      Logout: () => {
        this.loggedIn = false;
        this.pagePin = undefined;
        return { result: 1 };
      },
      SignText: async (p) => ({ signature: await this.sign(await this.current(), this.bytes(p, 'signText', false), 'SignText', 'raw') }),
      SignB64: async (p) => ({ signature: await this.sign(await this.current(), this.bytes(p, 'b64data', true), 'SignB64', 'raw') }),
      UnUISign: async (p) => {
        const c = await this.bySerial(strParam(p, 'certSN'));
        return { signature: await this.sign(c, this.bytes(p, 'b64data', true), 'UnUISign', 'raw') };
      },
      P7VerifyB64: (p) => {
        if (!sofVerifySignedMessage(strParam(p, 'b64data'))) fail(HEBCA_ERR.FAILED, '签名验证失败');
        return { result: 1 };
      },
      // PKCS#7/CMS EnvelopedData (GM/T 0010 for SM2) for the page's recipient certificates: no key, no consent.
      EnvelopB64: (p) => {
        const list = Array.isArray(p['certs']) ? p['certs'].slice(0, 32) : [];
        const certs = list.map((x: unknown) => {
          const v = typeof x === 'string' ? x : typeof x === 'object' && x !== null ? (x as Record<string, unknown>)['cert'] : undefined;
          const der = typeof v === 'string' ? base64Decode(v, 64 * 1024) : null;
          if (!der || der.length === 0) return fail(HEBCA_ERR.BAD_PARAM, '收件人证书不是 Base64 编码');
          return der;
        });
        if (certs.length === 0) fail(HEBCA_ERR.BAD_PARAM, '缺少收件人证书 certs');
        return { b64data: b64(buildEnvelope(this.bytes(p, 'b64data', true), certs)) };
      },
      UnEnvelopB64: async (p) => {
        const { cert, env } = await this.recipientOf(this.bytes(p, 'b64data', true));
        return { b64data: b64(await this.decrypt(cert, env.encryptedKey, 'UnEnvelopB64', env.content)) };
      },
      // 非对称加密/解密 with the selected (crypt) certificate: RSA PKCS#1 v1.5, SM2 GM/T 0009 DER.
      EncryptB64: async (p) => {
        const c = await this.current();
        return { b64encrypted: b64(publicKeyEncrypt(c.encryptionCertificate ?? c.certificate, this.bytes(p, 'b64data', true))) };
      },
      DecryptB64: async (p) => {
        const c = await this.current();
        return { b64decrypted: b64(await this.decrypt(c, this.bytes(p, 'b64data', true), 'DecryptB64')) };
      },
      Digest: async (p) => {
        const data = this.bytes(p, 'b64data', true);
        const asked = typeof p['digestalg'] === 'string' ? p['digestalg'].toLowerCase().replace(/-/g, '') : '';
        let alg: HashName;
        if (asked === 'sha1' || asked === 'sha256' || asked === 'sm3') alg = asked;
        else if (asked === '' || asked === 'undefined' || asked === 'null') {
          // The library's own rule: SM3 for an SM2 certificate, SHA-1 otherwise.
          const sn = typeof p['certSN'] === 'string' && p['certSN'] !== '' && p['certSN'] !== 'undefined' ? p['certSN'] : null;
          const c = sn !== null ? await this.bySerial(sn) : this.selected !== null ? await this.current() : null;
          alg = c?.algorithm === 'SM2-SM3' ? 'sm3' : 'sha1';
        } else return fail(HEBCA_ERR.BAD_PARAM, `不支持的摘要算法 ${asked.slice(0, 16)}`);
        return { digest: b64(digest(alg, data)), digestalg: alg };
      },
      P7SignB64: async (p) => ({ b64data: await this.sign(await this.current(), this.bytes(p, 'b64data', true), 'P7SignB64', 'pkcs7-attached') }),
    };
  }
}
