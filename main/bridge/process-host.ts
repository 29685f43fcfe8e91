/**
 * The host side of the bridge process: starts it (child_process under the CLI, utilityProcess in
 * the app — both through a small transport), answers its calls with a BridgeHost, and stops it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childExit } from '../child-exit.ts';
import { toErrorInfo } from '../errors.ts';
import { isFromBridge, type BridgeStartOptions, type ToBridge } from './process-protocol.ts';
import type { BridgeEndpoint, BridgeHost } from './types.ts';

/** Set by scripts/build.mjs in the bundled CLI: where its bridge-process bundle lies, relative to this file. */
declare const CERT_ASSISTANT_BUNDLED_BRIDGE: string | undefined;

/**
 * The bridge process's entry: the bundle beside the bundled CLI (the installed app has no .ts files
 * and no tsx), else (under tsx) the .ts file itself.
 */
export const BRIDGE_ENTRY = fileURLToPath(
  new URL(typeof CERT_ASSISTANT_BUNDLED_BRIDGE === 'string' ? CERT_ASSISTANT_BUNDLED_BRIDGE : './process-entry.ts', import.meta.url),
);

export interface BridgeTransport {
  postMessage(m: ToBridge): void;
  onMessage(l: (m: unknown) => void): void;
  onExit(l: (code: number | null) => void): void;
  kill(): void;
}

/** `child_process.fork` of the bridge entry (under tsx when it is the .ts file). */
export function forkBridgeTransport(opts: { entry?: string; env?: NodeJS.ProcessEnv } = {}): BridgeTransport {
  const entry = opts.entry ?? BRIDGE_ENTRY;
  const execArgv = entry.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
  const child: ChildProcess = fork(entry, [], { execArgv, env: opts.env ?? process.env, serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const exit = childExit(() => child.exitCode);
  child.on('exit', (code) => exit.end(code));
  child.on('error', () => exit.end(null));
  return {
    postMessage: (m) => {
      if (!exit.exited && child.connected) child.send(m);
    },
    onMessage: (l) => child.on('message', l),
    onExit: exit.onExit,
    kill: () => {
      if (!exit.exited) child.kill('SIGKILL');
    },
  };
}

export interface RunningBridge {
  endpoints: BridgeEndpoint[];
  keysChanged(): void;
  /** Closes every socket and listener, then the process; kills it if it does not end within 1 s. */
  stop(): Promise<void>;
  onExit(l: (code: number | null) => void): void;
}

export function startBridgeProcess(opts: {
  transport: BridgeTransport;
  host: BridgeHost;
  options: BridgeStartOptions;
  log?: (event: string, fields?: Record<string, string | number | boolean | null>) => void;
  startTimeoutMs?: number;
}): Promise<RunningBridge> {
  const t = opts.transport;
  let exited = false;
  t.onExit(() => {
    exited = true;
  });
  return new Promise((resolve, reject) => {
    const startTimer = setTimeout(() => {
      t.kill();
      reject(new Error('bridge process did not start in time'));
    }, opts.startTimeoutMs ?? 30_000);
    t.onExit((code) => {
      clearTimeout(startTimer);
      reject(new Error(`bridge process exited (${code})`));
    });
    t.onMessage((raw) => {
      if (!isFromBridge(raw)) return;
      if (raw.type === 'listening') {
        clearTimeout(startTimer);
        resolve({
          endpoints: raw.endpoints,
          keysChanged: () => t.postMessage({ type: 'keysChanged' }),
          onExit: (l) => t.onExit(l),
          stop: () => new Promise<void>((done) => {
            if (exited) return done();
            const k = setTimeout(() => {
              t.kill();
              done();
            }, 1_000);
            t.onExit(() => {
              clearTimeout(k);
              done();
            });
            t.postMessage({ type: 'stop' });
          }),
        });
      } else if (raw.type === 'note') {
        opts.host.note(raw.note);
      } else if (raw.type === 'log') {
        opts.log?.(raw.event, raw.fields);
      } else if (raw.type === 'call') {
        const run: Promise<unknown> = raw.method === 'certificates'
          ? opts.host.certificates(raw.params as Parameters<BridgeHost['certificates']>[0])
          : raw.method === 'decrypt'
            ? opts.host.decrypt(raw.params as Parameters<BridgeHost['decrypt']>[0])
            : opts.host.sign(raw.params as Parameters<BridgeHost['sign']>[0]);
        run.then(
          (value) => t.postMessage({ type: 'reply', id: raw.id, ok: true, value }),
          (e) => t.postMessage({ type: 'reply', id: raw.id, ok: false, error: toErrorInfo(e, 'SIGN_FAILED') }),
        );
      }
    });
    t.postMessage({ type: 'start', options: opts.options });
  });
}
