/**
 * The thin, impure edge of policy: where the files live per OS, and reading them safely
 * (size cap, BOM, world-writable machine policy refused), and the registry on Windows.
 * Everything else is in policy.ts and registry.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AssistantError } from '../errors.ts';
import { windowsWriteProblem, type Unsafe } from '../keystores/windows/admin-only.ts';
import { userDataDir } from './user-data.ts';
import { policyInvalid, resolvePolicy, type LayerInput, type PolicyResult } from './policy.ts';
import { readRegistryLayer, type RegistryReader } from './registry.ts';
import { readRegistryValues } from './registry-reader.ts';

export const MAX_POLICY_BYTES = 1024 * 1024;

/** Machine-wide policy, writable by administrators only. */
export function machinePolicyPath(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string {
  if (platform === 'win32') return path.win32.join(env['ProgramData'] || env['PROGRAMDATA'] || 'C:\\ProgramData', 'CertAssistant', 'policy.json');
  if (platform === 'darwin') return '/Library/Application Support/CertAssistant/policy.json';
  return '/etc/cert-assistant/policy.json';
}

/** The user's own settings (the app may pass Electron's userData folder instead). */
export function userSettingsPath(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, home: string): string {
  return (platform === 'win32' ? path.win32 : path.posix).join(userDataDir(platform, env, home), 'settings.json');
}

export interface FileAccess {
  readFile(p: string): Buffer;
  stat(p: string): { size: number; mode: number; isFile(): boolean };
  /** Windows: who besides administrators may change the file or a folder above it (owner/DACL), or null. */
  windowsWriteProblem?(p: string): Unsafe | null;
}

const realFiles: FileAccess = {
  readFile: (p) => fs.readFileSync(p),
  stat: (p) => fs.statSync(p),
  windowsWriteProblem: (p) => windowsWriteProblem(fs.realpathSync.native(p), 'policy'),
};

/** Why a machine policy file must be ignored: anyone may rewrite it (mode bits; owner and DACL on Windows). */
function machineFileUnsafe(file: string, mode: number, platform: NodeJS.Platform, files: FileAccess): { en: string; zh: string } | null {
  if (platform !== 'win32') return mode & 0o002 ? { en: 'world-writable', zh: '可被任何用户修改' } : null;
  let why: Unsafe | null;
  try {
    why = (files.windowsWriteProblem ?? realFiles.windowsWriteProblem!)(file);
  } catch (e) {
    why = { path: file, en: `cannot read its permissions (${(e as Error).message})`, zh: '无法读取其访问权限' };
  }
  if (!why) return null;
  return why.path === file ? why : { en: `${why.path}: ${why.en}`, zh: `${why.path} ${why.zh}` };
}

/** Reads one layer; never throws. `machine` layers that anyone can rewrite are refused. */
export function readPolicyLayer(file: string | null, opts: { machine: boolean; platform: NodeJS.Platform; files?: FileAccess }): LayerInput {
  if (!file) return { status: 'absent' };
  const files = opts.files ?? realFiles;
  let st;
  try {
    st = files.stat(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { status: 'absent', path: file };
    return { status: 'unreadable', path: file, error: unreadable(file, code) };
  }
  if (!st.isFile()) return { status: 'unreadable', path: file, error: unreadable(file, 'not a file') };
  const unsafe = opts.machine ? machineFileUnsafe(file, st.mode, opts.platform, files) : null;
  if (unsafe) {
    return {
      status: 'unsafe', path: file,
      error: new AssistantError('POLICY_UNSAFE', `策略文件${unsafe.zh}，已忽略：${file}`, { en: `policy file is ${unsafe.en}; ignored: ${file}`, details: { file, reason: unsafe.en } }).toJSON(),
    };
  }
  if (st.size > MAX_POLICY_BYTES) return { status: 'invalid', path: file, error: policyInvalid(file, '/', 'file larger than 1 MiB', '文件超过 1 MiB').toJSON() };
  let text: string;
  try {
    text = files.readFile(file).toString('utf8');
  } catch (e) {
    return { status: 'unreadable', path: file, error: unreadable(file, (e as NodeJS.ErrnoException).code) };
  }
  // Windows Notepad writes a BOM; JSON.parse does not accept one.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return { status: 'read', path: file, document: JSON.parse(text) as unknown };
  } catch (e) {
    return { status: 'invalid', path: file, error: policyInvalid(file, '/', `not JSON: ${(e as Error).message}`, '不是有效的 JSON').toJSON() };
  }
}

function unreadable(file: string, why: string | undefined): ReturnType<AssistantError['toJSON']> {
  return new AssistantError('POLICY_UNREADABLE', `无法读取策略文件：${file}`, { en: `cannot read policy file: ${file}`, details: { file, reason: why ?? 'unknown' } }).toJSON();
}

export interface LoadPolicyOptions {
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  home?: string;
  /** Overrides the OS machine-policy path; null = no machine policy. */
  machinePath?: string | null;
  /** Overrides the user-settings path; null = no user settings. */
  userPath?: string | null;
  files?: FileAccess;
  /** Group Policy reader (HKLM/HKCU); default: advapi32 on Windows, none elsewhere; null = none. */
  registry?: RegistryReader | null;
}

/** Reads Group Policy (Windows), machine policy and user settings and merges them over the defaults. Never throws. */
export function loadPolicy(opts: LoadPolicyOptions = {}): PolicyResult {
  const platform = opts.platform ?? process.platform;
  const env = opts.env ?? process.env;
  const home = opts.home ?? (env['HOME'] || env['USERPROFILE'] || '');
  const machinePath = opts.machinePath === undefined ? machinePolicyPath(platform, env) : opts.machinePath;
  const userPath = opts.userPath === undefined ? (home ? userSettingsPath(platform, env, home) : null) : opts.userPath;
  const files = opts.files;
  const registry = opts.registry !== undefined ? opts.registry : platform === 'win32' && process.platform === 'win32' ? readRegistryValues : null;
  return resolvePolicy({
    platform,
    machine: readPolicyLayer(machinePath, { machine: true, platform, ...(files ? { files } : {}) }),
    user: readPolicyLayer(userPath, { machine: false, platform, ...(files ? { files } : {}) }),
    ...(registry ? { registry: { machine: readRegistryLayer(registry, 'HKLM'), user: readRegistryLayer(registry, 'HKCU') } } : {}),
  });
}
