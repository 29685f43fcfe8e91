import { AssistantError, type ErrorInfo } from '../../errors.ts';
import { isHostMessage, type ClientToHost, type WorkerMethod, type WorkerMethods } from './protocol.ts';

/**
 * One running worker as the client sees it. Electron's `utilityProcess.fork()` child and a
 * `child_process.fork()` child both fit through a small adapter (see fork-transport.ts and
 * docs/pkcs11.md).
 */
export interface WorkerTransport {
  postMessage(message: ClientToHost): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the process is gone (crash, kill, normal exit). */
  onExit(listener: (code: number | null) => void): void;
  kill(): void;
}

export type WorkerSpawner = () => WorkerTransport;

export interface WorkerClientOptions {
  spawn: WorkerSpawner;
  /** Per-method timeouts in ms; defaults: sign 15 s, everything else 5 s. */
  timeouts?: Partial<Record<WorkerMethod, number>>;
  /** Time allowed for a new worker to say it is ready (loading TypeScript under tsx is slow). */
  startTimeoutMs?: number;
}

export const DEFAULT_TIMEOUTS: Record<WorkerMethod, number> = {
  ping: 5_000,
  'store.list': 5_000,
  'store.pinState': 5_000,
  'store.sign': 15_000,
  'store.signDigest': 15_000,
  'store.decrypt': 15_000,
  // The device decrypts the content too: the caller adds time for its length (envelopeExtraTimeoutMs).
  'store.decryptEnvelope': 15_000,
  'store.close': 5_000,
  // Within PFX_LIMITS a PFX opens in well under a second; a loaded machine gets plenty of room.
  'pkcs12.open': 20_000,
  'pkcs11.describe': 5_000,
  'pkcs11.tokens': 5_000,
  // SKF keys answer slowly (one APDU per container and certificate).
  'skf.describe': 10_000,
  'skf.tokens': 5_000,
};

/** store.decryptEnvelope's time beyond its table entry: 1 s per 64 KiB of content (a USB key decrypts slowly), at most 128 s. */
export function envelopeExtraTimeoutMs(contentBytes: number): number {
  return Math.min(128_000, Math.ceil(contentBytes / (64 * 1024)) * 1_000);
}

interface Pending {
  id: number;
  method: WorkerMethod;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  timeoutMs: number;
  message: ClientToHost;
}

interface Running {
  transport: WorkerTransport;
  ready: boolean;
  startTimer: NodeJS.Timeout | null;
  gone: boolean;
}

/** A call that works on a PFX file (no device involved): its failures are told as such. */
function isPfxCall(message: ClientToHost): boolean {
  if (message.type !== 'call') return false;
  const store = (message.params as { store?: { kind?: unknown } } | null)?.store;
  return message.method === 'pkcs12.open' || store?.kind === 'pkcs12';
}

export function pfxTimeout(method: string, ms: number): AssistantError {
  return new AssistantError('PFX_TIMEOUT', `打开 PFX 证书文件超时（${Math.round(ms / 1000)} 秒），已中止：文件要求的计算量异常，或电脑过于繁忙；请稍后重试，或用证书工具重新导出该文件`, {
    en: 'opening the PFX file took too long and was stopped (hostile parameters or a very busy machine)', details: { method, timeoutMs: ms },
  });
}

export function deviceTimeout(method: string, ms: number): AssistantError {
  return new AssistantError('DEVICE_TIMEOUT', 'USB Key 长时间无响应，已中止操作；请拔出后重新插入再试', {
    en: 'the key did not answer in time; the operation was aborted', details: { method, timeoutMs: ms },
  });
}
export function workerCrashed(method: string, exitCode: number | null): AssistantError {
  return new AssistantError('WORKER_CRASHED', 'USB Key 驱动异常退出，已重新启动密钥服务；请重试', {
    en: 'the key driver crashed; the key service was restarted', details: { method, exitCode },
  });
}

/**
 * Calls into the key-store worker, one at a time (driver calls are synchronous in the worker,
 * so a call's timeout then measures that call alone, not the queue in front of it). A call that
 * times out kills the worker (a hung driver cannot be interrupted any other way); a crash
 * rejects the call in flight. Either way the calls still queued run in a fresh worker.
 */
export class KeyStoreWorkerClient {
  private readonly opts: WorkerClientOptions;
  private readonly timeouts: Record<WorkerMethod, number>;
  private running: Running | null = null;
  private readonly queue: Pending[] = [];
  private inflight: { p: Pending; timer: NodeJS.Timeout; worker: Running } | null = null;
  private nextId = 1;
  private closed = false;
  /** How many workers were started (for tests and diagnostics). */
  starts = 0;

  constructor(opts: WorkerClientOptions) {
    this.opts = opts;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  }

  /** Calls waiting or running (a watcher polls only when idle). */
  get pendingCount(): number {
    return this.queue.length + (this.inflight ? 1 : 0);
  }

