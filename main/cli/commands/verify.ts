import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { AssistantError, toErrorInfo } from '../../errors.ts';
import { loadTrustAnchors } from '../../pki/trust.ts';
import { MemoryChallengeStore } from '../../login/challenge-store.ts';
import { checkChallenge } from '../../login/tbs.ts';
import { DEFAULT_MAX_TOKEN_BYTES } from '../../login/token-format.ts';
import { verifyLoginToken, type VerifyOptions, type VerifyResult } from '../../login/verify.ts';
import { verifySofLogin } from '../../login/sof-login.ts';
import { EXIT_FAIL, EXIT_OK, parseCommand, usageError, readAll, writeJson, type CliIO } from '../io.ts';

const USAGE = `用法 / Usage: cert-assistant verify --origin URL --challenge B64 --trust PATH [--trust PATH]... [--expect-uscc CODE] [--now ISO] [--crl FILE]... [--fetch-crl] [--ocsp] [--ocsp-url URL] [--require-revocation] TOKEN|-
       cert-assistant verify --sof --random R --certificate FILE --signature B64|FILE --trust PATH [...同上 / as above]

验证登录令牌（门户使用）。TOKEN 为令牌文本、令牌文件，或 - 表示从标准输入读取。
Verifies a login token (for portals). TOKEN is the token text, a token file, or - for stdin.
  --origin URL        本站来源 / this site's origin
  --challenge B64     本次签发的挑战值（视为在 --now 时签发）/ the challenge issued (taken as issued at --now)
  --trust PATH        受信任的根证书文件或目录（可重复）/ trusted root file or folder (repeatable)
  --expect-uscc CODE  账号的统一社会信用代码 / the account's USCC
  --now ISO           验证时刻（默认当前时间）/ verification time (default: now)
  --crl FILE          证书吊销列表（DER/PEM，可重复）/ CRL file, DER or PEM (repeatable)
  --fetch-crl         无 --crl 覆盖时从证书的 CRL 分发点下载（5 秒超时，10 MB 上限），并询问证书的 OCSP 服务 / fetch CRLs from the distribution points and ask the certificates' OCSP responders
  --ocsp              询问证书中的 OCSP 服务（5 秒超时）/ ask the OCSP responders named in the certificates
  --ocsp-url URL      使用此 OCSP 服务（代替证书中的地址）/ ask this OCSP responder instead
  --require-revocation 证书链每一级都须有 CRL 或 OCSP 的确定结果，否则拒绝 / every link of the chain needs a definite CRL or OCSP status
  --no-bundled        不加载内置的 certs/trust / do not load the bundled anchors
  --sof               验证 CA 助手（SOF）登录：UserCert + UserSignedData，不绑定来源网站（cert-login:1 更安全）
                      verify a CA-assistant (SOF) login: UserCert + UserSignedData; binds no origin (cert-login:1 is safer)
  --random R          本次签发的随机数（原样，视为在 --now 时签发）/ the random issued (as is, taken as issued at --now)
  --certificate FILE  UserCert：证书文件（PEM 或 DER；PEM 中其后的证书作为中间证书）/ certificate file (PEM or DER; further PEM certificates are intermediates)
  --signature S       UserSignedData：Base64 签名值或其文件 / base64 signature value, or a file holding it
输出 JSON：{ok, code?, message?, uscc, subject, …}；通过退出码 0，拒绝退出码 1。
Prints JSON {ok, code?, message?, uscc, subject, …}; exit 0 accepted, 1 rejected.
`;

const usage = (io: CliIO, why: string): number => usageError(io, why, USAGE);

/** The token from stdin, a file, or the argument itself; bounded before it is read whole. */
async function readToken(arg: string, io: CliIO): Promise<Uint8Array> {
  // One byte over the verifier's limit is enough for it to answer TOKEN_TOO_LARGE.
  const cap = DEFAULT_MAX_TOKEN_BYTES + 1;
  if (arg === '-') {
    try {
      return new Uint8Array(await readAll(io.stdin, 4 * cap));
    } catch {
      return new Uint8Array(cap);
    }
  }
  const trimmed = arg.trim();
  if (!trimmed.startsWith('{')) {
    const p = resolve(io.cwd, arg);
    if (arg.length < 4096 && existsSync(p) && statSync(p).isFile()) {
      if (statSync(p).size > 4 * cap) return new Uint8Array(cap);
      return new Uint8Array(readFileSync(p));
    }
  }
  return new Uint8Array(Buffer.from(arg, 'utf8'));
}

export async function run(args: string[], io: CliIO): Promise<number> {
  const opened = parseCommand(args, io, USAGE, {
    sof: { type: 'boolean' }, random: { type: 'string' }, certificate: { type: 'string' }, signature: { type: 'string' },
    origin: { type: 'string' }, challenge: { type: 'string' }, trust: { type: 'string', multiple: true }, 'expect-uscc': { type: 'string' },
    now: { type: 'string' }, crl: { type: 'string', multiple: true }, 'fetch-crl': { type: 'boolean' },
    ocsp: { type: 'boolean' }, 'ocsp-url': { type: 'string' }, 'require-revocation': { type: 'boolean' }, 'no-bundled': { type: 'boolean' },
  }, true);
  if (typeof opened === 'number') return opened;
  const { values, positionals } = opened;
  const ocspUrl = values['ocsp-url'];
  if (ocspUrl !== undefined && !/^https?:\/\/\S+$/i.test(ocspUrl)) return usage(io, '--ocsp-url 须为 http(s) 地址 / --ocsp-url must be an http(s) URL');
  if (values.sof) return runSof(values, positionals, io);
  const now = checkedOpening(values, ['origin', 'challenge', 'trust'], positionals.length !== 1 ? '须给出一个令牌（或 - 表示标准输入）/ give exactly one TOKEN (or -)' : null, io);
  if (typeof now === 'number') return now;
  const origin = values.origin!;
  const challenge = values.challenge!;
  try {
    checkChallenge(challenge);
  } catch (e) {
    return usage(io, (e as Error).message);
  }
  return verifyAndPrint(values, now, challenge, io, async (common) => verifyLoginToken(await readToken(positionals[0]!, io), { origin, challenge, ...common }));
}

