import { readFileSync } from 'node:fs';
import os from 'node:os';
import { basename } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { AssistantError, toErrorInfo } from '../../errors.ts';
import { createKeyBridgeHost, type HostKeyStore } from '../../bridge/host.ts';
import { forkBridgeTransport, startBridgeProcess, type RunningBridge } from '../../bridge/process-host.ts';
import { BRIDGE_PROTOCOLS, DEFAULT_BRIDGE_PROTOCOLS, type BridgeNote, type BridgeProtocol } from '../../bridge/types.ts';
import { checkModulePath } from '../../keystores/module-path.ts';
import type { KeyIdentity, KeyStore } from '../../keystores/types.ts';
import { KeyStoreWorkerClient } from '../../keystores/worker/client.ts';
import { forkWorkerSpawner } from '../../keystores/worker/fork-transport.ts';
import { openPkcs12InWorker, WorkerKeyStore } from '../../keystores/worker/remote-store.ts';
import { windowsStoreKeyStore } from '../../keystores/windows/index.ts';
import { SignatureLog } from '../../login/signature-log.ts';
import { createSigningPath, signatureLogRecord, type ConsentAnswer, type ConsentView, type SignatureRecord } from '../../login/signing-path.ts';
import { userDataDir } from '../../policy/user-data.ts';
import { parseOriginRule } from '../../../common/portal-origins.ts';
import { EXIT_FAIL, EXIT_OK, parseCommand, usageError, type CliIO } from '../io.ts';
import { localTrustAnchors } from '../local-trust.ts';
import type { ParsedCertificate } from '../../pki/certificate.ts';

const USAGE = `用法 / Usage: cert-assistant bridge [--pfx FILE]... [--module LIB]... [--skf LIB]... [--windows-store]
        --allow-origin ORIGIN [--allow-origin ORIGIN]... [--protocol bjca|hebca|jit]... [--consent stdin]
        [--bjca-port N] [--bjca-wss-port N] [--hebca-port N] [--jit-port N] [--jit-https-port N]
        [--tls-cert FILE --tls-key FILE]

在本机回环地址上提供 CA 证书助手协议（北京CA 证书应用环境 XTXApp / 河北CA P11 / 吉大正元 PNXClient），让门户原有的登录页面
直接使用本助手；只回答允许来源的页面，每次签名都要您确认，页面传来的 PIN 一律不用。
Serves the CA assistants' local protocols (BJCA XTXApp, HEBCA P11, JIT PNXClient) on loopback so portals' own login
pages work with this assistant; only allowed origins, a consent for every signature, page PINs ignored.
  --pfx FILE           PFX 证书文件（可重复）/ a PFX file (repeatable)
  --module LIB         PKCS#11 驱动（可重复）/ a PKCS#11 module (repeatable)
  --skf LIB            国密 SKF 驱动（可重复）/ an SKF library (repeatable)
  --windows-store      Windows 证书存储（CurrentUser\\My）/ the Windows certificate store
  --allow-origin O     允许签名的来源（必需，可重复）/ an origin allowed to sign (required, repeatable)
  --protocol P         bjca、hebca 或 jit（默认 bjca 与 hebca）/ bjca, hebca or jit (default bjca and hebca)
  --consent stdin      同意请求以 JSON 行输出，从标准输入读一行：allow、allow 密码、deny；
                       列出多张证书（choices）时 choose N [密码] 选第 N 张（从 1 起）
                       consents as JSON lines; one stdin line answers: allow, allow SECRET, deny;
                       with several certificates (choices), choose N [SECRET] picks the N-th (from 1)
  --bjca-port N        默认 21051（环境变量 CERT_ASSISTANT_BJCA_PORT）；0 = 任一空闲端口
  --bjca-wss-port N    默认 21061（CERT_ASSISTANT_BJCA_WSS_PORT），需 --tls-cert/--tls-key
  --hebca-port N       默认 17212（CERT_ASSISTANT_HEBCA_PORT）
  --jit-port N         默认 10086（CERT_ASSISTANT_JIT_PORT），http 页面用
  --jit-https-port N   默认 10087（CERT_ASSISTANT_JIT_HTTPS_PORT），https 页面用，需 --tls-cert/--tls-key
标准输出为 JSON 行：listening、consent、signed、refused、port-busy、keys-changed。SIGTERM 立即结束并释放端口。
每次签名都写入签名记录（与应用相同，用 cert-assistant log 查看）。
Standard output: JSON lines (listening, consent, signed, refused, port-busy, keys-changed). SIGTERM ends it.
Every signature is appended to the signature log, as the app does (see it with cert-assistant log).
`;

const usage = (io: CliIO, why: string): number => usageError(io, why, USAGE);