  /** `extraTimeoutMs` adds to the method's timeout (work that grows with the input); `timeoutMs` replaces it. */
  call<M extends WorkerMethod>(method: M, params: WorkerMethods[M]['params'], opts: { timeoutMs?: number; extraTimeoutMs?: number } = {}): Promise<WorkerMethods[M]['result']> {
    if (this.closed) return Promise.reject(closedError());
    const id = this.nextId++;
    const timeoutMs = opts.timeoutMs ?? (this.timeouts[method] ?? 5_000) + (opts.extraTimeoutMs ?? 0);
    return new Promise((resolve, reject) => {
      this.queue.push({ id, method, resolve: resolve as (v: unknown) => void, reject, timeoutMs, message: { type: 'call', id, method, params } });
      this.pump();
    });
  }

  /** Asks the worker to close its stores and exit; kills it if it does not within 2 s. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(closedError());
    const w = this.running;
    if (!w || w.gone) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => { w.transport.kill(); resolve(); }, 2_000);
      w.transport.onExit(() => { clearTimeout(t); resolve(); });
      try {
        w.transport.postMessage({ type: 'shutdown' });
      } catch {
        w.transport.kill();
      }
    });
    this.running = null;
  }

  private pump(): void {
    if (this.inflight || this.queue.length === 0 || this.closed) return;
    const w = this.ensureWorker();
    if (!w.ready) return;
    const p = this.queue.shift()!;
    const timer = setTimeout(() => {
      // A hung driver call cannot be cancelled: the only remedy is a new process.
      this.inflight = null;
      p.reject(isPfxCall(p.message) ? pfxTimeout(p.method, p.timeoutMs) : deviceTimeout(p.method, p.timeoutMs));
      this.retire(w, true);
      this.pump();
    }, p.timeoutMs);
    this.inflight = { p, timer, worker: w };
    try {
      w.transport.postMessage(p.message);
    } catch {
      clearTimeout(timer);
      this.inflight = null;
      p.reject(workerCrashed(p.method, null));
      this.retire(w, true);
      this.pump();
    }
  }

  private ensureWorker(): Running {
    if (this.running && !this.running.gone) return this.running;
    this.starts++;
    const transport = this.opts.spawn();
    const w: Running = { transport, ready: false, startTimer: null, gone: false };
    this.running = w;
    w.startTimer = setTimeout(() => {
      // Nothing can run without a worker: fail what waits, try again on the next call.
      for (const p of this.queue.splice(0)) {
        p.reject(new AssistantError('WORKER_START_FAILED', '密钥服务启动超时', { en: 'the key service did not start in time', details: { method: p.method } }));
      }
      this.retire(w, true);
    }, this.opts.startTimeoutMs ?? 30_000);
    transport.onMessage((m) => this.onMessage(w, m));
    transport.onExit((code) => {
      if (w.gone) return;
      const f = this.inflight;
      if (f && f.worker === w) {
        clearTimeout(f.timer);
        this.inflight = null;
        f.p.reject(isPfxCall(f.p.message) ? keyServiceCrashed(f.p.method, code) : workerCrashed(f.p.method, code));
      }
      this.retire(w, false);
      this.pump();
    });
    return w;
  }

  private onMessage(w: Running, raw: unknown): void {
    if (w.gone || !isHostMessage(raw)) return;
    if (raw.type === 'ready') {
      w.ready = true;
      if (w.startTimer) clearTimeout(w.startTimer);
      this.pump();
      return;
    }
    const f = this.inflight;
    if (!f || f.worker !== w || f.p.id !== raw.id) return;
    clearTimeout(f.timer);
    this.inflight = null;
    if (raw.type === 'result') f.p.resolve(raw.result);
    else f.p.reject(fromErrorInfo(raw.error));
    this.pump();
  }

  /** This worker is done for: make sure it is dead and forget it. */
  private retire(w: Running, kill: boolean): void {
    if (w.gone) return;
    w.gone = true;
    if (w.startTimer) clearTimeout(w.startTimer);
    if (this.running === w) this.running = null;
    if (kill) {
      try {
        w.transport.kill();
      } catch {}
    }
  }
}

function keyServiceCrashed(method: string, exitCode: number | null): AssistantError {
  return new AssistantError('WORKER_CRASHED', '密钥服务异常退出，已重新启动；请重新打开证书文件再试', {
    en: 'the key service stopped unexpectedly and was restarted; open the file again', details: { method, exitCode },
  });
}

function closedError(): AssistantError {
  return new AssistantError('WORKER_CLOSED', '密钥服务已关闭', { en: 'key service closed' });
}

export function fromErrorInfo(info: ErrorInfo): AssistantError {
  const opts: { en?: string; details?: Record<string, unknown> } = {};
  if (info.messageEn !== undefined) opts.en = info.messageEn;
  if (info.details !== undefined) opts.details = info.details;
  return new AssistantError(info.code, info.message, opts);
}
