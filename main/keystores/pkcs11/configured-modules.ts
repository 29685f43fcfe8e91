import fs from 'node:fs';
import path from 'node:path';

/**
 * PKCS#11 modules an administrator configured: the CA profiles shipped in certs/ (each CA's
 * driver names per OS) plus the policy's list. Bare names are looked up in the system's
 * library directories only — never in the working directory or a user-writable place.
 */
export interface ConfiguredModulesInput {
  platform?: NodeJS.Platform;
  /** certs/ca-profiles.json; read defensively (absent or malformed → no modules). */
  profilesFile?: string;
  /** Module paths from machine policy. */
  policyModules?: string[];
  /** Where bare names are searched; defaults per platform. */
  libraryDirs?: string[];
  exists?: (p: string) => boolean;
  env?: NodeJS.ProcessEnv;
}

export const DEFAULT_PROFILES_FILE = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../certs/ca-profiles.json');

export function defaultLibraryDirs(platform: NodeJS.Platform, env: NodeJS.ProcessEnv = process.env): string[] {
  if (platform === 'win32') {
    const root = env['SystemRoot'] ?? 'C:\\Windows';
    return [path.win32.join(root, 'System32'), path.win32.join(root, 'SysWOW64')];
  }
  if (platform === 'darwin') return ['/usr/local/lib', '/Library/Frameworks', '/usr/lib'];
  return ['/usr/lib', '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/local/lib', '/usr/lib/softhsm', '/usr/lib/x86_64-linux-gnu/pkcs11', '/opt'];
}

/** Module names per OS from the profiles file: `[{ pkcs11Modules: { linux: [...] } }]` or `{ profiles: [...] }`. */
export function profileModuleNames(file: string, platform: NodeJS.Platform): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
  const list = Array.isArray(doc) ? doc : (doc as { profiles?: unknown })?.profiles;
  if (!Array.isArray(list)) return [];
  const names: string[] = [];
  for (const p of list) {
    const mods = (p as { pkcs11Modules?: Record<string, unknown> })?.pkcs11Modules?.[platform];
    if (Array.isArray(mods)) for (const m of mods) if (typeof m === 'string' && m.trim()) names.push(m.trim());
  }
  return names;
}

/** Absolute paths of configured modules that exist on this machine, deduplicated, in order. */
export function configuredModulePaths(input: ConfiguredModulesInput = {}): string[] {
  const platform = input.platform ?? process.platform;
  const exists = input.exists ?? ((p: string) => fs.existsSync(p));
  const dirs = input.libraryDirs ?? defaultLibraryDirs(platform, input.env);
  const p = platform === 'win32' ? path.win32 : path.posix;
  const names = [...(input.policyModules ?? []), ...profileModuleNames(input.profilesFile ?? DEFAULT_PROFILES_FILE, platform)];
  const out: string[] = [];
  for (const name of names) {
    const candidates = p.isAbsolute(name) ? [name] : name.includes('/') || name.includes('\\') ? [] : dirs.map((d) => p.join(d, name));
    const hit = candidates.find((c) => exists(c));
    if (hit && !out.includes(hit)) out.push(hit);
  }
  return out;
}
