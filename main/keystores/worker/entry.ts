// Key-store worker process: Electron utilityProcess (process.parentPort) or child_process.fork (process.send).
import { runKeyStoreHost, type HostPort } from './host.ts';
import { defaultHostOptions } from './stores.ts';

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
}

function hostPort(): HostPort {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    return { postMessage: (m) => parentPort.postMessage(m), onMessage: (l) => parentPort.on('message', (e) => l(e.data)) };
  }
  if (process.send) {
    const send = process.send.bind(process);
    // Parent gone (app quit or crashed): nothing left to serve.
    process.on('disconnect', () => process.exit(0));
    return { postMessage: (m) => void send(m), onMessage: (l) => process.on('message', l) };
  }
  throw new Error('key-store worker started without a parent channel');
}

runKeyStoreHost(hostPort(), defaultHostOptions());
