/** The key-store worker as an Electron utilityProcess (a crashing or hanging driver costs a restart, not the app). */
import { utilityProcess } from 'electron';
import type { WorkerSpawner, WorkerTransport } from '../keystores/worker/client.ts';

export function utilityProcessSpawner(entry: string): WorkerSpawner {
  return (): WorkerTransport => {
    const child = utilityProcess.fork(entry, [], { serviceName: 'Cert Assistant key stores', stdio: 'ignore' });
    let exited = false;
    let exitCode: number | null = null;
    const exitListeners: ((code: number | null) => void)[] = [];
    child.on('exit', (code) => {
      exited = true;
      exitCode = code;
      for (const l of exitListeners) l(code);
    });
    return {
      postMessage(message) {
        if (exited) throw new Error('key-store worker exited');
        child.postMessage(message);
      },
      onMessage(listener) {
        child.on('message', listener);
      },
      onExit(listener) {
        if (exited) listener(exitCode);
        else exitListeners.push(listener);
      },
      kill() {
        if (!exited) child.kill();
      },
    };
  };
}
