/**
 * A card's 登录 names the certificate the clerk means; the next consent preselects it when it is a
 * usable candidate (the portal's own USCC still wins). Kept for this window session only.
 */
const KEY = 'consent.preferredCertificate';

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