function portValue(v: string | undefined, env: string | undefined, fallback: number): number | null {
  const s = v ?? env;
  if (s === undefined) return fallback;
  if (!/^\d{1,5}$/.test(s) || Number(s) > 65535) return null;
  return Number(s);
}

/** Answers typed on stdin, one per consent; a line with nobody waiting is dropped. */
class LineAnswers {
  private waiter: ((line: string | null) => void) | null = null;
  private ended = false;
  constructor(rl: Interface) {
    rl.on('line', (line) => {
      const w = this.waiter;
      this.waiter = null;
      w?.(line);
    });
    rl.on('close', () => {
      this.ended = true;
      const w = this.waiter;
      this.waiter = null;
      w?.(null);
    });
  }
  next(signal: AbortSignal): Promise<string | null> {
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.waiter = resolve;
      signal.addEventListener('abort', () => {
        if (this.waiter === resolve) this.waiter = null;
        resolve(null);
      }, { once: true });
    });
  }
}

function parseAnswer(line: string | null): ConsentAnswer {
  if (line === null) return { allow: false };
  const c = /^\s*choose\s+(\d{1,3})(?:\s(.*))?$/.exec(line.replace(/\r$/, ''));
  if (c) {
    const choice = Number(c[1]) - 1;
    return c[2] !== undefined && c[2].length > 0 ? { allow: true, secret: c[2], choice } : { allow: true, choice };
  }
  const m = /^\s*(allow|deny)(?:\s(.*))?$/.exec(line.replace(/\r$/, ''));
  if (!m || m[1] === 'deny') return { allow: false };
  return m[2] !== undefined && m[2].length > 0 ? { allow: true, secret: m[2] } : { allow: true };
}

