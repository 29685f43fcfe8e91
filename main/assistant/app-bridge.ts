/**
 * The app serves the bridge (the CA assistants' loopback protocols): started from policy in its
 * own process (Electron utilityProcess; tests fork the same entry), answering the policy's signing
 * origins, with every signature through the one consent-and-record path — the consent slot of the
 * embedded portal's login, the consent on the assistant's own Consent screen, each signature in
 * the signature log (`via: bridge`). Plain functions over what main/app hands in.
 */
import nodePath from 'node:path';
import { AssistantError, toErrorInfo } from '../errors.ts';
import type { KeyStore } from '../keystores/types.ts';
import { createKeyBridgeHost, type HostKeyStore, type KeyBridgeHost } from '../bridge/host.ts';
import { startBridgeProcess, type BridgeTransport, type RunningBridge } from '../bridge/process-host.ts';
import type { BridgeStartOptions } from '../bridge/process-protocol.ts';
import type { BridgePorts } from '../bridge/server.ts';
import { STANDARD_PORTS } from '../bridge/server.ts';
import type { BridgeNote, BridgeProtocol } from '../bridge/types.ts';
import { createSigningPath, signatureLogRecord, type ConsentSlot, type SigningPath } from '../login/signing-path.ts';
import type { SignatureRecord as LogRecord } from '../login/signature-log.ts';
import type { ParsedCertificate } from '../pki/certificate.ts';
import type { Policy } from '../policy/policy.ts';
import { machinePolicyPath } from '../policy/load.ts';
import type { BridgeStatusView } from '../../common/ipc-contract.ts';
import type { RegisteredStore } from './certificates.ts';
import { type BridgeConsentPresenter } from './ipc-handlers.ts';
import { isWrongSecret } from '../keystores/errors.ts';
import type { LogFields } from './world.ts';

/**
 * Where the wss leaf lives: per machine, beside the machine policy (%ProgramData%\CertAssistant\bridge
 * on Windows), written by the installer (`--cli bridge-cert issue`), writable by administrators only.
 */
export function bridgeTlsDir(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string {
  const p = platform === 'win32' ? nodePath.win32 : nodePath.posix;
  return p.join(p.dirname(machinePolicyPath(platform, env)), 'bridge');
}

export type BridgePolicy = Pick<Policy, 'bridgeEnabled' | 'bridgeProtocols' | 'bridgeAcceptPagePin' | 'allowedOrigins'>;

/** What the bridge process is started with: the policy's protocols, signing origins and page-PIN rule. */
export function bridgeStartOptions(policy: BridgePolicy, tls: { cert: string; key: string } | null, ports?: Partial<BridgePorts>): BridgeStartOptions {
  return {
    protocols: [...new Set(policy.bridgeProtocols)],
    allowedOrigins: [...policy.allowedOrigins],
    acceptPagePin: policy.bridgeAcceptPagePin === true,
    ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
    ...(ports ? { ports } : {}),
  };
}

/**
 * A key store whose PIN refusals go back to the open consent: the user may type the PIN again
 * there (the key is never retried by us). Everything else is the store's own (a Proxy, so calls
 * the key stores gain later — decryption — pass through unchanged).
 */
export function consentReportingStore(store: KeyStore, presenter: Pick<BridgeConsentPresenter, 'retryPin'>): KeyStore {
  /** The PIN loop for every key operation that takes one (sign, signDigest, decrypt, decryptEnvelope: PIN last). */
  const withPinRetry = (run: (...a: unknown[]) => Promise<unknown>) => async (...args: unknown[]): Promise<unknown> => {
    const a = [...args];
    for (;;) {
      try {
        return await run(...a);
      } catch (e) {
        const error = toErrorInfo(e, 'SIGN_FAILED');
        if (!isWrongSecret(error.code)) throw e;
        // Rejects (USER_DENIED / CONSENT_TIMEOUT) when the user gives up: that is what the page gets.
        a[a.length - 1] = await presenter.retryPin(error);
      }
    }
  };
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, key) {
      const v: unknown = Reflect.get(target, key, target);
      if (typeof v !== 'function') return v;
      const bound = (v as (...a: unknown[]) => Promise<unknown>).bind(target);
      if (key !== 'sign' && key !== 'signDigest' && key !== 'decrypt' && key !== 'decryptEnvelope') return bound;
      if (!wrapped.has(key)) wrapped.set(key, withPinRetry(bound));
      return wrapped.get(key);
    },
  });
}

