/**
 * The bundled CLI (scripts/build.mjs → dist/cli/cert-assistant.mjs), as the installed app ships it,
 * answers exactly like `npx cert-assistant` (bin/cert-assistant.mjs through tsx): same output, same
 * exit code. Built into a private folder inside the repository (koffi resolves from node_modules).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { getTestPki, type TestPki } from '../../fixtures/pki.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
let out: string;
let bundle: string;
let pki: TestPki;

function run(entry: string, args: string[], input?: string) {
  const r = spawnSync(process.execPath, [entry, ...args], { cwd: ROOT, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('dist/cli/cert-assistant.mjs behaves like npx cert-assistant', () => {
  before(async () => {
    pki = await getTestPki();
    fs.mkdirSync(path.join(ROOT, '.cache'), { recursive: true });
    out = fs.mkdtempSync(path.join(ROOT, '.cache', 'cli-bundle-'));
    const r = spawnSync(process.execPath, ['scripts/build.mjs', '--only=cli', '--quiet', `--out=${out}`], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    bundle = path.join(out, 'cli', 'cert-assistant.mjs');
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  test('the bundle needs neither tsx nor TypeScript sources', () => {
    const code = fs.readFileSync(bundle, 'utf8');
    const devImports = code.match(/(?:from\s*|\bimport\(\s*)["'](?:tsx[^"']*|[^"']*\.ts)["']/g);
    assert.equal(devImports, null, `imports left in the bundle: ${devImports?.join(', ')}`);
    assert.ok(fs.existsSync(path.join(out, 'cli', 'keystore-worker.mjs')), 'the key-store worker is bundled beside it');
    assert.ok(fs.existsSync(path.join(out, 'cli', 'bridge-process.mjs')), 'so is the bridge process');
  });

  test('`bridge` forks the bundled bridge process, not the TypeScript entry (an installed app has neither tsx nor .ts files)', async () => {
    const child = spawn(process.execPath, [bundle, 'bridge', '--pfx', pki.get('bjca-ent').pfx!.modern!, '--allow-origin', 'http://127.0.0.1:8951', '--consent', 'stdin', '--bjca-port', '0', '--protocol', 'bjca'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`bridge exited ${code}`)));
      });
      assert.equal((JSON.parse(line) as { event: string }).event, 'listening');
      const ps = spawnSync('ps', ['-o', 'args=', '--ppid', String(child.pid)], { encoding: 'utf8' }).stdout;
      assert.match(ps, /bridge-process\.mjs/, ps);
      assert.doesNotMatch(ps, /process-entry\.ts|tsx/, ps);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  const cases: Array<[string, () => [string[], string?]]> = [
    ['uscc (valid, text)', () => [['uscc', '91130100780846178G']]],
    ['uscc (bad check char, JSON)', () => [['uscc', '--json', '911301007808461787']]],
    ['inspect a PFX (JSON, password on stdin)', () => [['inspect', '--json', '--password-stdin', pki.get('bjca-ent').pfx!.modern!], pki.password + '\n']],
    ['inspect an SM2 certificate (text)', () => [['inspect', pki.get('hebca-ent').certPem]]],
    ['guide search', () => [['guide', 'search', '营业执照', '--limit', '3', '--json']]],
    ['guide ask', () => [['guide', 'ask', '怎么用USB Key登录']]],
    ['usage error', () => [['inspect', '--nope']]],
  ];
  for (const [name, make] of cases) {
    test(name, () => {
      const [args, input] = make();
      const viaBundle = run(bundle, args, input);
      const viaTsx = run(path.join(ROOT, 'bin', 'cert-assistant.mjs'), args, input);
      assert.equal(viaBundle.stdout, viaTsx.stdout);
      assert.equal(viaBundle.stderr, viaTsx.stderr);
      assert.equal(viaBundle.status, viaTsx.status);
      assert.ok(viaTsx.stdout.length + viaTsx.stderr.length > 0, 'the command said something');
    });
  }
});
