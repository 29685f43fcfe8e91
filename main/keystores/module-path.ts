import fs from 'node:fs';
import path from 'node:path';
import { AssistantError } from '../errors.ts';
import { windowsWriteProblem, type WindowsAccessOptions } from './windows/admin-only.ts';

/**
 * A driver library (PKCS#11 module or SKF library) is native code we run with the user's rights, so it may only come from
 * places an administrator controls: absolute paths, not writable by everyone (file, its
 * directory and the directories above it, unless sticky like /tmp). On Windows the same question
 * is asked of owners and DACLs (windows/admin-only.ts): only administrators may write, except that
 * Program Files, System32 and SysWOW64 need only be not writable by everyone; user folders never.
 */
export interface ModulePathOptions {
  platform?: NodeJS.Platform;
  /** Injected for tests; defaults to fs.statSync / fs.realpathSync. */
  stat?: (p: string) => fs.Stats;
  realpath?: (p: string) => string;
  /** Windows: owner/DACL reader, administrators and environment (defaults: this machine's). */
  windows?: WindowsAccessOptions;
}

function unsafe(p: string, reason: string, zh: string): AssistantError {
  return new AssistantError('MODULE_PATH_UNSAFE', `拒绝加载 USB Key 驱动：${zh}`, { en: `refusing to load the PKCS#11 module: ${reason}`, details: { module: p, reason } });
}

const S_IWOTH = 0o002;
const S_ISVTX = 0o1000;

/** Returns the real path of a module that may be loaded, or throws MODULE_PATH_UNSAFE / MODULE_NOT_FOUND. */
export function checkModulePath(p: string, opts: ModulePathOptions = {}): string {
  const platform = opts.platform ?? process.platform;
  const stat = opts.stat ?? ((x: string) => fs.statSync(x));
  // On Windows the native realpath gives the canonical long name (no 8.3 aliases such as PROGRA~1).
  const realpath = opts.realpath ?? ((x: string) => (platform === 'win32' ? fs.realpathSync.native(x) : fs.realpathSync(x)));
  const isAbs = platform === 'win32' ? path.win32.isAbsolute(p) && /^[a-zA-Z]:[\\/]/.test(p) : path.posix.isAbsolute(p);
  if (!isAbs) throw unsafe(p, 'relative path', '驱动路径必须是绝对路径');
  if (p.includes('\0')) throw unsafe(p, 'NUL in path', '路径包含非法字符');
  let real: string;
  try {
    real = realpath(p);
  } catch {
    throw new AssistantError('MODULE_NOT_FOUND', '找不到 USB Key 驱动文件，请确认已安装发证机构的驱动', { en: 'PKCS#11 module not found', details: { module: p } });
  }
  const st = stat(real);
  if (!st.isFile()) throw unsafe(p, 'not a regular file', '不是普通文件');
  // Windows says who may write in owners and DACLs, which mode bits do not show.
  if (platform === 'win32') {
    const why = windowsWriteProblem(real, 'driver', opts.windows);
    if (why) throw unsafe(p, why.path === real ? why.en : `${why.path}: ${why.en}`, why.path === real ? why.zh : `${why.path} ${why.zh}`);
    return real;
  }
  if (st.mode & S_IWOTH) throw unsafe(p, 'module file is world-writable', '驱动文件可被任何用户修改');
  const p2 = path.posix;
  let dir = p2.dirname(real);
  let first = true;
  for (;;) {
    const ds = stat(dir);
    if (ds.mode & S_IWOTH && (first || !(ds.mode & S_ISVTX))) {
      throw unsafe(p, `directory ${dir} is world-writable`, `所在目录 ${dir} 可被任何用户写入`);
    }
    first = false;
    const up = p2.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return real;
}
