// `npm run bench [-- name...]`: runs every scripts/bench/<name>.ts in its own process (so one
// area's heap does not skew another's) and prints one JSON document: { name: result, ... }.
// Each bench prints a single JSON value on stdout and measures its own baseline in the same run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = new URL('./bench/', import.meta.url).pathname;
const wanted = process.argv.slice(2);
const names = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).filter((n) => wanted.length === 0 || wanted.includes(n)).sort();
const results: Record<string, unknown> = {};
let failed = false;
for (const name of names) {
  process.stderr.write(`bench ${name} …\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(dir, `${name}.ts`)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    results[name] = JSON.parse(r.stdout);
  } catch {
    results[name] = { error: `exit ${r.status}`, output: r.stdout.slice(-2000) };
    failed = true;
  }
}
process.stdout.write(JSON.stringify(results, null, 2) + '\n');
if (failed) process.exitCode = 1;
