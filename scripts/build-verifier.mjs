#!/usr/bin/env node
// Builds the relying-party verifier (main/login/index.ts) as one plain ES module,
// dist/verifier/index.mjs, so a portal written in plain Node (no TypeScript loader, no Electron)
// can `import { verifyLoginToken } from 'cert-assistant/verifier'`. npm packages stay external
// (resolved from this package's node_modules); data files are read from their source locations.
// Usage: node scripts/build-verifier.mjs [--out=DIR]
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outArg = process.argv.find((a) => a.startsWith('--out='))?.slice(6);
const outDir = outArg ? path.resolve(outArg) : path.join(root, 'dist', 'verifier');

/** import.meta.url inside a bundled source file -> that source file's own URL, relative to the bundle. */
const sourceUrlPlugin = {
  name: 'source-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.(ts|mts)$/ }, async (args) => {
      let contents = await readFile(args.path, 'utf8');
      if (contents.includes('import.meta.url')) {
        const rel = path.relative(outDir, args.path).split(path.sep).join('/');
        contents = contents.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`);
      }
      return { contents, loader: 'ts' };
    });
  },
};

await build({
  entryPoints: [path.join(root, 'main/login/index.ts')],
  outfile: path.join(outDir, 'index.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [sourceUrlPlugin],
});
console.log(`verifier: ${path.relative(root, path.join(outDir, 'index.mjs'))}`);
