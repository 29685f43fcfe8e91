import type { ClientToHost } from './protocol.ts';
import type { WorkerTransport } from './client.ts';

/**
 * The shape of Electron's `UtilityProcess` we use, stated structurally so this file needs no
 * value import from 'electron' (main/app creates the child with `utilityProcess.fork`).
 */
export interface UtilityProcessLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
}

/** Adapts an Electron utility process running main/keystores/worker/entry to WorkerTransport. */
export function utilityProcessTransport(child: UtilityProcessLike): WorkerTransport {
  let exited = false;
  let exitCode: number | null = null;
  const listeners: Array<(code: number | null) => void> = [];
  child.on('exit', (code: number) => {
    if (exited) return;
    exited = true;
    exitCode = code;
    for (const l of listeners) l(code);
  });
  return {
    postMessage(message: ClientToHost) {
      if (exited) throw new Error('worker exited');
      child.postMessage(message);
    },
    onMessage(listener) {
      child.on('message', listener);
    },
    onExit(listener) {
      if (exited) listener(exitCode);
      else listeners.push(listener);
    },
    kill() {
      if (!exited) child.kill();
    },
  };
}
