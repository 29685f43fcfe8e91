/**
 * Resident ID numbers (GB 11643-1999) for the leader and the legal person: checked on
 * registration, stored as given, only ever shown masked.
 */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

export function normalizeIdNumber(s: string): string {
  return s.normalize('NFKC').trim().toUpperCase();
}

export function isValidResidentId(input: string): boolean {
  const s = normalizeIdNumber(input);
  if (!/^[1-9]\d{16}[\dX]$/.test(s)) return false;
  const y = Number(s.slice(6, 10));
  const m = Number(s.slice(10, 12));
  const d = Number(s.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(s[i]) * (WEIGHTS[i] ?? 0);
  return CHECK[sum % 11] === s[17];
}

/** First two and last two characters only, e.g. 13**************1X. */
export function maskIdNumber(s: string): string {
  if (s.length <= 4) return '*'.repeat(s.length);
  return s.slice(0, 2) + '*'.repeat(s.length - 4) + s.slice(-2);
}