type CommonOptions = Omit<VerifyOptions, 'origin' | 'challenge'>;

/** Loads trust anchors and CRLs, registers the one challenge this run may consume, verifies, prints JSON; exit 0/1. */
async function verifyAndPrint(values: Values, now: Date, challenge: string, io: CliIO, verify: (o: CommonOptions) => Promise<VerifyResult>): Promise<number> {
  try {
    const trustAnchors = loadTrustAnchors((values.trust ?? []).map((p) => resolve(io.cwd, p)), { includeBundled: !values['no-bundled'] });
    if (trustAnchors.length === 0) throw new AssistantError('TRUST_EMPTY', '没有可用的受信任根证书', { en: 'no trust anchors loaded' });
    const crls = (values.crl ?? []).map((f) => new Uint8Array(readFileSync(resolve(io.cwd, f))));
    // One-shot store: the challenge given is the one this verification may consume.
    const challengeStore = new MemoryChallengeStore({ maxSize: 1 });
    challengeStore.register(challenge, now);
    const result = await verify({
      trustAnchors, challengeStore, now, crls, allowNetworkFetch: values['fetch-crl'] === true,
      ...(values.ocsp || values['ocsp-url'] !== undefined ? { ocsp: values['ocsp-url'] !== undefined ? { responderUrl: values['ocsp-url'] } : {} } : {}),
      ...(values['require-revocation'] ? { requireRevocation: true } : {}),
      ...(values['expect-uscc'] !== undefined ? { expectedUscc: values['expect-uscc'] } : {}),
    });
    writeJson(io.stdout, result.ok ? result : { uscc: null, subject: null, ...result });
    return result.ok ? EXIT_OK : EXIT_FAIL;
  } catch (e) {
    const info = toErrorInfo(e);
    io.stderr.write(`错误 [${info.code}]: ${info.message}\n`);
    return EXIT_FAIL;
  }
}

/**
 * What both openings check, in this order: every required option is there (an empty value or list
 * counts as missing), the TOKEN count (`tokenProblem`), --now. The clock, or the usage exit code.
 */
function checkedOpening(values: { now?: string } & Record<string, unknown>, required: string[], tokenProblem: string | null, io: CliIO): Date | number {
  const missing = required.find((name) => {
    const v = values[name];
    return v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
  });
  if (missing) return usage(io, `缺少 --${missing} / --${missing} is required`);
  if (tokenProblem) return usage(io, tokenProblem);
  return nowOption(values.now, io) ?? usage(io, '--now 须为 ISO 8601 时间 / --now must be an ISO 8601 time');
}

function nowOption(v: string | undefined, io: CliIO): Date | null {
  if (v === undefined) return io.now();
  const now = new Date(v);
  return /^\d{4}-\d{2}-\d{2}/.test(v) && !Number.isNaN(now.getTime()) ? now : null;
}

/** A certificate file: DER, or PEM whose first certificate is the leaf and the rest intermediates (base64 each). */
function certificateFile(path: string): { leaf: string; intermediates: string[] } {
  const bytes = readFileSync(path);
  const text = bytes.toString('latin1');
  const pems = [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => m[1]!.replace(/\s+/g, ''));
  if (pems.length > 0) return { leaf: pems[0]!, intermediates: pems.slice(1) };
  return { leaf: bytes.toString('base64'), intermediates: [] };
}

type Values = { random?: string; certificate?: string; signature?: string; trust?: string[]; 'expect-uscc'?: string; now?: string; crl?: string[]; 'fetch-crl'?: boolean; ocsp?: boolean; 'ocsp-url'?: string; 'require-revocation'?: boolean; 'no-bundled'?: boolean };

/** `verify --sof`: the CA assistants' login (random + UserCert + UserSignedData) through verifySofLogin. */
async function runSof(values: Values, positionals: string[], io: CliIO): Promise<number> {
  const now = checkedOpening(values, ['random', 'certificate', 'signature', 'trust'], positionals.length !== 0 ? '--sof 不接受令牌参数 / --sof takes no TOKEN' : null, io);
  if (typeof now === 'number') return now;
  const random = values.random!;
  const certificate = values.certificate!;
  const signatureArg = values.signature!;
  return verifyAndPrint(values, now, random, io, async (common) => {
    const certPath = resolve(io.cwd, certificate);
    if (!existsSync(certPath) || !statSync(certPath).isFile() || statSync(certPath).size > 256 * 1024) throw new AssistantError('FILE_UNREADABLE', `无法读取证书文件 ${certificate}`, { en: `cannot read certificate file ${certificate}` });
    const { leaf, intermediates } = certificateFile(certPath);
    const sigPath = resolve(io.cwd, signatureArg);
    const signature = signatureArg.length < 4096 && existsSync(sigPath) && statSync(sigPath).isFile() && statSync(sigPath).size < 16 * 1024 ? readFileSync(sigPath, 'utf8').trim() : signatureArg;
    return verifySofLogin({ certificate: leaf, intermediates, signature, random }, { challenge: random, ...common });
  });
}
