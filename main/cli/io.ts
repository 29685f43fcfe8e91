import type { Readable, Writable } from 'node:stream';
import { parseArgs, type ParseArgsConfig } from 'node:util';

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

type FlagTable = NonNullable<ParseArgsConfig['options']>;
const HELP_FLAG = { help: { type: 'boolean', short: 'h' } } as const;
type Opening<O extends FlagTable, P extends boolean> = ReturnType<typeof parseArgs<{ args: string[]; options: O & typeof HELP_FLAG; strict: true; allowPositionals: P }>>;

/** The one wording of a usage error, followed by the command's help (stderr; the caller exits 2). */
export function usageError(io: CliIO, why: string, help: string): number {
  io.stderr.write(`参数错误 / bad arguments: ${why}\n\n${help}`);
  return EXIT_USAGE;
}

/**
 * Every command's opening: strict flags (plus --help/-h). A bad flag is a usage error; --help prints
 * the help to stdout. In those two cases the exit code comes back instead of the parsed flags.
 */
export function parseCommand<const O extends FlagTable, const P extends boolean = false>(
  args: string[], io: CliIO, help: string, options: O, allowPositionals?: P,
): Opening<O, P> | number {
  let parsed: Opening<O, P>;
  try {
    parsed = parseArgs({ args, options: { ...options, ...HELP_FLAG }, strict: true, allowPositionals: allowPositionals ?? false }) as Opening<O, P>;
  } catch (e) {
    return usageError(io, (e as Error).message, help);
  }
  if ((parsed.values as { help?: boolean }).help) {
    io.stdout.write(help);
    return EXIT_OK;
  }
  return parsed;
}

/** A bad `--timeout` (see parseTimeoutMs): its message on stderr; the caller exits 2. */
export function timeoutUsage(io: CliIO): number {
  io.stderr.write(TIMEOUT_USAGE_MESSAGE);
  return EXIT_USAGE;
}
