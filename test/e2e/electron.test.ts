// The packaged shape through Playwright's Electron support: runs wherever the Electron binary
// exists (npm install with network); here it is skipped with the reason printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { _electron } from 'playwright-core';

const root = fileURLToPath(new URL('../../', import.meta.url));

function electronBinary(): { path: string } | { missing: string } {
  try {
    const p = createRequire(import.meta.url)('electron') as unknown;
    if (typeof p === 'string' && fs.existsSync(p)) return { path: p };
    return { missing: `not found at ${String(p)}` };
  } catch (e) {
    return { missing: (e as Error).message };
  }
}

test('Electron app: sandboxed window from app://, bridges as designed, no Node in the page', async (t) => {
  const bin = electronBinary();
  if ('missing' in bin) {
    t.skip(`Electron binary not installed: ${bin.missing}`);
    return;
  }
  const built = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: root, stdio: 'inherit' });
  assert.equal(built.status, 0, 'npm run build');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-electron-'));
  const app = await _electron.launch({
    executablePath: bin.path,
    args: ['.', `--user-data-dir=${path.join(home, 'profile')}`],
    cwd: root,
    env: { ...process.env, ELECTRON_DISABLE_SECURITY_WARNINGS: '0' },
  });
  try {
    const win = await app.firstWindow();
    await win.waitForLoadState('domcontentloaded');
    assert.match(win.url(), /^app:\/\/assistant\//);
    await win.getByTestId('nav-certs').waitFor();
    // Permission requests are denied by the session's default-deny table.
    const geo = await win.evaluate(() => navigator.permissions.query({ name: 'geolocation' }).then((p) => p.state));
    assert.equal(geo, 'denied');
    const page = await win.evaluate(() => ({
      require: typeof (globalThis as Record<string, unknown>)['require'],
      process: typeof (globalThis as Record<string, unknown>)['process'],
      assistant: typeof (globalThis as Record<string, unknown>)['assistant'],
      certAssistant: typeof (globalThis as Record<string, unknown>)['certAssistant'],
    }));
    assert.deepEqual(page, { require: 'undefined', process: 'undefined', assistant: 'object', certAssistant: 'undefined' });
    // The assistant UI cannot ask for a signature: its bridge does not pass the portal channel.
    const refused = await win.evaluate(async () => {
      const a = (globalThis as unknown as { assistant: { invoke(c: string, r?: unknown): Promise<{ ok: boolean; error?: { code: string } }> } }).assistant;
      return (await a.invoke('portal:authenticate', { challenge: 'A'.repeat(44) })).error?.code;
    });
    assert.equal(refused, 'IPC_UNKNOWN_CHANNEL');
    const version = await win.evaluate(async () => {
      const a = (globalThis as unknown as { assistant: { invoke(c: string, r?: unknown): Promise<{ ok: boolean; value?: { version: string } }> } }).assistant;
      return (await a.invoke('app:version')).value?.version;
    });
    assert.match(version ?? '', /^\d+\.\d+\.\d+/);
  } finally {
    await app.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
});
