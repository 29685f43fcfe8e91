/** The key-store worker as an Electron utilityProcess (a crashing or hanging driver costs a restart, not the app). */
import { utilityProcess } from 'electron';
import type { WorkerSpawner } from '../keystores/worker/client.ts';
import { utilityProcessTransport } from '../keystores/worker/utility-process-transport.ts';

export function utilityProcessSpawner(entry: string): WorkerSpawner {
  return () => utilityProcessTransport(utilityProcess.fork(entry, [], { serviceName: 'Cert Assistant key stores', stdio: 'ignore' }));
}
