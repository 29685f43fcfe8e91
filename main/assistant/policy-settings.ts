/**
 * The settings screen's view of the effective policy: each key's value, where it came from, and
 * whether the user may change it (a value an administrator set is locked, with its source).
 */
import type { PolicySettingView } from '../../common/ipc-contract.ts';
import type { Policy, PolicyResult } from '../policy/policy.ts';

const ADMIN_LAYERS = new Set(['machine', 'machine-registry', 'user-registry']);

function shown(v: Policy[keyof Policy]): string {
  if (v === null) return '—';
  if (Array.isArray(v)) return v.length === 0 ? '—' : v.map((x) => (typeof x === 'string' ? x : x.origin)).join('\n');
  if (typeof v === 'string' && v.includes('-----BEGIN')) return v.split('\n')[0] ?? v;
  return String(v);
}

/** `sources` lists the layers in the order the resolver applied them: the last applied layer that set a key is the one in force. */
export function policySettingsView(result: Pick<PolicyResult, 'policy' | 'sources'>): PolicySettingView[] {
  const from = new Map<string, { layer: string; path?: string }>();
  for (const s of result.sources) {
    if (s.status !== 'applied' || !s.keys) continue;
    for (const k of s.keys) {
      from.set(k, { layer: s.layer, ...(s.path !== undefined ? { path: s.path } : {}) });
    }
  }
  return (Object.keys(result.policy) as (keyof Policy)[]).map((key) => {
    const src = from.get(key);
    const source = !src ? 'default' : src.layer === 'machine' ? `file:${src.path ?? ''}` : src.layer === 'machine-registry' ? 'registry:HKLM' : src.layer === 'user-registry' ? 'registry:HKCU' : 'user';
    return { key, value: shown(result.policy[key]), source, locked: !!src && ADMIN_LAYERS.has(src.layer) };
  });
}
