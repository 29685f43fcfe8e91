#!/usr/bin/env node
// `npm run build`: bundles what Electron runs.
//   main/app/main.ts                 -> dist/app/main.cjs            (main process, CJS, Node platform)
//   main/keystores/worker/entry.ts   -> dist/app/keystore-worker.cjs (utilityProcess: key stores, vendor DLLs)
//   main/bridge/process-entry.ts     -> dist/app/bridge-process.cjs  (utilityProcess: the CA assistants' loopback protocols)
//   preload/*.ts                     -> dist/preload/*.cjs           (sandboxed preloads: one file, only `electron` required)
//   renderer/                        -> dist/renderer/               (vite build)
//   main/cli (the `cert-assistant` command) -> dist/cli/cert-assistant.mjs + dist/cli/keystore-worker.mjs + dist/cli/bridge-process.mjs
//                                       (plain Node ESM, no tsx; koffi resolved from node_modules at run time)
// Native and Electron modules stay external. Data files are read at run time relative to each
// source file (`new URL('./data/x.json', import.meta.url)`), so import.meta.url is rewritten per
// file to the source file's location inside the app (main/**, certs/** ship next to dist/): one plugin
// for every bundle, scripts/esbuild-import-meta-url.mjs.
import { build } from 'esbuild';
import { build as viteBuild } from 'vite';
import { readFile, readdir, rm } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CJS_INTEROP_BANNER, importMetaUrlPlugin } from './esbuild-import-meta-url.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
// --out=DIR builds elsewhere (tests); the app itself always runs from dist/.
const outArg = process.argv.find((a) => a.startsWith('--out='))?.slice(6);
const dist = outArg ? path.resolve(outArg) : path.join(root, 'dist');
const quiet = process.argv.includes('--quiet');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  sourcemap: false,
  legalComments: 'none',
  logLevel: quiet ? 'warning' : 'info',
  // Electron comes from the runtime; koffi and better-sqlite3 are native (unpacked from asar).
  external: ['electron', 'koffi', 'better-sqlite3', 'tsx', 'tsx/*'],
};

async function buildMain() {
  const outDir = path.join(dist, 'app');
  await build({
    ...common,
    entryPoints: {
      main: path.join(root, 'main/app/main.ts'),
      'keystore-worker': path.join(root, 'main/keystores/worker/entry.ts'),
      'bridge-process': path.join(root, 'main/bridge/process-entry.ts'),
    },
    outdir: outDir,
    outExtension: { '.js': '.cjs' },
    plugins: [importMetaUrlPlugin({ outDir, format: 'cjs' }).plugin],
  });
}

/**
 * The CLI as the installed app ships it: one ESM file per process, no tsx, no dev dependencies.
 * Data files stay at their source locations (main/…/data, certs/, package.json), found relative
 * to the bundle; the key-store worker is its own bundle beside the CLI (forked, see fork-transport.ts).
 */
/** ws tries these native accelerators inside try/catch and runs without them (the bridge process bundles ws). */
const WS_OPTIONAL_NATIVES = new Set(['bufferutil', 'utf-8-validate']);

async function buildCli(outDir) {
  const worker = path.join(outDir, 'keystore-worker.mjs');
  const forkTransport = path.join(root, 'main/keystores/worker/fork-transport.ts');
  const bridgeProcess = path.join(outDir, 'bridge-process.mjs');
  const bridgeHost = path.join(root, 'main/bridge/process-host.ts');
  const relativeTo = (from, to) => path.relative(path.dirname(from), to).split(path.sep).join('/');
  const cjsInterop = CJS_INTEROP_BANNER;
  await build({
    ...common,
    format: 'esm',
    target: 'node20',
    external: ['koffi', 'electron'],
    banner: { js: cjsInterop },
    define: {
      CERT_ASSISTANT_BUNDLED_WORKER: JSON.stringify(relativeTo(forkTransport, worker)),
      CERT_ASSISTANT_BUNDLED_BRIDGE: JSON.stringify(relativeTo(bridgeHost, bridgeProcess)),
    },
    entryPoints: {
      'cert-assistant': path.join(root, 'main/cli/bundle-entry.ts'),
      'keystore-worker': path.join(root, 'main/keystores/worker/entry.ts'),
      // `cert-assistant bridge` forks it: page frames are parsed in a process of their own.
      'bridge-process': path.join(root, 'main/bridge/process-entry.ts'),
    },
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    plugins: [importMetaUrlPlugin({ outDir, format: 'esm' }).plugin],
  });
  // Guard: the bundle must run with production dependencies only (koffi); tsx is a dev tool.
  for (const f of ['cert-assistant.mjs', 'keystore-worker.mjs', 'bridge-process.mjs']) {
    const code = await readFile(path.join(outDir, f), 'utf8');
    const imported = [...code.matchAll(/(?:^import[^;\n]*from\s*|\bimport\(|__require\()["']([^"'./][^"']*)["']/gm)].map((m) => m[1]).filter((m) => !isBuiltin(m) && m !== 'koffi' && !WS_OPTIONAL_NATIVES.has(m));
    if (imported.length) throw new Error(`dist/cli/${f} imports ${[...new Set(imported)].join(', ')}: only node: builtins and koffi may stay external`);
  }
}

async function buildPreloads() {
  const dir = path.join(root, 'preload');
  const entries = (await readdir(dir)).filter((f) => f.endsWith('.ts'));
  const outDir = path.join(dist, 'preload');
  await build({
    ...common,
    platform: 'browser',
    target: 'chrome130',
    // Sandboxed preloads get a tiny require that knows `electron` and nothing from node_modules.
    external: ['electron'],
    entryPoints: Object.fromEntries(entries.map((f) => [path.basename(f, '.ts'), path.join(dir, f)])),
    outdir: outDir,
    outExtension: { '.js': '.cjs' },
  });
  // Guard: a preload that pulled in anything but `electron` would fail to load under the sandbox.
  for (const f of entries) {
    const code = await readFile(path.join(outDir, path.basename(f, '.ts') + '.cjs'), 'utf8');
    const required = [...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]).filter((m) => m !== 'electron');
    if (required.length) throw new Error(`preload ${f} requires ${required.join(', ')}: sandboxed preloads may only require electron`);
  }
}

async function buildRenderer() {
  await viteBuild({ configFile: path.join(root, 'vite.config.ts'), logLevel: quiet ? 'warn' : 'info', build: { outDir: path.join(dist, 'renderer'), emptyOutDir: true } });
}

const t0 = Date.now();
if (!only) await rm(path.join(dist, 'app'), { recursive: true, force: true });
if (!only || only === 'main') await buildMain();
if (!only || only === 'preload') await buildPreloads();
if (!only || only === 'renderer') await buildRenderer();
if (!only || only === 'cli') await buildCli(path.join(dist, 'cli'));
if (!quiet) console.log(`build: done in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${path.relative(root, dist)}/`);
