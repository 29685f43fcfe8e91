import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_CA_PROFILES_PATH, loadCaProfiles } from '../../pki/ca-profiles.ts';
import { defaultLibraryDirs } from '../pkcs11/configured-modules.ts';

/**
 * SKF libraries an administrator configured: machine policy `skfModules` (callers pass it as
 * `policyModules`) plus the CA profiles' `skfModules[platform]`. Same rules as
 * PKCS#11 drivers: bare names only from the system library folders, never a user-writable place.
 */
export interface ConfiguredSkfInput {
  platform?: NodeJS.Platform;
  profilesFile?: string;
  policyModules?: string[];
  libraryDirs?: string[];
  exists?: (p: string) => boolean;
  env?: NodeJS.ProcessEnv;
}

/** SKF library names for this OS from the CA profiles; an absent or broken file yields none. */
export function profileSkfNames(file: string, platform: NodeJS.Platform): string[] {
  try {
    const names: string[] = [];
    for (const p of loadCaProfiles(file)) {
      const mods = (p.skfModules as unknown as Record<string, unknown> | undefined)?.[platform];
      if (Array.isArray(mods)) for (const m of mods) if (typeof m === 'string' && m.trim()) names.push(m.trim());
    }
    return names;
  } catch {
    return [];
  }
}

/** Absolute paths of configured SKF libraries that exist on this machine, deduplicated, in order. */
export function configuredSkfModulePaths(input: ConfiguredSkfInput = {}): string[] {
  const platform = input.platform ?? process.platform;
  const exists = input.exists ?? ((p: string) => fs.existsSync(p));
  const dirs = input.libraryDirs ?? defaultLibraryDirs(platform, input.env);
  const p = platform === 'win32' ? path.win32 : path.posix;
  const names = [...(input.policyModules ?? []), ...profileSkfNames(input.profilesFile ?? DEFAULT_CA_PROFILES_PATH, platform)];
  const out: string[] = [];
  for (const name of names) {
    const candidates = p.isAbsolute(name) ? [name] : name.includes('/') || name.includes('\\') ? [] : dirs.map((d) => p.join(d, name));
    const hit = candidates.find((c) => exists(c));
    if (hit && !out.includes(hit)) out.push(hit);
  }
  return out;
}
