import path from 'node:path';
import { untrustedWriter, type SecurityInfo, type Sid, type Verdict } from './acl.ts';
import { readFileSecurity, trustedPrincipals } from './security-native.ts';

/**
 * Is a file on Windows under administrators' control? Walks the file and each folder above it
 * (the drive root aside: Windows lets every user create folders there) and judges owner and DACL.
 * Driver DLLs in Program Files, System32 and SysWOW64 only need to be not world-writable (their
 * owners are installers and TrustedInstaller); elsewhere, and for the machine policy, the owner and
 * every principal that may write must be an administrator. User folders (C:\Users\…, Public
 * included) are never trusted for drivers.
 */
export interface WindowsAccessOptions {
  env?: NodeJS.ProcessEnv;
  /** Owner + DACL of one path; defaults to advapi32 (security-native.ts). */
  security?: (p: string) => SecurityInfo;
  /** Principals that count as administrators; defaults to this process's view (security-native.ts). */
  trusted?: ReadonlySet<Sid>;
}

export interface Unsafe extends Verdict { path: string }

const w = path.win32;
const norm = (p: string) => w.normalize(p).replace(/[\\/]+$/, '').toLowerCase();
const under = (p: string, dir: string) => {
  const a = norm(p);
  const b = norm(dir);
  return a === b || a.startsWith(b + '\\');
};

/** Where Windows keeps programs and its own libraries (admin-only by default). */
export function systemDriverFolders(env: NodeJS.ProcessEnv = process.env): string[] {
  const systemRoot = env['SystemRoot'] || env['SYSTEMROOT'] || env['windir'] || 'C:\\Windows';
  const drive = env['SystemDrive'] || 'C:';
  const dirs = [
    env['ProgramFiles'] || `${drive}\\Program Files`,
    env['ProgramFiles(x86)'] || `${drive}\\Program Files (x86)`,
    env['ProgramW6432'] || `${drive}\\Program Files`,
    w.join(systemRoot, 'System32'),
    w.join(systemRoot, 'SysWOW64'),
  ];
  return [...new Set(dirs.map((d) => w.normalize(d)))];
}

/** The folder holding every user's profile (C:\Users), where any user may write somewhere. */
export function usersFolder(env: NodeJS.ProcessEnv = process.env): string {
  const profile = env['PUBLIC'] || env['USERPROFILE'];
  return profile ? w.dirname(w.normalize(profile)) : `${env['SystemDrive'] || 'C:'}\\Users`;
}

/** Why a path must not be trusted (the first problem found, walking up), or null. */
export function windowsWriteProblem(realPath: string, kind: 'driver' | 'policy', opts: WindowsAccessOptions = {}): Unsafe | null {
  const env = opts.env ?? process.env;
  if (kind === 'driver' && under(realPath, usersFolder(env))) {
    return { path: realPath, en: 'in a user folder, which users can write', zh: '位于用户目录中，普通用户可写入' };
  }
  const strict = !(kind === 'driver' && systemDriverFolders(env).some((d) => under(realPath, d)));
  const security = opts.security ?? readFileSecurity;
  const trusted = opts.trusted ?? trustedPrincipals();
  let p = w.normalize(realPath);
  for (;;) {
    const parent = w.dirname(p);
    if (parent === p) break; // the drive root (C:\) itself is not judged
    let info: SecurityInfo;
    try {
      info = security(p);
    } catch (e) {
      return { path: p, en: `cannot read its permissions (${(e as Error).message})`, zh: '无法读取其访问权限' };
    }
    const why = untrustedWriter(info, { trusted, strict });
    if (why) return { path: p, ...why };
    p = parent;
  }
  return null;
}
