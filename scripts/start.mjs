#!/usr/bin/env node
// `npm start`: build (scripts/build.mjs), find the Electron binary, fetch it once if it is missing
// (node_modules/electron/install.js, bounded), then run the app and pass on its exit code and signals.
// Without a binary it says so in zh-CN and English and exits 1: the CLI and the tests do not need it.
//   --no-build                           skip the build (dist/ is already there)
//   CERT_ASSISTANT_ELECTRON_FETCH_TIMEOUT_MS   bound on the fetch attempt (default 5 minutes)
//   CERT_ASSISTANT_ELECTRON_INSTALL_SCRIPT     another fetch script instead of electron's install.js (tests)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const noBuild = args.includes('--no-build');
const appArgs = args.filter((a) => a !== '--no-build');
const fetchTimeoutMs = Number(process.env.CERT_ASSISTANT_ELECTRON_FETCH_TIMEOUT_MS) > 0 ? Number(process.env.CERT_ASSISTANT_ELECTRON_FETCH_TIMEOUT_MS) : 5 * 60_000;
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

let current = null;
for (const sig of FORWARDED_SIGNALS) {
  process.on(sig, () => {
    // The running child (build, fetch or Electron) decides how to end; we follow its exit.
    if (current && current.exitCode === null) current.kill(sig);
    else process.exit(128 + (SIGNAL_NUMBERS[sig] ?? 1));
  });
}

/** Runs a child; resolves with its exit code/signal, or timedOut after killing it. */
function run(command, argv, { timeoutMs, capture = false, env = process.env, cwd = root } = {}) {
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    let child;
    try {
      child = spawn(command, argv, { cwd, env, stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    } catch (e) {
      resolve({ code: null, signal: null, timedOut, output: String(e?.message ?? e), spawnError: true });
      return;
    }
    current = child;
    const keep = (chunk) => {
      if (output.length < 64 * 1024) output += chunk.toString('utf8');
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let timer = null;
    let killer = null;
    if (timeoutMs) {
      timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGTERM');
        killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      }, timeoutMs);
    }
    let spawnError = false;
    child.on('error', (e) => {
      spawnError = true;
      output += String(e?.message ?? e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killer);
      current = null;
      resolve({ code, signal, timedOut, output, spawnError });
    });
  });
}

/** The Electron executable `require('electron')` names, if it exists on disk. */
function findElectron() {
  try {
    const id = require.resolve('electron');
    delete require.cache[id];
    const p = require('electron');
    return typeof p === 'string' && fs.existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

/** One readable line from a failed fetch: no stack frames. */
function reasonOf(output) {
  const lines = output.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !/^at\s/.test(l) && !/^\^+$/.test(l) && !/^node:/.test(l));
  const line = lines.find((l) => /error|fail|timed? ?out|ENOTFOUND|ECONN|EAI_AGAIN|certificate|proxy|403|404/i.test(l)) ?? lines[0] ?? '';
  return line.length > 200 ? line.slice(0, 200) + '…' : line;
}

function explainMissing(reasonZh, reasonEn) {
  const msg = [
    '无法启动证书助手：本机没有 Electron 运行环境（node_modules/electron 中没有可执行文件）。',
    `自动下载 Electron 没有成功：${reasonZh}`,
    '命令行工具和测试不受影响，仍可使用：npx cert-assistant doctor、npx cert-assistant inspect <证书文件>、npm test。',
    '解决办法：',
    '  1. 在能访问外网的环境中运行 node node_modules/electron/install.js，然后重新运行 npm start；',
    '  2. 公司网络需经代理或内部镜像时，先设置 ELECTRON_MIRROR=<公司内部的 Electron 镜像地址>（需要代理时再设置 HTTPS_PROXY），再执行第 1 步；',
    '  3. 已有解压好的 Electron 时，设置 ELECTRON_OVERRIDE_DIST_PATH=<该目录> 后运行 npm start。',
    '',
    'Cannot start Cert Assistant: the Electron runtime is not installed (no executable in node_modules/electron).',
    `Fetching Electron did not succeed: ${reasonEn}`,
    'The command line and the tests do not need it and still work: npx cert-assistant doctor, npx cert-assistant inspect <file>, npm test.',
    'To fix:',
    '  1. With network access, run node node_modules/electron/install.js, then npm start again;',
    '  2. Behind a company proxy or mirror, set ELECTRON_MIRROR=<your company\'s Electron mirror URL> (and HTTPS_PROXY if a proxy is needed) before step 1;',
    '  3. With an unpacked Electron at hand, set ELECTRON_OVERRIDE_DIST_PATH=<that directory> and run npm start.',
  ];
  process.stderr.write(msg.join('\n') + '\n');
}

async function main() {
  if (!noBuild) {
    const b = await run(process.execPath, [path.join(root, 'scripts', 'build.mjs')]);
    if (b.code !== 0) {
      process.stderr.write(`构建失败，未启动证书助手（退出码 ${b.code ?? b.signal}）。\nBuild failed; Cert Assistant was not started (exit ${b.code ?? b.signal}).\n`);
      return b.code || 1;
    }
  }

  let electron = findElectron();
  if (!electron) {
    const script = process.env.CERT_ASSISTANT_ELECTRON_INSTALL_SCRIPT || path.join(path.dirname(require.resolve('electron/package.json')), 'install.js');
    const secs = Math.round(fetchTimeoutMs / 1000);
    const [zh, en] = secs >= 120 ? [`${Math.round(secs / 60)} 分钟`, `${Math.round(secs / 60)} min`] : [`${secs} 秒`, `${secs} s`];
    process.stderr.write(`未找到 Electron 运行环境，正在尝试下载（最多 ${zh}）…\nElectron runtime not found; trying to fetch it (at most ${en})…\n`);
    const f = await run(process.execPath, [script], { timeoutMs: fetchTimeoutMs, capture: true, cwd: path.dirname(script) });
    electron = findElectron();
    if (!electron) {
      const detail = reasonOf(f.output);
      if (f.timedOut) explainMissing(`${secs} 秒内没有完成（网络不通或太慢）${detail ? `：${detail}` : ''}`, `it did not finish within ${secs} s (no or slow network)${detail ? `: ${detail}` : ''}`);
      else if (f.code === 0) explainMissing('下载程序结束了，但没有装好可执行文件（可能设置了 ELECTRON_SKIP_BINARY_DOWNLOAD）', 'the fetch ended without installing the executable (ELECTRON_SKIP_BINARY_DOWNLOAD set?)');
      else explainMissing(detail || `下载程序退出码 ${f.code ?? f.signal}`, detail || `the fetch exited with ${f.code ?? f.signal}`);
      return 1;
    }
  }

  const env = { ...process.env };
  // Set in the environment, it would turn Electron into plain Node and the app would not open.
  delete env.ELECTRON_RUN_AS_NODE;
  const e = await run(electron, [root, ...appArgs], { env });
  if (e.spawnError) {
    process.stderr.write(`无法运行 Electron（${electron}）：${reasonOf(e.output)}\nCould not run Electron (${electron}): ${reasonOf(e.output)}\n`);
    return 1;
  }
  if (e.signal) return 128 + (SIGNAL_NUMBERS[e.signal] ?? 1);
  return e.code ?? 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`启动失败：${err?.message ?? err}\nStart failed: ${err?.message ?? err}\n`);
    process.exit(1);
  },
);
