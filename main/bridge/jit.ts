/**
 * JIT (吉大正元) gateway client PNXClient, as docs/compat.md §8 describes its page library: each
 * call is a POST of `<Func>:<json args>` (named fields; empty when there are none) to the session
 * URL the client handed out for `QueryService`; the answer is `{"value": …}`. Errors follow the
 * vendor API's shape: an empty string (string calls) or a non-zero number (status calls), the
 * reason in GetLastError / GetLastErrorMessage (our numbers, shared with HEBCA's ret). One
 * JitSession lives behind one session URL and belongs to the origin that asked for it.
 */
import { BRIDGE_ERR, failWith as fail, numberedFailure } from './numbered-errors.ts';
import { REFUSAL_MESSAGES, refusalReason } from './refused.ts';
import { b64, base64Decode, digest, FrameRate, listCertificates, parsedCertificate, preferAlgorithmPerSubject, type HashName, type SessionContext } from './session.ts';
import type { BridgeCertificate, BridgeSignRequest, SignatureFormat } from './types.ts';

/**
 * GetLastError's numbers: ours (shared with HEBCA's ret), except the two that public login pages
 * compare against the vendor client's own values — user cancelled (0xE0000002: "用户取消操作") and
 * no usable certificate (0xE0000061: "没有找到有效的证书…请确认已经插入key").
 */
export const JIT_ERR = { ...BRIDGE_ERR, USER_DENIED: 0xe0000002, NO_CERT: 0xe0000061 } as const;
const jitCode = (ret: number): number => (ret === BRIDGE_ERR.USER_DENIED ? JIT_ERR.USER_DENIED : ret === BRIDGE_ERR.NO_CERT ? JIT_ERR.NO_CERT : ret);
export const JIT_VERSION = '3.0.0.1';
export const JIT_PROTOCOL_VERSION = '1.0';
/** AddFilter type 1, as public login pages use it ("根据SN过滤唯一证书"): only the certificate with this serial number (hex). */
export const JIT_FILTER_SERIAL = 1;
/** AddFilter type 11: among certificates with the same subject DN, prefer SM2 ("2") or RSA ("1"). */
export const JIT_FILTER_SAME_DN = 11;

/** A serial number as pages write it (hex, any case, maybe with spaces, colons or leading zeros) → comparable form. */
function serialKey(s: string): string {
  return s.replace(/[\s:]/g, '').toLowerCase().replace(/^0+(?=.)/, '');
}

type Value = string | number;
type Kind = 'string' | 'number';
type Args = Record<string, unknown>;
type Impl = (args: Args) => Promise<Value> | Value;

/** Refused calls whose vendor answer is a status number: they get our non-zero code, the others "". */
const NUMBER_REFUSALS = new Set(['SetupClient', 'RunSetup', 'GetDownloadProgress', 'IsInstallComplete', 'SetUpdatePolicy', 'ExecuteCS', 'NavigateURL',
  'SetPolicy', 'WaitSetPolicyFinish', 'GWLogout', 'DoClientSecurityCheck', 'CallQueueEnable', 'CallQueueClear', 'ChangePinCode']);

const failureValue = (kind: Kind, code: number): Value => (kind === 'number' ? code : '');

/** `<Func>:<json>` → the call, or null when it is no call at all. */
export function parseJitCall(body: string): { func: string; args: Args } | { func: string | null; error: string } {
  const colon = body.indexOf(':');
  const func = colon < 0 ? body : body.slice(0, colon);
  if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(func)) return { func: null, error: 'no function name' };
  const rest = colon < 0 ? '' : body.slice(colon + 1);
  if (rest.trim() === '') return { func, args: {} };
  try {
    const p = JSON.parse(rest) as unknown;
    // The library sends GetPinCode's empty arguments JSON-encoded: `GetPinCode:""`.
    if (p === '' || p === null) return { func, args: {} };
    if (typeof p !== 'object' || Array.isArray(p)) return { func, error: 'arguments are not an object' };
    return { func, args: p as Args };
  } catch {
    return { func, error: 'arguments are not JSON' };
  }
}

