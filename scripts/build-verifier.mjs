#!/usr/bin/env node
// Builds what a relying party installs, as plain ES modules for Node without a TypeScript loader
// or Electron:
//   main/login/index.ts -> dist/verifier/index.mjs   (`cert-assistant/verifier`)
//   main/pki/uscc-api.ts -> dist/verifier/uscc.mjs   (`cert-assistant/uscc`)
// npm packages stay external (the package's dependencies); the data files the sources read at run
// time (GB 32100 tables, divisions, CA profiles) are copied next to the bundles, so the verifier
// works outside this repository.
// Usage: node scripts/build-verifier.mjs [--out=DIR]
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importMetaUrlPlugin } from './esbuild-import-meta-url.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const outArg = process.argv.find((a) => a.startsWith('--out='))?.slice(6);
const outDir = outArg ? path.resolve(outArg) : path.join(root, 'dist', 'verifier');

const { plugin, copyData } = importMetaUrlPlugin({ outDir, format: 'esm', sourceRoot: root, mirror: true });
await rm(outDir, { recursive: true, force: true });
await build({
  entryPoints: { index: path.join(root, 'main/login/index.ts'), uscc: path.join(root, 'main/pki/uscc-api.ts') },
  outdir: outDir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [plugin],
});
const data = await copyData();
if (!process.argv.includes('--quiet')) console.log(`verifier: ${path.relative(root, outDir)}/{index,uscc}.mjs + ${data.length} data files`);
