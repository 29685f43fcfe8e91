import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('a portal imports the verifier as plain Node: no Electron, nothing started, process exits', () => {
  const script = `
    const m = await import('./main/login/index.ts');
    const names = ['verifyLoginToken', 'MemoryChallengeStore', 'VERIFY_CODES', 'VERIFY_MESSAGES', 'loginTbs', 'normalizeOrigin', 'parseCrl'];
    const missing = names.filter((n) => !(n in m));
    const loaded = Object.keys(await import('node:module').then((x) => x.default._cache ?? {})).filter((p) => p.includes('electron'));
    console.log(JSON.stringify({ missing, loaded, codes: m.VERIFY_CODES.length }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { missing: string[]; loaded: string[]; codes: number };
  assert.deepEqual(out.missing, []);
  assert.deepEqual(out.loaded, []);
  assert.equal(out.codes, 28);
});
