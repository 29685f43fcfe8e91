/**
 * Aliases and groups a clerk gives certificates (代理记账 agencies hold dozens of enterprises' keys):
 * kept in the user's own settings of the assistant (its origin's storage, like the 预留信息), keyed
 * by the certificate's SHA-256 fingerprint — never written to the key or the file.
 */
import type { CertificateView } from '../common/ipc-contract.ts';

export interface CertLabel {
  alias?: string;
  group?: string;
}
export type CertLabels = Record<string, CertLabel>;

const KEY = 'certs.labels';
const MAX = 40;
const FINGERPRINT = /^[0-9a-f]{64}$/;

/** Trimmed, control characters dropped, at most 40 characters; empty → undefined. */
function clean(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex
  const s = v.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, MAX);
  return s || undefined;
}

/** Whatever is stored, only well-formed entries survive (a hand-edited or old value never breaks the screen). */
export function parseLabels(json: string | null): CertLabels {
  if (!json) return {};
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return {};
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) return {};
  const out: CertLabels = {};
  for (const [fp, v] of Object.entries(data as Record<string, unknown>)) {
    if (!FINGERPRINT.test(fp) || !v || typeof v !== 'object') continue;
    const alias = clean((v as CertLabel).alias);
    const group = clean((v as CertLabel).group);
    if (alias || group) out[fp] = { ...(alias ? { alias } : {}), ...(group ? { group } : {}) };
  }
  return out;
}

export function withLabel(labels: CertLabels, fingerprint: string, label: CertLabel): CertLabels {
  const next = { ...labels };
  const alias = clean(label.alias);
  const group = clean(label.group);
  if (alias || group) next[fingerprint] = { ...(alias ? { alias } : {}), ...(group ? { group } : {}) };
  else delete next[fingerprint];
  return next;
}

export function readLabels(): CertLabels {
  try {
    return parseLabels(localStorage.getItem(KEY));
  } catch {
    return {};
  }
}

export function saveLabels(labels: CertLabels): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(labels));
  } catch {}
}

/** Groups in name order, the certificates without a group last (group null); no groups at all → one null group. */
export function groupCertificates(certs: readonly CertificateView[], labels: CertLabels): { group: string | null; certs: CertificateView[] }[] {
  const byGroup = new Map<string | null, CertificateView[]>();
  for (const c of certs) {
    const g = labels[c.fingerprintSha256]?.group ?? null;
    byGroup.set(g, [...(byGroup.get(g) ?? []), c]);
  }
  const named = [...byGroup.keys()].filter((g): g is string => g !== null).sort((a, b) => a.localeCompare(b, 'zh-CN'));
  return [...named, ...(byGroup.has(null) ? [null] : [])].map((group) => ({ group, certs: byGroup.get(group)! }));
}
