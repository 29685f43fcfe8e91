import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childExit } from '../../child-exit.ts';
import type { ClientToHost } from './protocol.ts';
import type { WorkerSpawner, WorkerTransport } from './client.ts';

/** Set by scripts/build.mjs in the bundled CLI: where its worker bundle lies, relative to this file. */
declare const CERT_ASSISTANT_BUNDLED_WORKER: string | undefined;

/** The worker's entry: the bundle beside the bundled CLI, else (under tsx) the .ts file itself. */
export const WORKER_ENTRY = fileURLToPath(
  new URL(typeof CERT_ASSISTANT_BUNDLED_WORKER === 'string' ? CERT_ASSISTANT_BUNDLED_WORKER : './entry.ts', import.meta.url),
);

export interface ForkOptions {
  /** Environment for the worker (e.g. SOFTHSM2_CONF); defaults to this process's. */
  env?: NodeJS.ProcessEnv;
  entry?: string;
}

/** Adapts a `child_process.fork` child (structured-clone IPC) to WorkerTransport. */
export function childProcessTransport(child: ChildProcess): WorkerTransport {
  const exit = childExit(() => child.exitCode);
  child.on('exit', (code) => exit.end(code));
  child.on('error', () => exit.end(null));
  return {
    postMessage(message: ClientToHost) {
      if (exit.exited || !child.connected) throw new Error('worker not connected');
      child.send(message);
    },
    onMessage(listener) {
      child.on('message', listener);
    },
    onExit: exit.onExit,
    kill() {
      if (!exit.exited) child.kill('SIGKILL');
    },
  };
}

/** Spawner for the CLI and tests: `child_process.fork` of entry.ts through tsx. */
export function forkWorkerSpawner(opts: ForkOptions = {}): WorkerSpawner {
  const entry = opts.entry ?? WORKER_ENTRY;
  const execArgv = entry.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
  return () =>
    childProcessTransport(
      fork(entry, [], {
        execArgv,
        env: opts.env ?? process.env,
        serialization: 'advanced',
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      }),
    );
}
