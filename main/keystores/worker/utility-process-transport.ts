import { childExit } from '../../child-exit.ts';
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
  const exit = childExit();
  child.on('exit', (code: number) => exit.end(code));
  return {
    postMessage(message: ClientToHost) {
      if (exit.exited) throw new Error('key-store worker exited');
      child.postMessage(message);
    },
    onMessage(listener) {
      child.on('message', listener);
    },
    onExit: exit.onExit,
    kill() {
      if (!exit.exited) child.kill();
    },
  };
}
