import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_CA_PROFILES_PATH, loadCaProfiles } from '../pki/ca-profiles.ts';

/**
 * Driver libraries (PKCS#11 modules, SKF libraries) an administrator configured: machine policy
 * plus the CA profiles shipped in certs/ (each CA's driver names per OS). Bare names are looked up
 * in the system's library directories only — never in the working directory or a user-writable place.
 */
export type DriverKind = 'pkcs11Modules' | 'skfModules';

export interface ConfiguredDriversInput {
  platform?: NodeJS.Platform;
  /** certs/ca-profiles.json; read defensively (absent or malformed → no drivers). */
  profilesFile?: string;
  /** Driver paths from machine policy. */
  policyModules?: string[];
  /** Where bare names are searched; defaults per platform. */
  libraryDirs?: string[];
  exists?: (p: string) => boolean;
  env?: NodeJS.ProcessEnv;
}

export function defaultLibraryDirs(platform: NodeJS.Platform, env: NodeJS.ProcessEnv = process.env): string[] {
  if (platform === 'win32') {
    const root = env['SystemRoot'] ?? 'C:\\Windows';
    return [path.win32.join(root, 'System32'), path.win32.join(root, 'SysWOW64')];
  }
  if (platform === 'darwin') return ['/usr/local/lib', '/Library/Frameworks', '/usr/lib'];
  return ['/usr/lib', '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/local/lib', '/usr/lib/softhsm', '/usr/lib/x86_64-linux-gnu/pkcs11', '/opt'];
}

/** Driver names of one kind for this OS from the CA profiles; an absent or broken file yields none (never a crash). */
export function profileDriverNames(kind: DriverKind, file: string, platform: NodeJS.Platform): string[] {
  try {
    const names: string[] = [];
    for (const p of loadCaProfiles(file)) {
      const mods = (p[kind] as unknown as Record<string, unknown> | undefined)?.[platform];
      if (Array.isArray(mods)) for (const m of mods) if (typeof m === 'string' && m.trim()) names.push(m.trim());
    }
    return names;
  } catch {
    return [];
  }
}

/** Absolute paths of configured drivers of one kind that exist on this machine, deduplicated, in order (policy first). */
export function configuredDriverPaths(kind: DriverKind, input: ConfiguredDriversInput = {}): string[] {
  const platform = input.platform ?? process.platform;
  const exists = input.exists ?? ((p: string) => fs.existsSync(p));
  const dirs = input.libraryDirs ?? defaultLibraryDirs(platform, input.env);
  const p = platform === 'win32' ? path.win32 : path.posix;
  const names = [...(input.policyModules ?? []), ...profileDriverNames(kind, input.profilesFile ?? DEFAULT_CA_PROFILES_PATH, platform)];
  const out: string[] = [];
  for (const name of names) {
    const candidates = p.isAbsolute(name) ? [name] : name.includes('/') || name.includes('\\') ? [] : dirs.map((d) => p.join(d, name));
    const hit = candidates.find((c) => exists(c));
    if (hit && !out.includes(hit)) out.push(hit);
  }
  return out;
}