/**
 * The signing path as the bridge host uses it: when a signature (or decryption) ends, the open
 * bridge consent hears how. CONSENT_BUSY is the one failure that happens without holding the
 * slot — another consent is open, and it is not this call's to close.
 */
export function consentReportingPath(path: SigningPath, presenter: Pick<BridgeConsentPresenter, 'finish'>): SigningPath {
  const report = <A extends unknown[], R>(run: (...a: A) => Promise<R>) => async (...a: A): Promise<R> => {
    try {
      const r = await run(...a);
      presenter.finish({ ok: true });
      return r;
    } catch (e) {
      const error = toErrorInfo(e, 'SIGN_FAILED');
      if (error.code !== 'CONSENT_BUSY') presenter.finish({ ok: false, error });
      throw e;
    }
  };
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(path, {
    get(target, key) {
      const v: unknown = Reflect.get(target, key, target);
      if (typeof v !== 'function') return v;
      if (key !== 'sign' && key !== 'signChoosing' && key !== 'decrypt') return (v as (...a: unknown[]) => unknown).bind(target);
      if (!wrapped.has(key)) wrapped.set(key, report((v as (...a: unknown[]) => Promise<unknown>).bind(target)));
      return wrapped.get(key);
    },
  });
}

/** The app's key stores as the bridge host sees them (USB keys, Windows store, opened files). */
export function bridgeHostStores(stores: RegisteredStore[], presenter: Pick<BridgeConsentPresenter, 'retryPin'>): HostKeyStore[] {
  return stores.map((reg) => ({
    key: `${reg.storeId}:${reg.path ?? reg.label}`,
    store: consentReportingStore(reg.store, presenter),
    hardware: reg.source !== 'file',
  }));
}

const PROTOCOL_NAME: Record<BridgeProtocol, { zh: string; en: string }> = {
  bjca: { zh: '北京CA 证书应用环境', en: 'BJCA XTXApp' },
  hebca: { zh: '河北CA 助手', en: 'HEBCA assistant' },
  jit: { zh: '吉大正元 网关客户端', en: 'JIT gateway client' },
};

/** The certificate screen's line: what is served, and which ports another program holds (we do not fight it). */
export function bridgeStatusView(s: { enabled: boolean; protocols: BridgeProtocol[]; endpoints: string[]; busy: Array<{ protocol: BridgeProtocol; port: number }>; failed?: string | null }): BridgeStatusView {
  if (!s.enabled) return { state: 'off', protocols: [], endpoints: [], busyPorts: [], message: null, messageEn: null };
  if (s.failed) {
    return {
      state: 'failed', protocols: s.protocols, endpoints: [], busyPorts: [],
      message: '未能启动 CA 证书助手兼容服务，门户原有的登录页面暂时无法使用本助手。', messageEn: 'The CA assistant compatibility service did not start; the portals\' own login pages cannot use this assistant now.',
    };
  }
  const busy = [...new Map(s.busy.map((b) => [`${b.protocol}:${b.port}`, b])).values()].sort((a, b) => a.port - b.port);
  if (busy.length === 0) return { state: 'serving', protocols: s.protocols, endpoints: s.endpoints, busyPorts: [], message: null, messageEn: null };
  const names = [...new Set(busy.map((b) => b.protocol))];
  const ports = busy.map((b) => b.port);
  return {
    state: 'serving', protocols: s.protocols, endpoints: s.endpoints, busyPorts: busy,
    message: `端口 ${ports.join('、')} 已被其他程序占用（多为${names.map((n) => PROTOCOL_NAME[n].zh).join('、')}自带的证书助手），这些网页调用由该程序应答，本助手不与它争用。`,
    messageEn: `Port${ports.length > 1 ? 's' : ''} ${ports.join(', ')} ${ports.length > 1 ? 'are' : 'is'} held by another program (usually the ${names.map((n) => PROTOCOL_NAME[n].en).join(' / ')} of the CA); pages calling ${ports.length > 1 ? 'them' : 'it'} talk to that program, and this assistant does not compete.`,
  };
}

