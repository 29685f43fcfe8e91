/**
 * Runs CLI code in-process, as tests and the CLI snapshot need it: captured stdout/stderr, a
 * given stdin, environment, working folder and clock.
 */
import { PassThrough, Readable } from 'node:stream';
import type { CliCommand, CliIO } from '../../main/cli/io.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliWorld {
  stdin?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  now?: () => Date;
}

/** A CliIO whose output is collected; `out()`/`err()` read what was written so far. */
export function captureIO(world: CliWorld = {}): { io: CliIO; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks: [Buffer[], Buffer[]] = [[], []];
  stdout.on('data', (c: Buffer) => chunks[0].push(c));
  stderr.on('data', (c: Buffer) => chunks[1].push(c));
  const stdin = world.stdin === undefined ? new PassThrough() : Readable.from([Buffer.from(world.stdin)]);
  if (world.stdin === undefined) (stdin as PassThrough).end();
  const io: CliIO = { stdout, stderr, stdin, env: world.env ?? {}, cwd: world.cwd ?? process.cwd(), now: world.now ?? (() => new Date()) };
  return { io, out: () => Buffer.concat(chunks[0]).toString('utf8'), err: () => Buffer.concat(chunks[1]).toString('utf8') };
}

/** Runs one command (the dispatcher `main`, or a single command's `run`) with captured output. */
export async function runCli(command: CliCommand, args: string[], world: CliWorld = {}): Promise<CliRun> {
  const { io, out, err } = captureIO(world);
  const code = await command(args, io);
  return { code, stdout: out(), stderr: err() };
}
