import { readFileSync } from 'node:fs';
import os from 'node:os';
import { AssistantError, isAssistantError, toErrorInfo, type ErrorInfo } from '../../errors.ts';
import type { KeyIdentity, KeyStore } from '../../keystores/types.ts';
import { Pkcs12KeyStore } from '../../keystores/pkcs12/index.ts';
import { checkModulePath } from '../../keystores/module-path.ts';
import { KeyStoreWorkerClient } from '../../keystores/worker/client.ts';
import { forkWorkerSpawner } from '../../keystores/worker/fork-transport.ts';
import { WorkerKeyStore } from '../../keystores/worker/remote-store.ts';
import { windowsStoreKeyStore } from '../../keystores/windows/index.ts';
import { loadPolicy } from '../../policy/index.ts';
import { signatureRecord, SignatureLog } from '../../login/signature-log.ts';
import { checkChallenge, normalizeOrigin } from '../../login/tbs.ts';
import { parseCertificate } from '../../pki/certificate.ts';
import { inspectCertificate } from '../../pki/inspect.ts';
import { userDataDir } from '../../policy/user-data.ts';
import { createLoginToken, type LoginTokenFormat } from '../../login/token.ts';
import { EXIT_FAIL, EXIT_OK, parseCommand, usageError, readSecretLine, type CliIO } from '../io.ts';
import { localTrustAnchors } from '../local-trust.ts';

const USAGE = `用法 / Usage: cert-assistant login --origin URL --challenge B64 (--pfx FILE | --module PATH [--slot N] [--id HEX] | --skf PATH [--id DEVICE/APP/CONTAINER] | --windows-store [--id SHA256]) --pin-stdin [--format json|cms]

对门户的挑战值签名，输出登录令牌（cert-login:1 JSON；--format cms 时输出 Base64 DER）。
Signs a portal's challenge and prints the login token (cert-login:1 JSON; base64 DER for --format cms).
  --origin URL      门户地址（只取其来源 scheme://host[:port]）/ the portal origin
  --challenge B64   门户签发的挑战值 / the challenge the portal issued
  --pfx FILE        PFX/P12 证书文件（文件密码即 PIN）/ a PFX file (its password is the PIN)
  --module PATH     USB Key 的 PKCS#11 驱动绝对路径 / absolute path of the PKCS#11 module
  --slot N          插槽号 / slot id      --id HEX   证书 CKA_ID / key id
  --skf PATH        国密 USB Key 的 SKF 驱动（GM/T 0016）绝对路径 / absolute path of an SKF library (SM2 keys)
  --id D/A/C        与 --skf 一起：设备/应用/容器（见 tokens --skf）/ with --skf: device/application/container
  --windows-store   Windows 证书存储（当前用户“个人”存储）/ the Windows certificate store (CurrentUser\\My)
  --id SHA256       与 --windows-store 一起：证书的 SHA-256 指纹（见 tokens --windows-store）/ with --windows-store: the certificate's SHA-256 fingerprint
  --pin-stdin       从标准输入第一行读取 PIN（必需；PIN 不接受命令行参数）/ read the PIN from stdin (required)
                    --windows-store 时可省略：由证书的密钥服务（CSP）自己弹出 PIN 对话框 / optional with --windows-store: the CSP asks for the PIN itself
  --format F        json（默认）或 cms / json (default) or cms
PIN 错误时退出码 1、错误码 PIN_INCORRECT（附剩余次数），已锁定为 PIN_LOCKED；不会自动重试。
A wrong PIN exits 1 with PIN_INCORRECT (and the tries left), a locked key with PIN_LOCKED; never retried.
`;

/** What a token says when package.json cannot be read (a bundle without it). */
const UNKNOWN_VERSION = '0.0.0';

function appVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : UNKNOWN_VERSION;
  } catch {
    return UNKNOWN_VERSION;
  }
}

const usage = (io: CliIO, why: string): number => usageError(io, why, USAGE);

function fail(io: CliIO, info: ErrorInfo): number {
  io.stderr.write(`错误 [${info.code}]: ${info.message}\n`);
  io.stderr.write(JSON.stringify({ ok: false, error: info }) + '\n');
  return EXIT_FAIL;
}

