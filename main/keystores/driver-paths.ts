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

/** Each CA profile's driver names of one kind for this OS; throws when the profile file is unusable. */
export function profileDriverEntries(kind: DriverKind, file: string, platform: NodeJS.Platform): { profile: string; name: string }[] {
  const entries: { profile: string; name: string }[] = [];
  for (const p of loadCaProfiles(file)) {
    const mods = (p[kind] as unknown as Record<string, unknown> | undefined)?.[platform];
    if (Array.isArray(mods)) for (const m of mods) if (typeof m === 'string' && m.trim()) entries.push({ profile: p.id, name: m.trim() });
  }
  return entries;
}

/** Driver names of one kind for this OS from the CA profiles; an absent or broken file yields none (never a crash). */
export function profileDriverNames(kind: DriverKind, file: string, platform: NodeJS.Platform): string[] {
  try {
    return profileDriverEntries(kind, file, platform).map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * Where one configured driver name is on this machine: an absolute path as is, a bare name in the
 * library directories (first hit); a relative path is never searched. null when not found.
 */
export function resolveDriverName(name: string, where: { platform: NodeJS.Platform; libraryDirs: string[]; exists: (p: string) => boolean }): string | null {
  const p = where.platform === 'win32' ? path.win32 : path.posix;
  if (p.isAbsolute(name)) return where.exists(name) ? name : null;
  if (name.includes('/') || name.includes('\\')) return null;
  for (const dir of where.libraryDirs) {
    const candidate = p.join(dir, name);
    if (where.exists(candidate)) return candidate;
  }
  return null;
}

/** Absolute paths of configured drivers of one kind that exist on this machine, deduplicated, in order (policy first). */
export function configuredDriverPaths(kind: DriverKind, input: ConfiguredDriversInput = {}): string[] {
  const platform = input.platform ?? process.platform;
  const where = { platform, exists: input.exists ?? ((p: string) => fs.existsSync(p)), libraryDirs: input.libraryDirs ?? defaultLibraryDirs(platform, input.env) };
  const names = [...(input.policyModules ?? []), ...profileDriverNames(kind, input.profilesFile ?? DEFAULT_CA_PROFILES_PATH, platform)];
  const out: string[] = [];
  for (const name of names) {
    const hit = resolveDriverName(name, where);
    if (hit && !out.includes(hit)) out.push(hit);
  }
  return out;
}
