/**
 * `openssl ocsp` as a real OCSP responder for tests: started on a free port (port 0: it prints the
 * one it got), answering from an index file the test writes; the caller kills `child` when done.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface OcspResponderOptions {
  index: string;
  /** The CA whose certificates it answers for (PEM). */
  caCert: string;
  /** Who signs the answers (the CA itself or a delegated responder), PEM certificate and key. */
  signerCert: string;
  signerKey: string;
  extra?: string[];
}

export async function startOcspResponder(o: OcspResponderOptions): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn('openssl', ['ocsp', '-index', o.index, '-CA', o.caCert, '-rsigner', o.signerCert, '-rkey', o.signerKey, '-port', '0', ...(o.extra ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`openssl ocsp did not start: ${seen}`)), 10_000);
    const onData = (b: Buffer): void => {
      seen += b.toString();
      const m = /ACCEPT \S*:(\d+)/.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}/`);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`openssl ocsp exited ${code}: ${seen}`)));
  });
  return { url, child };
}