/** Picks the one identity the options name; several or none is an error that lists the choices. */
/** SKF ids are `<device>/<application>/<container>`, each URI-encoded; users may type them decoded. */
function sameSkfId(identityId: string, wanted: string): boolean {
  if (identityId === wanted) return true;
  try {
    return identityId.split('/').map(decodeURIComponent).join('/') === wanted;
  } catch {
    return false;
  }
}

/** Every signature goes into the user's signature log; the token is already out, so a log failure is a warning. */
async function recordSignature(io: CliIO, certificate: Uint8Array, origin: string, tbs: Uint8Array): Promise<void> {
  try {
    const report = inspectCertificate(parseCertificate(certificate), { now: io.now(), anchors: [], intermediates: [] });
    const uscc = report.identity.uscc?.valid ? report.identity.uscc.value : null;
    await new SignatureLog(userDataDir(process.platform, io.env, os.homedir())).append(signatureRecord({
      certificate: { fingerprintSha256: report.fingerprintSha256, enterpriseName: report.enterpriseName, uscc },
      origin, protocol: 'cert-login:1', operation: 'login', via: 'cli', content: tbs, now: io.now(),
    }));
  } catch (e) {
    const info = toErrorInfo(e);
    io.stderr.write(`警告 [${info.code}]: 签名已完成，但未能写入签名记录：${info.message}\n`);
  }
}

function pickIdentity(ids: KeyIdentity[], slot: number | undefined, idHex: string | undefined): KeyIdentity {
  const matches = ids.filter((i) => {
    if (slot !== undefined && (i.location.kind !== 'pkcs11' || i.location.slot !== slot)) return false;
    if (idHex !== undefined && i.location.kind === 'skf') return sameSkfId(i.id, idHex);
    if (idHex !== undefined) {
      const own = i.id.includes(':') ? i.id.slice(i.id.indexOf(':') + 1) : i.id;
      if (own.toLowerCase() !== idHex.toLowerCase() && i.id.toLowerCase() !== idHex.toLowerCase()) return false;
    }
    return true;
  });
  const choices = ids.map((i) => ({ id: i.id, label: i.label, ...(i.location.kind === 'pkcs11' ? { slot: i.location.slot } : {}), ...(i.location.kind === 'skf' ? { device: i.location.deviceLabel } : {}) }));
  if (matches.length === 0) throw new AssistantError('NO_CERTIFICATE', '找不到可用于登录的证书（请检查 --slot/--id）', { en: 'no matching certificate with a private key', details: { choices } });
  if (matches.length > 1) throw new AssistantError('CERTIFICATE_AMBIGUOUS', '有多张证书，请用 --slot 和 --id 指定一张', { en: 'several certificates match; choose one with --slot and --id', details: { choices } });
  return matches[0]!;
}

