/**
 * Drives `cert-assistant bridge` the way later checks do: a child process on free ports (port 0),
 * JSON lines on stdout, consents answered on stdin by a test-chosen rule. Plus minimal clients for
 * both protocols, written from docs/compat.md (not from any vendor library).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { readBjcaAnswer } from './bjca-returns.ts';

export const CLI_BIN = fileURLToPath(new URL('../../bin/cert-assistant.mjs', import.meta.url));

export interface BridgeEvent {
  event: string;
  [k: string]: unknown;
}

export interface RunningCli {
  child: ChildProcess;
  events: BridgeEvent[];
  bjca: string;
  bjcaWss: string | null;
  hebca: string;
  /** JIT PNXClient's http listener (`http://127.0.0.1:port/`) when `--protocol jit` was given, else ''. */
  jit: string;
  jitHttps: string | null;
  /** The user data folder the bridge writes its signature log to (a fresh temp folder of its own). */
  home: string;
  /** What the bridge wrote on stderr so far (warnings). */
  stderr(): string;
  /** Waits for the n-th (0-based) event of that name. */
  waitFor(name: string, n?: number, timeoutMs?: number): Promise<BridgeEvent>;
  stop(): Promise<number | null>;
}

export type ConsentRule = (e: BridgeEvent) => string;

export async function startCliBridge(args: string[], opts: { answer?: ConsentRule; env?: NodeJS.ProcessEnv } = {}): Promise<RunningCli> {
  // Each bridge its own user data folder (signature log), removed on stop: never the developer's, and
  // not the one the test runner shares between test files running at the same time.
  const ownHome = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-bridge-home-'));
  const env = { ...(opts.env ?? process.env), CERT_ASSISTANT_HOME: ownHome };
  const child = spawn(process.execPath, [CLI_BIN, 'bridge', '--bjca-port', '0', '--bjca-wss-port', '0', '--hebca-port', '0', '--jit-port', '0', '--jit-https-port', '0', '--consent', 'stdin', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'], env,
  });
  const events: BridgeEvent[] = [];
  const waiters: Array<() => void> = [];
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const e = JSON.parse(line) as BridgeEvent;
    events.push(e);
    if (e.event === 'consent' && opts.answer) child.stdin!.write(opts.answer(e) + '\n');
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = (name: string, n = 0, timeoutMs = 60_000): Promise<BridgeEvent> => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${name} event #${n}; stderr: ${stderr.slice(-2000)}`)), timeoutMs);
    const check = () => {
      const hits = events.filter((e) => e.event === name);
      if (hits.length > n) {
        clearTimeout(t);
        resolve(hits[n]!);
      } else waiters.push(check);
    };
    check();
  });
  const listening = await waitFor('listening');
  const eps = listening['endpoints'] as Array<{ protocol: string; url: string }>;
  const find = (p: string, scheme: string) => eps.find((e) => e.protocol === p && e.url.startsWith(scheme + '://') && !e.url.includes('[::1]'))?.url ?? null;
  return {
    child, events, waitFor,
    bjca: find('bjca', 'ws') ?? '',
    bjcaWss: find('bjca', 'wss'),
    hebca: find('hebca', 'ws') ?? '',
    jit: find('jit', 'http') ?? '',
    jitHttps: find('jit', 'https'),
    home: ownHome,
    stderr: () => stderr,
    stop: () => new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      child.once('exit', (code) => resolve(code));
      child.kill('SIGTERM');
    }).finally(() => fs.rmSync(ownHome, { recursive: true, force: true })),
  };
}

/** A BJCA XTXApp client: JSON calls with call_cmd_id, answers matched by id, events collected. */
export class BjcaClient {
  private n = 0;
  private readonly pending = new Map<string, (m: Record<string, unknown>) => void>();
  readonly events: Array<Record<string, unknown>> = [];
  token = '';
  /** The last answer's retVal exactly as it came over the wire. */
  raw: unknown = undefined;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as Record<string, unknown>;
      const p = this.pending.get(String(m['call_cmd_id']));
      if (p) {
        this.pending.delete(String(m['call_cmd_id']));
        p(m);
      } else this.events.push(m);
    });
  }
  static open(url: string, origin: string | null, extra: WebSocket.ClientOptions = {}): Promise<BjcaClient> {
    const ws = new WebSocket(url, { ...(origin !== null ? { origin } : {}), ...extra });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new BjcaClient(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }
  async call(func: string, ...params: unknown[]): Promise<unknown> {
    const id = `i_${++this.n}`;
    const frame: Record<string, unknown> = { call_cmd_id: id, xtx_func_name: func, URL: 'http://page/' };
    params.forEach((p, i) => (frame[`param_${i + 1}`] = p));
    if (this.token) frame['token'] = this.token;
    const answer = await new Promise<Record<string, unknown>>((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify(frame));
    });
    if (typeof answer['token'] === 'string') this.token = answer['token'];
    this.raw = answer['retVal'];
    // Read as most deployed BJCA page libraries read it (bool: == "true", number: Number()).
    return readBjcaAnswer(func, answer['retVal']);
  }
  close(): void {
    this.ws.close();
  }
}

/** A HEBCA P11 client: `0|ts` handshake, `1|Func|json` calls, answers matched by function name. */
export class HebcaClient {
  private readonly pending = new Map<string, Array<(m: Record<string, unknown>) => void>>();
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const s = d.toString();
      const a = s.indexOf('|');
      const b = s.indexOf('|', a + 1);
      const func = s.slice(a + 1, b);
      const q = this.pending.get(func);
      q?.shift()?.(JSON.parse(s.slice(b + 1)) as Record<string, unknown>);
    });
  }
  static open(url: string, origin: string | null): Promise<HebcaClient> {
    const ws = new WebSocket(url, origin !== null ? { origin } : {});
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        ws.once('message', (d) => (String(d).startsWith('0|') && String(d).includes('Welcome') ? resolve(new HebcaClient(ws)) : reject(new Error(`bad welcome ${String(d)}`))));
        ws.send(`0|${Date.now()}`);
      });
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }
  call(func: string, params?: Record<string, unknown>): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      const q = this.pending.get(func) ?? [];
      q.push(resolve);
      this.pending.set(func, q);
      this.ws.send(params ? `1|${func}|${JSON.stringify(params)}` : `1|${func}`);
    });
  }
  close(): void {
    this.ws.close();
  }
}
