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
  'store.close': 5_000,
  'pkcs11.describe': 5_000,
};

interface Pending {
  method: WorkerMethod;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout | null;
  timeoutMs: number;
  message: ClientToHost;
}

interface Running {
  transport: WorkerTransport;
  ready: boolean;
  startTimer: NodeJS.Timeout | null;
  gone: boolean;
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
 * Calls into the key-store worker with a timeout per call. A call that times out kills the
 * worker (a hung driver cannot be interrupted any other way); a crash rejects what was in
 * flight. Either way the next call starts a fresh worker.
 */
export class KeyStoreWorkerClient {
  private readonly opts: WorkerClientOptions;
  private readonly timeouts: Record<WorkerMethod, number>;
  private running: Running | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** How many workers were started (for tests and diagnostics). */
  starts = 0;

  constructor(opts: WorkerClientOptions) {
    this.opts = opts;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  }

  call<M extends WorkerMethod>(method: M, params: WorkerMethods[M]['params'], opts: { timeoutMs?: number } = {}): Promise<WorkerMethods[M]['result']> {
    if (this.closed) return Promise.reject(new AssistantError('WORKER_CLOSED', '密钥服务已关闭', { en: 'key service closed' }));
    const id = this.nextId++;
    const timeoutMs = opts.timeoutMs ?? this.timeouts[method];
    return new Promise((resolve, reject) => {
      const p: Pending = { method, resolve: resolve as (v: unknown) => void, reject, timer: null, timeoutMs, message: { type: 'call', id, method, params } };
      this.pending.set(id, p);
      const w = this.ensureWorker();
      if (w.ready) this.send(id, p, w);
    });
  }

  /** Asks the worker to close its stores and exit; kills it if it does not within 2 s. */
  async close(): Promise<void> {
    this.closed = true;
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

  private ensureWorker(): Running {
    if (this.running && !this.running.gone) return this.running;
    this.starts++;
    const transport = this.opts.spawn();
    const w: Running = { transport, ready: false, startTimer: null, gone: false };
    this.running = w;
    w.startTimer = setTimeout(() => {
      this.fail(w, (method) => new AssistantError('WORKER_START_FAILED', '密钥服务启动超时', { en: 'the key service did not start in time', details: { method } }));
    }, this.opts.startTimeoutMs ?? 30_000);
    transport.onMessage((m) => this.onMessage(w, m));
    transport.onExit((code) => {
      if (w.gone) return;
      this.fail(w, (method) => workerCrashed(method, code), false);
    });
    return w;
  }

  private send(id: number, p: Pending, w: Running): void {
    p.timer = setTimeout(() => {
      // A hung driver call cannot be cancelled: the only remedy is a new process.
      this.pending.delete(id);
      p.reject(deviceTimeout(p.method, p.timeoutMs));
      this.fail(w, (method) => new AssistantError('WORKER_RESTARTED', '密钥服务因另一操作超时而重启，请重试', { en: 'the key service restarted after another call timed out', details: { method } }));
    }, p.timeoutMs);
    try {
      w.transport.postMessage(p.message);
    } catch {
      this.fail(w, (method) => workerCrashed(method, null));
    }
  }

  private onMessage(w: Running, raw: unknown): void {
    if (w.gone || !isHostMessage(raw)) return;
    if (raw.type === 'ready') {
      w.ready = true;
      if (w.startTimer) clearTimeout(w.startTimer);
      for (const [id, p] of this.pending) if (!p.timer) this.send(id, p, w);
      return;
    }
    const p = this.pending.get(raw.id);
    if (!p) return;
    this.pending.delete(raw.id);
    if (p.timer) clearTimeout(p.timer);
    if (raw.type === 'result') p.resolve(raw.result);
    else p.reject(fromErrorInfo(raw.error));
  }

  /** The worker is unusable: reject everything in flight, make sure it is dead, forget it. */
  private fail(w: Running, reason: (method: WorkerMethod) => AssistantError, kill = true): void {
    if (w.gone) return;
    w.gone = true;
    if (w.startTimer) clearTimeout(w.startTimer);
    if (this.running === w) this.running = null;
    for (const [id, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(reason(p.method));
    }
    if (kill) {
      try {
        w.transport.kill();
      } catch {}
    }
  }
}

export function fromErrorInfo(info: ErrorInfo): AssistantError {
  const opts: { en?: string; details?: Record<string, unknown> } = {};
  if (info.messageEn !== undefined) opts.en = info.messageEn;
  if (info.details !== undefined) opts.details = info.details;
  return new AssistantError(info.code, info.message, opts);
}
