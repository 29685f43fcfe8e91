/**
 * A card's 登录 names the certificate the clerk means; the next consent preselects it when it is a
 * usable candidate (the portal's own USCC still wins). Kept for this window session only.
 */
import type { ConsentRequestView } from '../common/ipc-contract.ts';

const KEY = 'consent.preferredCertificate';

/** The certificate to preselect: the one the portal named, else the one the clerk chose with a card's 登录, else the first that is not locked. */
export function preselect(request: ConsentRequestView, preferred: string | null = null): string {
  const usable = request.candidates.filter((c) => c.pin?.locked !== true);
  const named = request.expectedUscc ? usable.find((c) => c.uscc?.value === request.expectedUscc) : undefined;
  const chosen = preferred ? usable.find((c) => c.id === preferred) : undefined;
  return (named ?? chosen ?? usable[0] ?? request.candidates[0])?.id ?? '';
}

export function preferCertificate(certificateId: string): void {
  try {
    sessionStorage.setItem(KEY, certificateId);
  } catch {}
}

export function preferredCertificate(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}
