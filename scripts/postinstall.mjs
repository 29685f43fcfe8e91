#!/usr/bin/env node
// Electron's own install script is not allowed to run (allowScripts: electron=false) because on a
// closed network its failed download would fail the whole `npm install`. We run it here instead:
// on a normal machine it fetches the Electron binary; where that is impossible we say so and
// carry on — everything but the desktop window still works (CLI, tests, UI in Chromium).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let electronDir;
try {
  electronDir = require.resolve('electron/package.json').replace(/package\.json$/, '');
} catch {
  process.exit(0); // production install without devDependencies
}
if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) process.exit(0);
let haveBinary = false;
try {
  const p = require('electron');
  haveBinary = typeof p === 'string' && existsSync(p);
} catch {}
if (haveBinary) process.exit(0);
const r = spawnSync(process.execPath, ['install.js'], { cwd: electronDir, stdio: 'pipe', timeout: 10 * 60 * 1000 });
if (r.status === 0) {
  console.log('Electron 运行环境已下载 / Electron binary installed');
} else {
  console.warn('提示：无法下载 Electron 运行环境（网络受限）。命令行工具与测试不受影响；桌面窗口需要联网后重新 npm install。');
  console.warn('note: the Electron binary could not be downloaded (no network). CLI and tests work; run npm install again with network access for the desktop app.');
}