export async function run(args: string[], io: CliIO): Promise<number> {
  const opened = parseCommand(args, io, USAGE, {
    origin: { type: 'string' }, challenge: { type: 'string' }, pfx: { type: 'string' }, module: { type: 'string' }, skf: { type: 'string' }, 'windows-store': { type: 'boolean' },
    slot: { type: 'string' }, id: { type: 'string' }, 'pin-stdin': { type: 'boolean' }, format: { type: 'string' },
  });
  if (typeof opened === 'number') return opened;
  const { values } = opened;
  if (!values.origin) return usage(io, '缺少 --origin / --origin is required');
  if (!values.challenge) return usage(io, '缺少 --challenge / --challenge is required');
  const windowsStore = values['windows-store'] === true;
  if ([values.pfx, values.module, values.skf, windowsStore ? true : undefined].filter((v) => v !== undefined).length !== 1) {
    return usage(io, '须且只能指定 --pfx、--module、--skf、--windows-store 之一 / give exactly one of --pfx, --module, --skf, --windows-store');
  }
  // The Windows store's CSP may ask for the PIN in its own dialog; everywhere else it comes from stdin.
  if (!values['pin-stdin'] && !windowsStore) return usage(io, '须用 --pin-stdin 从标准输入提供 PIN / the PIN must come from stdin (--pin-stdin)');
  const format = (values.format ?? 'json') as LoginTokenFormat;
  if (format !== 'json' && format !== 'cms') return usage(io, '--format 只能是 json 或 cms / --format must be json or cms');
  let slot: number | undefined;
  if (values.slot !== undefined) {
    if (!/^\d{1,10}$/.test(values.slot)) return usage(io, '--slot 须为非负整数 / --slot must be a non-negative integer');
    slot = Number(values.slot);
  }
  if (values.skf !== undefined) {
    // eslint-disable-next-line no-control-regex
    if (values.id !== undefined && (values.id.length === 0 || values.id.length > 1024 || /[\u0000-\u001f\u007f]/.test(values.id))) return usage(io, '--id 须为 设备/应用/容器 / --id must be device/application/container');
  } else if (windowsStore) {
    if (values.id !== undefined && !/^[0-9a-fA-F]{64}$/.test(values.id.replace(/:/g, ''))) return usage(io, '--id 须为 SHA-256 指纹（64 位十六进制）/ --id must be a SHA-256 fingerprint (64 hex digits)');
    if (values.id !== undefined) values.id = values.id.replace(/:/g, '').toLowerCase();
  } else if (values.id !== undefined && !/^[0-9a-fA-F]{1,256}$/.test(values.id)) return usage(io, '--id 须为十六进制 / --id must be hex');
  if (!values.module && (slot !== undefined)) return usage(io, '--slot 只用于 --module / --slot goes with --module');

  try {
    // Bad input fails before the PIN is even read.
    normalizeOrigin(values.origin);
    checkChallenge(values.challenge);
  } catch (e) {
    return fail(io, toErrorInfo(e));
  }
  const pin = values['pin-stdin'] ? await readSecretLine(io.stdin) : '';
  let store: KeyStore | null = null;
  let client: KeyStoreWorkerClient | null = null;
  let identity: KeyIdentity | null = null;
  try {
    if (values.module) {
      const module = checkModulePath(values.module);
      client = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner({ env: io.env }) });
      store = new WorkerKeyStore(client, { kind: 'pkcs11', module });
    } else if (values.skf) {
      // SM2 USB keys through the vendor's SKF library, isolated in the worker like PKCS#11 drivers.
      const module = checkModulePath(values.skf);
      client = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner({ env: io.env }) });
      store = new WorkerKeyStore(client, { kind: 'skf', module });
    } else if (windowsStore) {
      // CurrentUser\My (LocalMachine\My when policy says), through the worker: CryptoAPI loads vendor CSPs.
      // Without --pin-stdin the user types the PIN in the CSP's own dialog: give them time to.
      client = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner({ env: io.env }), ...(pin === '' ? { timeouts: { 'store.sign': 120_000 } } : {}) });
      store = windowsStoreKeyStore(client, { localMachine: loadPolicy({ env: io.env }).policy.windowsStoreLocalMachine });
    } else {
      store = await Pkcs12KeyStore.open(values.pfx!, { password: pin });
    }
    identity = pickIdentity(await store.listIdentities(), slot, values.id);
    const anchors = localTrustAnchors(io.env);
    const created = await createLoginToken({
      origin: values.origin, challenge: values.challenge, store, identityId: identity.id, pin, format, appVersion: appVersion(), now: io.now(),
      ...(anchors ? { anchors } : {}),
    });
    io.stdout.write(created.token + '\n');
    await recordSignature(io, identity.certificate, normalizeOrigin(values.origin), created.tbs);
    return EXIT_OK;
  } catch (e) {
    const info = toErrorInfo(e);
    if (info.code === 'PIN_INCORRECT' && store && identity) {
      // Tell how many tries are left when the key says so; never try again ourselves.
      try {
        const state = await store.pinState(identity.id);
        info.details = { ...info.details, retriesLeft: state.retriesLeft, finalTry: state.finalTry, locked: state.locked };
      } catch {
        // The PIN state is a courtesy; the error stands without it.
      }
    }
    if (!isAssistantError(e) && io.env['CERT_ASSISTANT_DEBUG']) io.stderr.write(String((e as Error)?.stack) + '\n');
    return fail(io, info);
  } finally {
    try {
      await store?.close();
    } catch {
      // Closing a store that failed to open is best effort.
    }
    await client?.close();
  }
}
