// `npm run build` output as Electron would load it: the main bundle runs its top level with only
// `electron` stubbed (sandbox on, app:// registered before ready), preloads require nothing but
// electron, and every data file the bundle reads at run time exists where it looks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

const STUB = `
const Module = require('module');
const calls = [];
const any = new Proxy(function () {}, { get: (t, k) => (k === 'then' ? undefined : any), apply: () => any, construct: () => any });
const electron = {
  app: { enableSandbox: () => calls.push('enableSandbox'), requestSingleInstanceLock: () => true, on: () => {}, whenReady: () => new Promise(() => {}), getVersion: () => '0.0.0', quit: () => {} },
  protocol: { registerSchemesAsPrivileged: (s) => calls.push('registerSchemes:' + s.map((x) => x.scheme + (x.privileges.standard && x.privileges.secure ? ':standard+secure' : '')).join(',')) },
};
const load = Module._load;
Module._load = function (req, ...rest) { if (req === 'electron') return new Proxy(electron, { get: (t, k) => t[k] ?? any }); return load.call(this, req, ...rest); };
require(process.argv[1]);
setImmediate(() => { process.stdout.write(JSON.stringify(calls)); process.exit(0); });
`;

test('built bundles: main loads with only electron stubbed, preloads are self-contained, data paths exist', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-app-build-'));
  try {
    const b = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet', '--only=main', `--out=${out}`], { cwd: root, encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    const p = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet', '--only=preload', `--out=${out}`], { cwd: root, encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);

    const main = path.join(out, 'app', 'main.cjs');
    const r = spawnSync(process.execPath, ['-e', STUB, main], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), ['registerSchemes:app:standard+secure', 'enableSandbox']);

    for (const bundle of ['main.cjs', 'keystore-worker.cjs', 'bridge-process.cjs']) {
      const code = fs.readFileSync(path.join(out, 'app', bundle), 'utf8');
      const rels = [...code.matchAll(/join\(__dirname, "([^"]+)"\)/g)].map((m) => m[1]!);
      for (const rel of new Set(rels)) assert.ok(fs.existsSync(path.resolve(out, 'app', rel)), `${bundle}: ${rel} resolves`);
      // `constants` is a Node built-in (graceful-fs, under proper-lockfile, reads it).
      // ajv's code generator carries `require("ajv/dist/runtime/…")` as text for standalone output; it is not a load.
      const externals = new Set([...code.matchAll(/require\("([^".][^"]*)"\)/g)].map((m) => m[1]!).filter((m) => !m.startsWith('node:') && !m.startsWith('ajv/dist/runtime/') && !['fs', 'path', 'os', 'crypto', 'url', 'util', 'events', 'stream', 'child_process', 'module', 'assert', 'buffer', 'zlib', 'fs/promises', 'worker_threads', 'net', 'tty', 'http', 'https', 'string_decoder', 'process', 'constants'].includes(m)));
      // ws loads its optional native speed-ups (bufferutil, utf-8-validate) inside try/catch and works without them.
      for (const e of externals) assert.ok(['electron', 'koffi', 'better-sqlite3', 'bufferutil', 'utf-8-validate', 'tls', 'querystring'].includes(e), `${bundle} requires ${e} at run time`);
    }
    for (const f of fs.readdirSync(path.join(out, 'preload'))) {
      const code = fs.readFileSync(path.join(out, 'preload', f), 'utf8');
      const req = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
      assert.deepEqual([...new Set(req)], ['electron'], f);
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
