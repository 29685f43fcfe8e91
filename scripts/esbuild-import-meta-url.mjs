// One esbuild plugin for every bundle we build: data files are read at run time relative to each
// source file (`new URL('./data/x.json', import.meta.url)`), so inside a bundle import.meta.url is
// rewritten per file to where that source file "is" relative to the bundle:
//   format 'cjs'  -> computed from the bundle's __dirname (the app's main/worker bundles);
//   format 'esm'  -> computed from the bundle's own import.meta.url (the CLI and verifier bundles).
// `sourceRoot` + `mirror: true` place the sources at outDir/<path from sourceRoot> instead of
// their real place, and `copyData()` then copies every file such a URL names into that mirror, so
// the bundle carries its data files and works outside this repository (the verifier).
import { cp, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** ESM bundles of CJS dependencies call require(): give them one (the CLI, verifier and Windows test bundles). */
export const CJS_INTEROP_BANNER = "import { createRequire as __caCreateRequire } from 'node:module'; const require = __caCreateRequire(import.meta.url);";

const DATA_URL = /new URL\(\s*(['"])(\.{1,2}\/[^'"]+)\1\s*,\s*import\.meta\.url\s*\)/g;

export function importMetaUrlPlugin({ outDir, format, sourceRoot, mirror = false }) {
  const dataFiles = new Set();
  const plugin = {
    name: `import-meta-url-${format}`,
    setup(b) {
      b.onLoad({ filter: /\.(ts|mts)$/ }, async (args) => {
        let contents = await readFile(args.path, 'utf8');
        if (!contents.includes('import.meta')) return { contents, loader: 'ts' };
        const placed = mirror ? path.join(outDir, path.relative(sourceRoot, args.path)) : args.path;
        if (mirror) {
          for (const m of contents.matchAll(DATA_URL)) {
            const target = path.resolve(path.dirname(args.path), m[2]);
            if (!/\.(ts|mts|js|mjs|cjs)$/.test(target)) dataFiles.add(target);
          }
        }
        const rel = path.relative(outDir, placed).split(path.sep).join('/');
        if (format === 'cjs') {
          const expr = `require("node:url").pathToFileURL(require("node:path").join(__dirname, ${JSON.stringify(rel)})).href`;
          contents = contents.replaceAll('import.meta.url', `(${expr})`);
          // import.meta.resolve is only used by the CLI's child_process spawner, never in the app.
          contents = contents.replaceAll('import.meta.resolve', '((s) => { throw new Error("import.meta.resolve unavailable: " + s); })');
        } else {
          contents = contents.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`);
        }
        return { contents, loader: 'ts' };
      });
    },
  };
  /** Copies the data files (and folders) the bundled sources name into the mirror (mirror mode only). */
  async function copyData() {
    const copied = [];
    for (const f of [...dataFiles].sort()) {
      const to = path.join(outDir, path.relative(sourceRoot, f));
      await mkdir(path.dirname(to), { recursive: true });
      await cp(f, to, { recursive: true });
      copied.push(path.relative(sourceRoot, f));
    }
    return copied;
  }
  return { plugin, copyData };
}
