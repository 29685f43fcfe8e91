import type { Readable, Writable } from 'node:stream';

/** The world a CLI command runs in: passed in so tests call commands directly. */
export interface CliIO {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  now: () => Date;
}

/** Exit codes everywhere: 0 success, 1 a check failed or the input is bad, 2 usage error. */
export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

export type CliCommand = (args: string[], io: CliIO) => Promise<number>;

export function writeJson(out: Writable, value: unknown): void {
  out.write(JSON.stringify(value, null, 2) + '\n');
}

export async function readAll(stream: Readable, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += b.length;
    if (size > limit) throw new Error('stdin too large');
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** Reads a secret (PIN / password) from stdin: first line, trailing CR/LF stripped. */
export async function readSecretLine(stream: Readable): Promise<string> {
  const all = (await readAll(stream, 4096)).toString('utf8');
  const line = all.split(/\r?\n/)[0] ?? '';
  return line;
}

/** `--timeout MS` for device calls: 100..600000 ms; null when out of range or not a whole number. */
export function parseTimeoutMs(value: string | undefined, fallbackMs: number): number | null {
  const ms = value === undefined ? fallbackMs : Number(value);
  return Number.isInteger(ms) && ms >= 100 && ms <= 600_000 ? ms : null;
}
export const TIMEOUT_USAGE_MESSAGE = '--timeout 须为 100–600000 之间的毫秒数 / --timeout must be 100..600000 ms\n';
