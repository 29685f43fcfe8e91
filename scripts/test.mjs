#!/usr/bin/env node
// `npm test`: everything CI runs — type-check, lint, then every test file under test/ with
// Node's own test runner (TypeScript through tsx). Test files: test/**/*.test.ts and
// examples/*/test/**/*.test.ts (the reference portal package); the Windows suite
// (test/windows/**/*.win.test.ts) runs on Node for Windows under Wine through scripts/test-windows.mjs.
// Usage: npm test [-- <path-or-substring> ...]   (filters test files; skips typecheck+lint)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import os from 'node:os';

const root = new URL('..', import.meta.url).pathname;
// Tests never write into the real user's data folder (settings, the signature log).
process.env.CERT_ASSISTANT_HOME ||= mkdtempSync(join(os.tmpdir(), 'cert-assistant-home-'));
const filters = process.argv.slice(2);

// The test runner's own summary ("ℹ tests N … ℹ fail 0") stays the last thing printed.
// A step run with `deferFailure` lets the following steps run; the run still fails at the end.
const deferred = [];
function step(name, cmd, args, { last = false, deferFailure = false } = {}) {
  const t0 = Date.now();
  process.stdout.write(`\n▶ ${name}: ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  if (!last) process.stdout.write(`◀ ${name} ${r.status === 0 ? 'ok' : 'FAILED'} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  if (r.status !== 0 && deferFailure && !last) deferred.push(name);
  else if (r.status !== 0) process.exit(r.status ?? 1);
  if (last && deferred.length) {
    process.stdout.write(`\nfailed earlier: ${deferred.join(', ')}\n`);
    process.exit(1);
  }
}

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

if (filters.length === 0) {
  step('typecheck', 'npm', ['run', '-s', 'typecheck']);
  step('lint', 'npm', ['run', '-s', 'lint']);
}

// The example packages' own tests too (examples/*/test/**: the reference portal).
const examples = join(root, 'examples');
const exampleTests = readdirSync(examples).flatMap((name) => {
  const dir = join(examples, name, 'test');
  return statSync(dir, { throwIfNoEntry: false })?.isDirectory() ? findTests(dir) : [];
});
let all = [...findTests(join(root, 'test')), ...exampleTests].sort();
if (filters.length) all = all.filter((f) => filters.some((x) => f.includes(x)));
const isWindows = (f) => f.endsWith('.win.test.ts');
const files = all.filter((f) => !isWindows(f));
if (all.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Windows first, so the Linux suite's summary (the bigger one) closes the run; either failing fails it.
if (all.some(isWindows)) step('windows', process.execPath, ['scripts/test-windows.mjs', ...filters], { deferFailure: true, last: files.length === 0 });
if (files.length === 0) process.exit(0);
step('fixtures', process.execPath, ['--import', 'tsx', 'scripts/prepare-fixtures.ts']);
const concurrency = String(Math.max(2, os.availableParallelism()));
step('tests', process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], { last: true });
