/**
 * Runs CLI code in-process, as tests and the CLI snapshot need it: captured stdout/stderr, a
 * given stdin, environment, working folder and clock.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

let ownHome: string | undefined;
/**
 * The user data folder (signature log, settings) a command run here writes to when the test's
 * environment names none: the runner's CERT_ASSISTANT_HOME, else a temporary folder of this process —
 * never the developer's ~/.config/cert-assistant (an env of `{}` used to fall through to it).
 */
function testHome(): string {
  return process.env['CERT_ASSISTANT_HOME'] ?? (ownHome ??= mkdtempSync(path.join(os.tmpdir(), 'cert-assistant-cli-home-')));
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
  const io: CliIO = { stdout, stderr, stdin, env: { CERT_ASSISTANT_HOME: testHome(), ...(world.env ?? {}) }, cwd: world.cwd ?? process.cwd(), now: world.now ?? (() => new Date()) };
  return { io, out: () => Buffer.concat(chunks[0]).toString('utf8'), err: () => Buffer.concat(chunks[1]).toString('utf8') };
}

/** Runs one command (the dispatcher `main`, or a single command's `run`) with captured output. */
export async function runCli(command: CliCommand, args: string[], world: CliWorld = {}): Promise<CliRun> {
  const { io, out, err } = captureIO(world);
  const code = await command(args, io);
  return { code, stdout: out(), stderr: err() };
}