const str = (a: Args, k: string): string => {
  const v = a[k];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return fail(BRIDGE_ERR.BAD_PARAM, `缺少参数 ${k}`);
};
const optStr = (a: Args, k: string): string => (a[k] === undefined || a[k] === null ? '' : str(a, k));
/** The library passes booleans as true/false, 1/0 or their strings. */
const flag = (a: Args, k: string): boolean => {
  const v = a[k];
  if (v === true || v === 1 || v === '1' || v === 'true') return true;
  if (v === false || v === 0 || v === '0' || v === 'false' || v === undefined || v === null || v === '') return false;
  return fail(BRIDGE_ERR.BAD_PARAM, `参数 ${k} 须为 true 或 false`);
};
/** P7Sign's isIncludeCert: only an explicit false (false, 0, "0", "false") leaves the certificates out. */
const includeCert = (a: Args): boolean => a['isIncludeCert'] === undefined || a['isIncludeCert'] === null || flag(a, 'isIncludeCert');
const int = (a: Args, k: string): number => {
  const v = a[k];
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d{1,10}\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) fail(BRIDGE_ERR.BAD_PARAM, `参数 ${k} 不是整数`);
  return n;
};

/** SetDigestAlg's names (case and dashes ignored). */
function digestName(s: string): HashName | null {
  const v = s.toLowerCase().replace(/[-_\s]/g, '');
  return v === 'sha1' ? 'sha1' : v === 'sha256' ? 'sha256' : v === 'sm3' ? 'sm3' : null;
}

interface LastSignature {
  certificate: BridgeCertificate;
  hash: HashName;
  digest: Uint8Array;
}

/** One PNXClient session (one session URL): filters, digest, last signature and last error. */
export class JitSession {
  private readonly table: Record<string, { kind: Kind; run: Impl }> = this.buildTable();
  /** Calls per second and at once, per session URL. */
  private readonly rate: FrameRate;
  private inFlight = 0;
  private lastError = { code: 0, message: '' };
  private digestAlg: HashName | null = null;
  private sameDnPrefer: 'SM2' | 'RSA' | null = null;
  /** AddFilter(1, sn) values: a certificate must have each of these serials (so two different ones leave none). */
  private serials: string[] = [];
  private chooseSingle = false;
  private last: LastSignature | null = null;

  constructor(private readonly ctx: SessionContext) {
    this.rate = new FrameRate(ctx.limits.framesPerSecond);
  }

  /** Keys came or went: what was chosen may be gone. Filters stay (the page set them). */
  usbKeyChanged(): void {
    this.last = null;
  }

  close(): void {
    this.reset();
  }

  private reset(): void {
    this.digestAlg = null;
    this.sameDnPrefer = null;
    this.serials = [];
    this.chooseSingle = false;
    this.last = null;
  }

  /** One call (the POST body) → the answer body `{"value": …}`. Never throws. */
  async call(body: string): Promise<string> {
    const parsed = parseJitCall(body);
    if ('error' in parsed) {
      this.lastError = { code: BRIDGE_ERR.BAD_FRAME, message: '请求格式错误' };
      return this.answer('');
    }
    const { func, args } = parsed;
    const entry = Object.prototype.hasOwnProperty.call(this.table, func) ? this.table[func]! : null;
    if (!this.rate.allow() || this.inFlight >= this.ctx.limits.maxInFlight) {
      this.lastError = { code: BRIDGE_ERR.BUSY, message: '请求过于频繁，请稍后再试' };
      return this.answer(failureValue(entry?.kind ?? 'string', BRIDGE_ERR.BUSY));
    }
    if (!entry) {
      const reason = refusalReason('jit', func);
      this.ctx.log('bridge.refused-call', { protocol: 'jit', origin: this.ctx.origin, func, reason: reason ?? 'unknown' });
      this.lastError = { code: BRIDGE_ERR.REFUSED, message: REFUSAL_MESSAGES[reason ?? 'unknown'].zh };
      return this.answer(NUMBER_REFUSALS.has(func) ? BRIDGE_ERR.REFUSED : '');
    }
    this.inFlight++;
    try {
      const v = await entry.run(args);
      if (func !== 'GetLastError' && func !== 'GetLastErrorMessage' && func !== 'GetPinCode') this.lastError = { code: 0, message: '' };
      return this.answer(v);
    } catch (e) {
      const f = numberedFailure(e);
      const code = jitCode(f.ret);
      this.lastError = { code, message: f.msg };
      return this.answer(failureValue(entry.kind, code));
    } finally {
      this.inFlight--;
    }
  }

  private answer(value: Value): string {
    return JSON.stringify({ value });
  }