export async function run(args: string[], io: CliIO): Promise<number> {
  const opened = parseCommand(args, io, USAGE, {
    pfx: { type: 'string', multiple: true }, module: { type: 'string', multiple: true }, skf: { type: 'string', multiple: true },
    'windows-store': { type: 'boolean' }, 'allow-origin': { type: 'string', multiple: true }, protocol: { type: 'string', multiple: true },
    consent: { type: 'string' }, 'bjca-port': { type: 'string' }, 'bjca-wss-port': { type: 'string' }, 'hebca-port': { type: 'string' },
    'jit-port': { type: 'string' }, 'jit-https-port': { type: 'string' },
    'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' },
  });
  if (typeof opened === 'number') return opened;
  const { values } = opened;
  const origins = (values['allow-origin'] as string[] | undefined) ?? [];
  if (origins.length === 0) return usage(io, '至少需要一个 --allow-origin / at least one --allow-origin is required');
  for (const o of origins) if (!parseOriginRule(o)) return usage(io, `不是有效的来源 / not an origin: ${o}`);
  const protocols = [...new Set((values['protocol'] as string[] | undefined) ?? DEFAULT_BRIDGE_PROTOCOLS)] as BridgeProtocol[];
  for (const p of protocols) if (!BRIDGE_PROTOCOLS.includes(p)) return usage(io, `--protocol 只能是 bjca、hebca 或 jit / unknown protocol: ${p}`);
  const consentMode = values['consent'] as string | undefined;
  if (consentMode !== undefined && consentMode !== 'stdin') return usage(io, '--consent 只能是 stdin / --consent must be stdin');
  const ports = {
    bjcaWs: portValue(values['bjca-port'] as string | undefined, io.env['CERT_ASSISTANT_BJCA_PORT'], 21051),
    bjcaWss: portValue(values['bjca-wss-port'] as string | undefined, io.env['CERT_ASSISTANT_BJCA_WSS_PORT'], 21061),
    hebca: portValue(values['hebca-port'] as string | undefined, io.env['CERT_ASSISTANT_HEBCA_PORT'], 17212),
    jit: portValue(values['jit-port'] as string | undefined, io.env['CERT_ASSISTANT_JIT_PORT'], 10086),
    jitHttps: portValue(values['jit-https-port'] as string | undefined, io.env['CERT_ASSISTANT_JIT_HTTPS_PORT'], 10087),
  };
  if (ports.bjcaWs === null || ports.bjcaWss === null || ports.hebca === null || ports.jit === null || ports.jitHttps === null) return usage(io, '端口须为 0–65535 / ports must be 0..65535');
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) return usage(io, '--tls-cert 与 --tls-key 须同时给出 / give both --tls-cert and --tls-key');
  let tls: { cert: string; key: string } | undefined;
  try {
    if (values['tls-cert']) tls = { cert: readFileSync(values['tls-cert'] as string, 'utf8'), key: readFileSync(values['tls-key'] as string, 'utf8') };
  } catch {
    io.stderr.write('错误 [FILE_UNREADABLE]: 无法读取 --tls-cert/--tls-key 文件\n');
    return EXIT_FAIL;
  }

  const emit = (event: Record<string, unknown>): void => {
    io.stdout.write(JSON.stringify(event) + '\n');
  };

  const rl = createInterface({ input: io.stdin, terminal: false });
  const answers = new LineAnswers(rl);

  /** Terminal prompt: the question on stderr, the answer on stdin; the secret line is not echoed back. */
  const askTerminal = async (view: ConsentView, signal: AbortSignal): Promise<ConsentAnswer> => {
    const what = view.operation === 'login' ? '登录' : view.operation === 'decrypt' ? '解密' : '签署内容';
    io.stderr.write(`\n[证书助手] ${view.siteName ?? view.origin} 请求${what}\n  来源: ${view.origin}\n  证书: ${view.certificate.subject}\n`
      + `  单位: ${view.certificate.enterpriseName ?? '—'}  统一社会信用代码: ${view.certificate.uscc ?? '—'}\n`
      + (view.content.kind === 'content' ? `  内容: ${view.content.preview}\n  SHA-256: ${view.content.sha256}\n` : '')
      + (view.choices ? `  可选证书: ${view.choices.map((c, i) => `\n    ${i + 1}. ${c.subject}（${c.enterpriseName ?? '—'}）`).join('')}\n  输入 choose N（或 choose N 后接 PIN）选用第 N 张；allow 使用第 1 张\n` : '')
      + '允许吗？输入 allow（或 allow 后接 PIN/文件密码）或 deny: ');
    return parseAnswer(await answers.next(signal));
  };
  const askStdin = async (view: ConsentView, signal: AbortSignal): Promise<ConsentAnswer> => {
    emit({
      event: 'consent', id: view.id, origin: view.origin, protocol: view.protocol, operation: view.operation,
      certificate: { subject: view.certificate.subject, uscc: view.certificate.uscc, fingerprintSha256: view.certificate.fingerprintSha256 },
      content: { kind: view.content.kind, preview: view.content.preview, sha256: view.content.sha256 },
      ...(view.choices ? { choices: view.choices.map((c) => ({ subject: c.subject, uscc: c.uscc, fingerprintSha256: c.fingerprintSha256 })) } : {}),
    });
    signal.addEventListener('abort', () => emit({ event: 'consent-expired', id: view.id }), { once: true });
    return parseAnswer(await answers.next(signal));
  };
  const ask = consentMode === 'stdin' ? askStdin : askTerminal;

  // Every signature goes into the user's signature log (the same folder and record as the app's bridge)
  // before the page gets it; the `signed` line follows its entry. A failed write is a warning: the
  // user consented and the signature is made.
  const signatureLog = new SignatureLog(userDataDir(process.platform, io.env, os.homedir()));
  let recording: Promise<void> = Promise.resolve();
  const record = (r: SignatureRecord): Promise<void> => {
    recording = recording
      .then(() => signatureLog.append(signatureLogRecord(r, 'bridge')))
      .then(() => undefined, (e: unknown) => {
        const info = toErrorInfo(e);
        io.stderr.write(`警告 [${info.code}]: 签名已完成，但未能写入签名记录：${info.message}\n`);
      })
      .then(() => emit({ ...r }));
    return recording;
  };

  // PKCS#7 outputs carry the path validated with the local anchors (loaded at the first one).
  let anchors: ParsedCertificate[] | null = null;
  const path = createSigningPath({
    ask,
    record,
    now: io.now,
    randomId: () => randomUUID(),
    anchors: () => (anchors ??= localTrustAnchors(io.env) ?? []),
  });

  let client: KeyStoreWorkerClient | null = null;
  const worker = (): KeyStoreWorkerClient => (client ??= new KeyStoreWorkerClient({ spawn: forkWorkerSpawner({ env: io.env }) }));
  const stores: HostKeyStore[] = [];
  const unwatch: Array<() => void> = [];
  let bridge: RunningBridge | null = null;

  try {
    for (const m of (values['module'] as string[] | undefined) ?? []) {
      const module = checkModulePath(m);
      stores.push({ key: `pkcs11:${module}`, store: new WorkerKeyStore(worker(), { kind: 'pkcs11', module }), hardware: true });
    }
    for (const m of (values['skf'] as string[] | undefined) ?? []) {
      const module = checkModulePath(m);
      stores.push({ key: `skf:${module}`, store: new WorkerKeyStore(worker(), { kind: 'skf', module }), hardware: true });
    }
    // CurrentUser\My through the key-store worker; its CSP may show its own PIN dialog (then `allow` needs no PIN).
    if (values['windows-store']) stores.push({ key: 'windows:user', store: windowsStoreKeyStore(worker()), hardware: true });
    for (const file of (values['pfx'] as string[] | undefined) ?? []) {
      stores.push({ key: `pkcs12:${file}`, store: lockedPfxStore(file, worker(), path, ask), hardware: false });
    }
  } catch (e) {
    const info = toErrorInfo(e);
    io.stderr.write(`错误 [${info.code}]: ${info.message}\n`);
    return EXIT_FAIL;
  }

  const note = (n: BridgeNote): void => {
    if (n.event === 'refused') emit({ event: 'refused', origin: n.origin, reason: n.reason, protocol: n.protocol });
    else emit({ ...n });
  };
  const host = createKeyBridgeHost({ stores: () => stores, path, note });
  const h = host;
  for (const s of stores) {
    if (s.store instanceof WorkerKeyStore) {
      unwatch.push(s.store.watch(() => {
        h.invalidate();
        bridge?.keysChanged();
        emit({ event: 'keys-changed' });
      }, { intervalMs: 1_000 }));
    }
  }

  const shutdown = async (): Promise<void> => {
    for (const u of unwatch) u();
    rl.close();
    await bridge?.stop();
    await client?.close();
    // A signature made just before SIGTERM is still written to the log.
    await recording;
  };
  // Signals are caught before anything is announced, so a SIGTERM right after `listening` still ends cleanly.
  let stopRequested: (() => void) | null = null;
  let stopEarly = false;
  const onSignal = (): void => {
    stopEarly = true;
    stopRequested?.();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const unhook = (): void => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };

  try {
    bridge = await startBridgeProcess({
      transport: forkBridgeTransport({ env: io.env }),
      host,
      options: {
        protocols, allowedOrigins: origins, acceptPagePin: false,
        ports: { bjcaWs: ports.bjcaWs, bjcaWss: ports.bjcaWss, hebca: ports.hebca, jit: ports.jit, jitHttps: ports.jitHttps },
        ...(tls ? { tls } : {}),
      },
    });
  } catch (e) {
    io.stderr.write(`错误 [BRIDGE_START_FAILED]: 无法启动证书助手协议服务：${(e as Error).message}\n`);
    unhook();
    await shutdown();
    return EXIT_FAIL;
  }

  return new Promise<number>((resolve) => {
    let done = false;
    const end = (code: number) => {
      if (done) return;
      done = true;
      unhook();
      void shutdown().then(() => resolve(code));
    };
    stopRequested = () => end(EXIT_OK);
    bridge!.onExit(() => end(EXIT_FAIL));
    if (stopEarly) return end(EXIT_OK);
    emit({ event: 'listening', endpoints: bridge!.endpoints.map((e) => ({ protocol: e.protocol, url: e.url, host: e.host, port: e.port })) });
  });
}

