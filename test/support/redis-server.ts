/**
 * A real redis-server for one test file: its own temp folder, a free port, no persistence; stopped
 * (and the folder removed) by `stop()`. Tests that need it call `startRedisServer()` in `before`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function startOnce(dir: string, port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`redis-server did not start: ${out}`)); }, 10_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Ready to accept connections/i.test(out)) { clearTimeout(timer); resolve(child); }
    });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited (${code}): ${out.slice(-500)}`)); });
  });
}

export async function startRedisServer(): Promise<RedisServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-redis-'));
  let lastError: unknown;
  // The port is free when asked; another process may take it before redis binds, so try a few.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      const child = await startOnce(dir, port);
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        stop: () => new Promise<void>((resolve) => {
          const done = () => { fs.rmSync(dir, { recursive: true, force: true }); resolve(); };
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.removeAllListeners('exit');
          child.once('exit', done);
          child.kill('SIGTERM');
        }),
      };
    } catch (e) {
      lastError = e;
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  throw lastError;
}