  /** The certificates the page's filters leave, in the host's order (the first is the default). */
  private async candidates(): Promise<BridgeCertificate[]> {
    const all = await listCertificates(this.ctx);
    const serials = this.serials;
    const list = serials.length === 0 ? all : all.filter((c) => serials.every((sn) => serialKey(parsedCertificate(c).serialNumber) === sn));
    return this.sameDnPrefer === null ? list : preferAlgorithmPerSubject(list, this.sameDnPrefer);
  }

  /** The default candidate and the others; `fits` drops those that cannot sign as the page set (SM3 on RSA). */
  private async chosen(fits: (c: BridgeCertificate) => boolean = () => true): Promise<{ cert: BridgeCertificate; others: BridgeCertificate[] }> {
    const all = await this.candidates();
    if (all.length === 0) fail(BRIDGE_ERR.NO_CERT, '没有找到符合条件的证书，请插入 USB Key');
    const list = all.filter(fits);
    if (list.length === 0) fail(BRIDGE_ERR.ALGORITHM_MISMATCH, '所设摘要算法 SM3 不能用于 RSA 证书');
    return { cert: list[0]!, others: list.slice(1) };
  }

  private bytes(a: Args, key: string, base64: boolean): Uint8Array {
    const s = str(a, key);
    const out = base64 ? base64Decode(s, this.ctx.limits.maxDataBytes) : new TextEncoder().encode(s);
    if (!out) return fail(BRIDGE_ERR.BAD_PARAM, `参数 ${key} 不是 Base64 编码`);
    if (out.length > this.ctx.limits.maxDataBytes) fail(BRIDGE_ERR.TOO_LARGE, '数据过大');
    return out;
  }

  /**
   * The hash a signature uses: SM2 always SM3; RSA SHA-256 unless the page set SHA1 (raw
   * signatures only — PKCS#7 stays SHA-256, as for BJCA). SM3 leaves RSA certificates out (chosen()).
   */
  private hashFor(c: BridgeCertificate, format: SignatureFormat): HashName {
    if (c.algorithm === 'SM2-SM3') return 'sm3';
    return this.digestAlg === 'sha1' && format === 'raw' ? 'sha1' : 'sha256';
  }

  private async sign(data: Uint8Array, call: string, format: SignatureFormat, includeCertificates = true): Promise<string> {
    const { cert, others } = await this.chosen((c) => c.algorithm === 'SM2-SM3' || this.digestAlg !== 'sm3');
    // SHA1 set: the RSA candidates sign over SHA-1 (the signing path leaves SM2 ones to SM3).
    const sha1 = [cert, ...others].some((c) => this.hashFor(c, format) === 'sha1');
    const req: BridgeSignRequest = {
      origin: this.ctx.origin, protocol: 'jit', certificateId: cert.id, data, call, format,
      ...(sha1 ? { digest: 'sha1' as const } : {}),
      ...(includeCertificates ? {} : { includeCertificates: false as const }),
      ...(others.length > 0 ? { alternatives: others.map((o) => o.id) } : {}),
    };
    const r = await this.ctx.host.sign(req);
    const signer = [cert, ...others].find((c) => Buffer.compare(Buffer.from(c.certificate), Buffer.from(r.certificate)) === 0) ?? cert;
    const used = this.hashFor(signer, format);
    this.last = { certificate: signer, hash: used, digest: digest(used, data) };
    return b64(r.signature);
  }

  /** The certificate GetSignCert* report: the last signature's, else the default candidate. */
  private async reported(): Promise<BridgeCertificate> {
    return this.last?.certificate ?? (await this.chosen()).cert;
  }

