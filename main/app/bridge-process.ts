/** The bridge process as an Electron utilityProcess: web pages' frames are parsed there, never in the main process. */
import { utilityProcess } from 'electron';
import type { BridgeTransport } from '../bridge/process-host.ts';

export function utilityProcessBridgeTransport(entry: string): BridgeTransport {
  const child = utilityProcess.fork(entry, [], { serviceName: 'Cert Assistant CA-assistant bridge', stdio: 'ignore' });
  let exited = false;
  let exitCode: number | null = null;
  const exits: Array<(code: number | null) => void> = [];
  child.on('exit', (code) => {
    exited = true;
    exitCode = code;
    for (const l of exits) l(code);
  });
  return {
    postMessage: (m) => {
      if (!exited) child.postMessage(m);
    },
    onMessage: (l) => child.on('message', l),
    onExit: (l) => (exited ? l(exitCode) : exits.push(l)),
    kill: () => {
      if (!exited) child.kill();
    },
  };
}
