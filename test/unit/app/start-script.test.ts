// scripts/start.mjs (`npm start`) without and with an Electron binary. No network: the fetch is
// electron's own install.js told to skip the download, or a stand-in script; the "Electron" is a shell script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const START = path.join(root, 'scripts', 'start.mjs');

interface Run { code: number | null; stdout: string; stderr: string }

function start(env: Record<string, string>, args: string[] = [], onSpawn?: (pid: number) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const base = { ...process.env };
    for (const k of ['ELECTRON_OVERRIDE_DIST_PATH', 'ELECTRON_SKIP_BINARY_DOWNLOAD', 'CERT_ASSISTANT_ELECTRON_INSTALL_SCRIPT', 'CERT_ASSISTANT_ELECTRON_FETCH_TIMEOUT_MS']) delete base[k];
    const child = spawn(process.execPath, [START, '--no-build', ...args], { cwd: root, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // A hang is a failure, not a stuck test run.
    const guard = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`start.mjs did not end: ${stderr}`)); }, 60_000);
    child.on('close', (code) => { clearTimeout(guard); resolve({ code, stdout, stderr }); });
    if (onSpawn && child.pid) onSpawn(child.pid);
  });
}

/** Runs `body` with a fresh temporary folder (the Electron dist folder of the test), removed afterwards. */
async function inTmp(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-app-start-'));
  try {
    await body(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** start.mjs with no Electron binary in `dir` and `script` (written there) standing in for the fetch, bounded at `timeoutMs`. */
async function startWithFetch(dir: string, script: string, timeoutMs: number): Promise<Run> {
  const fetch = path.join(dir, 'fetch.mjs');
  fs.writeFileSync(fetch, script);
  return start({ ELECTRON_OVERRIDE_DIST_PATH: dir, CERT_ASSISTANT_ELECTRON_INSTALL_SCRIPT: fetch, CERT_ASSISTANT_ELECTRON_FETCH_TIMEOUT_MS: String(timeoutMs) });
}

function assertExplained(r: Run): void {
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /无法启动证书助手：本机没有 Electron 运行环境/);
  assert.match(r.stderr, /Cannot start Cert Assistant: the Electron runtime is not installed/);
  assert.match(r.stderr, /npx cert-assistant doctor/);
  assert.match(r.stderr, /ELECTRON_MIRROR=/);
  assert.doesNotMatch(r.stderr + r.stdout, /^\s+at\s/m, 'no stack trace');
}

test('no binary, the fetch installs nothing (electron install.js, download skipped): explained, exit 1', () => inTmp(async (dir) => {
  const r = await start({ ELECTRON_OVERRIDE_DIST_PATH: dir, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
  assertExplained(r);
  assert.match(r.stderr, /ELECTRON_SKIP_BINARY_DOWNLOAD/);
}));

test('no binary, the fetch hangs: stopped at the bound, explained, exit 1', () => inTmp(async (dir) => {
  const r = await startWithFetch(dir, 'setInterval(() => {}, 1000);\n', 1000);
  assertExplained(r);
  assert.match(r.stderr, /1 秒内没有完成/);
  assert.match(r.stderr, /did not finish within 1 s/);
}));

test('no binary, the fetch fails with a stack trace: one reason line shown, no stack', () => inTmp(async (dir) => {
  const r = await startWithFetch(dir, "const e = new Error('getaddrinfo ENOTFOUND electron-mirror.invalid'); console.error(e.stack); process.exit(1);\n", 30000);
  assertExplained(r);
  assert.match(r.stderr, /自动下载 Electron 没有成功：Error: getaddrinfo ENOTFOUND electron-mirror\.invalid/);
}));

test('with a binary: Electron gets the app directory and extra arguments, its exit code is passed on, ELECTRON_RUN_AS_NODE is not', () => inTmp(async (dir) => {
  const out = path.join(dir, 'out.txt');
  fs.writeFileSync(path.join(dir, 'electron'), `#!/bin/sh\nprintf '%s\\n' "$@" "RUN_AS_NODE=$ELECTRON_RUN_AS_NODE" > "${out}"\nexit 7\n`, { mode: 0o755 });
  const r = await start({ ELECTRON_OVERRIDE_DIST_PATH: dir, ELECTRON_RUN_AS_NODE: '1' }, ['--lang=en']);
  assert.equal(r.code, 7, r.stderr);
  assert.deepEqual(fs.readFileSync(out, 'utf8').trim().split('\n'), [root, '--lang=en', 'RUN_AS_NODE=']);
  assert.doesNotMatch(r.stderr, /Electron runtime not found/);
}));

test('with a binary: SIGTERM to npm start reaches Electron', () => inTmp(async (dir) => {
  const out = path.join(dir, 'out.txt');
  const started = path.join(dir, 'started');
  fs.writeFileSync(path.join(dir, 'electron'), `#!/bin/sh\ntrap 'echo term > "${out}"; exit 0' TERM\ntouch "${started}"\nwhile true; do sleep 0.1; done\n`, { mode: 0o755 });
  let pid = 0;
  const running = start({ ELECTRON_OVERRIDE_DIST_PATH: dir }, [], (p) => (pid = p));
  while (!fs.existsSync(started)) await new Promise((r) => setTimeout(r, 50));
  process.kill(pid, 'SIGTERM');
  const r = await running;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(fs.readFileSync(out, 'utf8').trim(), 'term');
}));