  private buildTable(): Record<string, { kind: Kind; run: Impl }> {
    const S = (run: Impl) => ({ kind: 'string' as const, run });
    const N = (run: Impl) => ({ kind: 'number' as const, run });
    const OK = 0;
    return {
      GetVersion: S(() => JIT_VERSION),
      GetClientVersion: S(() => JIT_VERSION),
      GetProtocolVersion: S(() => JIT_PROTOCOL_VERSION),
      // strAuxParam names driver DLLs (base64) per CSP/SKF/P11 entry: never loaded; only the
      // administrator's key stores are used. Read only as far as checking it is a string.
      Initialize: N((a) => {
        optStr(a, 'strAlgType');
        optStr(a, 'strAuxParam');
        this.reset();
        return OK;
      }),
      Finalize: N(() => {
        this.reset();
        return OK;
      }),
      DestoryAuth: N(() => {
        this.reset();
        return OK;
      }),
      SetDigestAlg: N((a) => {
        const name = digestName(str(a, 'strDigestAlg'));
        if (name === null) return fail(BRIDGE_ERR.BAD_PARAM, '不支持该摘要算法（可用 SHA1、SHA256、SM3）');
        this.digestAlg = name;
        return OK;
      }),
      // Our consent is the chooser: it always shows, names the certificate, and lists every candidate.
      SetChooseSingleCert: N((a) => {
        this.chooseSingle = flag(a, 'isChoose');
        return OK;
      }),
      AddFilter: N((a) => {
        const type = int(a, 'ulType');
        const value = str(a, 'strValue').trim();
        if (type === JIT_FILTER_SERIAL) {
          const sn = serialKey(value);
          if (!/^[0-9a-f]{1,80}$/.test(sn)) return fail(BRIDGE_ERR.BAD_PARAM, '筛选类型 1 的值须为证书序列号（十六进制）');
          this.serials.push(sn);
          return OK;
        }
        // Other types (public material names an issuer filter, without its number) select nothing we could check.
        if (type !== JIT_FILTER_SAME_DN) return fail(BRIDGE_ERR.BAD_PARAM, `不支持的筛选类型 ${type}（支持 1 证书序列号、11 同 DN 算法优先）`);
        if (value !== '1' && value !== '2') return fail(BRIDGE_ERR.BAD_PARAM, '筛选类型 11 的值须为 1（RSA 优先）或 2（SM2 优先）');
        this.sameDnPrefer = value === '2' ? 'SM2' : 'RSA';
        return OK;
      }),
      ClearFilter: N(() => {
        this.sameDnPrefer = null;
        this.serials = [];
        return OK;
      }),
      // Newer clients: one line per certificate the filters leave, `<subject DN> <serial hex>`, CRLF between
      // (pages split on "\r\n" and take the serial after the last space, then AddFilter(1, serial)).
      GetCertList: S(async () => (await this.candidates()).map((c) => {
        const p = parsedCertificate(c);
        return `${p.subject} ${p.serialNumber.toUpperCase()}`;
      }).join('\r\n')),
      SetLanguage: N((a) => {
        optStr(a, 'strLanguage');
        return OK;
      }),
      // The PIN is asked in our own window for every signature, whatever the page wants.
      SetForcePinDialog: N((a) => {
        flag(a, 'isForcePinDialog');
        return OK;
      }),
      P1Sign: S((a) => this.sign(this.bytes(a, 'strValueBase64', true), 'P1Sign', 'raw')),
      P1SignString: S((a) => this.sign(this.bytes(a, 'strValue', false), 'P1SignString', 'raw')),
      // isIncludeCert false: the SignedData carries no certificate (the verifier has the signer's); absent: included.
      P7Sign: S((a) => this.sign(this.bytes(a, 'strValueBase64', true), 'P7Sign', flag(a, 'isDetach') ? 'pkcs7-detached' : 'pkcs7-attached', includeCert(a))),
      P7SignString: S((a) => this.sign(this.bytes(a, 'strValue', false), 'P7SignString', flag(a, 'isDetach') ? 'pkcs7-detached' : 'pkcs7-attached', includeCert(a))),
      GetSignCert: S(async () => b64((await this.reported()).certificate)),
      GetSignCertType: S(async () => ((await this.reported()).algorithm === 'SM2-SM3' ? 'SM2' : 'RSA')),
      // The digest of the last signed content with the algorithm the signature used (SM3 without Z_A).
      GetSignHash: S(() => (this.last ? b64(this.last.digest) : fail(BRIDGE_ERR.NOT_SELECTED, '尚未签名'))),
      GetSignVersion: S(() => '1'),
      GetLastError: N(() => this.lastError.code),
      GetLastErrorMessage: S(() => this.lastError.message),
      // The vendor hands the PIN typed in its own dialog to the page; we never do.
      GetPinCode: S(() => {
        this.ctx.log('bridge.refused-call', { protocol: 'jit', origin: this.ctx.origin, func: 'GetPinCode', reason: 'pin-read' });
        this.lastError = { code: BRIDGE_ERR.REFUSED, message: REFUSAL_MESSAGES['pin-read'].zh };
        return '';
      }),
    };
  }

  /** For diagnostics and tests: SetChooseSingleCert's last value (it changes nothing: our consent always shows). */
  get choosesSingle(): boolean {
    return this.chooseSingle;
  }
}
