/**
 * What scripts/test-windows.mjs prepares for the Windows suite (see the convention at the top of
 * that script). Only meaningful on Node for Windows under Wine.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveManifest, type PkiManifest, type TestPki } from '../fixtures/pki.ts';

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run Windows tests with npm run test:windows`);
  return v;
}

export const winEnv = {
  get repo(): string { return required('CA_WIN_REPO'); },
  get cli(): string { return required('CA_WIN_CLI'); },
  get dlls(): string { return required('CA_WIN_DLLS'); },
  get pkiDir(): string { return required('CA_WIN_PKI'); },
  /** The bundled key-store worker beside the bundled CLI (plain ESM: Windows Node runs no tsx). */
  get worker(): string { return path.join(path.dirname(required('CA_WIN_CLI')), 'keystore-worker.mjs'); },
};

/** A mingw-built fake driver: `pkcs11-crash`, `skf-key`, … for this process's ABI (x64) or the other one. */
export function fakeDll(name: string, arch: 'x64' | 'x86' = 'x64'): string {
  const p = path.join(winEnv.dlls, arch, `${name}.dll`);
  if (!fs.existsSync(p)) throw new Error(`no fake driver ${p}`);
  return p;
}

/** The OpenSSL test PKI made on Linux, with Windows paths. */
export function testPki(): TestPki {
  const dir = winEnv.pkiDir;
  return resolveManifest(dir, JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as PkiManifest);
}

export interface CliResult { status: number | null; stdout: string; stderr: string }

/** Runs the bundled CLI on this Node for Windows, standard output and error through files. */
export function runCli(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): CliResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-cli-'));
  try {
    const out = path.join(dir, 'stdout');
    const err = path.join(dir, 'stderr');
    const outFd = fs.openSync(out, 'w');
    const errFd = fs.openSync(err, 'w');
    let r: SpawnSyncReturns<Buffer>;
    try {
      r = spawnSync(process.execPath, [winEnv.cli, ...args], {
        input: opts.input, env: opts.env ?? process.env, cwd: opts.cwd ?? winEnv.repo,
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', outFd, errFd], timeout: 120_000,
      });
    } finally {
      fs.closeSync(outFd);
      fs.closeSync(errFd);
    }
    if (r.error) throw r.error;
    return { status: r.status, stdout: fs.readFileSync(out, 'utf8'), stderr: fs.readFileSync(err, 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