export interface AppBridgeOptions {
  policy: BridgePolicy;
  /** The wss leaf (per machine, issued by the installer); null: BJCA is served on ws only. */
  tls: { cert: string; key: string } | null;
  /** The app's key stores, asked on every certificate list (files opened later included). */
  stores: () => RegisteredStore[];
  presenter: BridgeConsentPresenter;
  /** The one consent slot shared with the embedded portal's authenticate. */
  slot: ConsentSlot;
  siteName: (origin: string) => string | null;
  /** Appends to the signature log; a failure to record never undoes a consented signature. */
  record: (r: LogRecord) => Promise<unknown>;
  onRecordFailed?: (code: string) => void;
  transport: () => BridgeTransport;
  now: () => Date;
  randomId: () => string;
  /** Tests: port 0 everywhere; the app uses the CAs' standard ports. */
  ports?: Partial<BridgePorts>;
  consentTimeoutMs?: number;
  log?: (event: string, fields?: LogFields) => void;
  /** The certificate verdict's trust anchors: PKCS#7 outputs carry the path validated with them (sent-chain.ts). */
  anchors?: () => readonly ParsedCertificate[];
}

export interface AppBridge {
  status(): BridgeStatusView;
  /** A key was inserted or removed: forget the cached list, tell every open page. */
  keysChanged(): void;
  /** Closes every socket and listener, then the process. */
  stop(): Promise<void>;
  /** For tests and diagnostics: the signing path the bridge's signatures go through. */
  readonly path: SigningPath | null;
}

const OFF: AppBridge = { status: () => bridgeStatusView({ enabled: false, protocols: [], endpoints: [], busy: [] }), keysChanged: () => {}, stop: async () => {}, path: null };

/** Starts the bridge when policy enables it; never throws (a failure to start is a status, not a crash). */
export async function startAppBridge(opts: AppBridgeOptions): Promise<AppBridge> {
  const protocols = [...new Set(opts.policy.bridgeProtocols)];
  if (!opts.policy.bridgeEnabled || protocols.length === 0 || opts.policy.allowedOrigins.length === 0) return OFF;
  const log = opts.log ?? (() => {});
  const busy: Array<{ protocol: BridgeProtocol; port: number }> = [];
  const path = createSigningPath({
    ask: (view, signal) => opts.presenter.ask(view, signal),
    record: (r) => {
      opts.record(signatureLogRecord(r, 'bridge')).catch((e: unknown) => opts.onRecordFailed?.(toErrorInfo(e, 'SIGNATURE_LOG_IO').code));
    },
    now: opts.now,
    randomId: opts.randomId,
    siteName: opts.siteName,
    slot: opts.slot,
    ...(opts.consentTimeoutMs !== undefined ? { timeoutMs: opts.consentTimeoutMs } : {}),
    ...(opts.anchors ? { anchors: opts.anchors } : {}),
  });
  const note = (n: BridgeNote): void => {
    // One line per event, never a payload: the origin, the reason, the port.
    if (n.event === 'port-busy') busy.push({ protocol: n.protocol, port: n.port });
    log(`bridge.${n.event}`, n.event === 'refused' ? { origin: n.origin, reason: n.reason, protocol: n.protocol } : n.event === 'port-busy' ? { protocol: n.protocol, port: n.port } : { origin: n.origin, protocol: n.protocol });
  };
  const host: KeyBridgeHost = createKeyBridgeHost({ stores: () => bridgeHostStores(opts.stores(), opts.presenter), path: consentReportingPath(path, opts.presenter), note });
  let running: RunningBridge | null = null;
  let failed: string | null = null;
  let exited = false;
  try {
    running = await startBridgeProcess({
      transport: opts.transport(),
      host,
      options: bridgeStartOptions(opts.policy, opts.tls, opts.ports ?? STANDARD_PORTS),
      log: (event, fields) => log(event, fields),
    });
    running.onExit((code) => {
      exited = true;
      log('bridge.exited', { code });
    });
  } catch (e) {
    failed = e instanceof AssistantError ? e.code : 'BRIDGE_START_FAILED';
    log('bridge.start-failed', { error: String((e as Error)?.message ?? e).slice(0, 200) });
  }
  return {
    path,
    status: () => bridgeStatusView({
      enabled: true, protocols, busy,
      endpoints: running && !exited ? running.endpoints.map((e) => e.url) : [],
      failed: failed ?? (exited ? 'BRIDGE_EXITED' : null),
    }),
    keysChanged() {
      host.invalidate();
      if (!exited) running?.keysChanged();
    },
    stop: async () => {
      await running?.stop();
    },
  };
}