/**
 * A PFX whose certificates are encrypted can only be listed with its password: the first list
 * asks for it through a consent ("open", naming the file) and the key-store worker opens the file
 * with it (never this process: its key derivations can cost seconds); signatures then go to the
 * worker with the PIN of their own consent.
 */
function lockedPfxStore(file: string, client: KeyStoreWorkerClient, path: ReturnType<typeof createSigningPath>, ask: (v: ConsentView, s: AbortSignal) => Promise<ConsentAnswer>): KeyStore {
  const remote = new WorkerKeyStore(client, { kind: 'pkcs12', file });
  let opened: KeyStore | null = null;
  let opening: Promise<KeyIdentity[]> | null = null;
  const open = async (): Promise<KeyIdentity[]> => {
    const release = await path.acquire();
    try {
      const abort = new AbortController();
      const t = setTimeout(() => abort.abort(), 120_000);
      const answer = await ask({
        id: randomUUID(), origin: '', siteName: null, protocol: 'file', operation: 'open',
        certificate: { subject: basename(file), enterpriseName: null, uscc: null, fingerprintSha256: '' },
        content: { kind: 'file', preview: `打开证书文件 ${basename(file)}`, sha256: '' },
        expiresAt: new Date(Date.now() + 120_000).toISOString(),
      }, abort.signal).finally(() => clearTimeout(t));
      if (!answer.allow || answer.secret === undefined) throw new AssistantError('USER_DENIED', '未打开证书文件', { en: 'the file was not opened' });
      opened = await openPkcs12InWorker(client, file, answer.secret);
      return opened.listIdentities();
    } finally {
      release();
    }
  };
  return {
    kind: 'pkcs12',
    async listIdentities() {
      if (opened) return opened.listIdentities();
      try {
        // Files with clear certificates list without the password (in the worker too).
        return await remote.listIdentities();
      } catch (e) {
        if (!(e instanceof AssistantError) || e.code !== 'PFX_PASSWORD_REQUIRED') throw e;
        opening ??= open().finally(() => {
          opening = null;
        });
        return opening;
      }
    },
    pinState: (id) => remote.pinState(id),
    sign: (id, data, alg, pin) => remote.sign(id, data, alg, pin),
    // A PFX key signs digests and decrypts in the worker too (each after its own consent).
    signDigest: remote.signDigest!,
    decrypt: remote.decrypt!,
    close: () => remote.close(),
  };
}
