/**
 * What the app needs from policy: portal address and allowed origins, extra PKCS#11 modules,
 * extra trust folders. Defaults < machine policy file (admin-written) — read here until
 * main/policy provides the full layering; unknown keys are ignored, bad values rejected.
 */
import path from 'node:path';

export interface AppPolicy {
  portal: { home: string; allowedOrigins: string[] };
  pkcs11Modules: string[];
  trustDirs: string[];
}

export const DEFAULT_APP_POLICY: AppPolicy = {
  portal: {
    home: 'https://www.hbzwfw.gov.cn/',
    // The province's main site and its city sub-sites (hd., ts., …): DESIGN "Portal facts".
    allowedOrigins: ['https://www.hbzwfw.gov.cn', 'https://*.hbzwfw.gov.cn'],
  },
  pkcs11Modules: [],
  trustDirs: [],
};

/** Where an administrator puts the machine policy (not writable by ordinary users). */
export function machinePolicyPath(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string {
  if (platform === 'win32') return path.win32.join(env['ProgramData'] ?? 'C:\\ProgramData', 'CertAssistant', 'policy.json');
  if (platform === 'darwin') return '/Library/Application Support/CertAssistant/policy.json';
  return '/etc/cert-assistant/policy.json';
}

function strings(v: unknown, max = 64): string[] | null {
  if (!Array.isArray(v) || v.length > max || !v.every((s) => typeof s === 'string' && s.length > 0 && s.length < 1024)) return null;
  return v as string[];
}

/** Merges a parsed machine policy over the defaults; returns the problems it ignored. */
export function mergeAppPolicy(base: AppPolicy, doc: unknown): { policy: AppPolicy; problems: string[] } {
  const problems: string[] = [];
  const policy: AppPolicy = { portal: { ...base.portal, allowedOrigins: [...base.portal.allowedOrigins] }, pkcs11Modules: [...base.pkcs11Modules], trustDirs: [...base.trustDirs] };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { policy, problems: ['policy is not a JSON object'] };
  const d = doc as Record<string, unknown>;
  const portal = d['portal'] as Record<string, unknown> | undefined;
  if (portal !== undefined) {
    if (typeof portal !== 'object' || portal === null) problems.push('portal must be an object');
    else {
      if (portal['home'] !== undefined) {
        if (typeof portal['home'] === 'string' && /^https?:\/\//.test(portal['home'])) policy.portal.home = portal['home'];
        else problems.push('portal.home must be an http(s) URL');
      }
      if (portal['allowedOrigins'] !== undefined) {
        const o = strings(portal['allowedOrigins']);
        if (o) policy.portal.allowedOrigins = o;
        else problems.push('portal.allowedOrigins must be a list of origins');
      }
    }
  }
  const mods = d['pkcs11Modules'] ?? (d['keystores'] as Record<string, unknown> | undefined)?.['pkcs11Modules'];
  if (mods !== undefined) {
    const m = strings(mods);
    if (m) policy.pkcs11Modules = m;
    else problems.push('pkcs11Modules must be a list of paths');
  }
  const trust = d['trustDirs'] ?? (d['trust'] as Record<string, unknown> | undefined)?.['dirs'];
  if (trust !== undefined) {
    const t = strings(trust);
    if (t) policy.trustDirs = t;
    else problems.push('trustDirs must be a list of paths');
  }
  return { policy, problems };
}
