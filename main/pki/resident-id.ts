/**
 * Resident ID numbers (GB 11643-1999, MOD 11-2): the one check every caller uses — the USCC and
 * identity readers (an ID number is never a USCC), the CLI, and the reference portal through
 * `cert-assistant/uscc`. A leaf: it needs only the region table.
 */
import { lookupRegion } from './regions.ts';

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const ID_CHECK = '10X98765432';

/** GB 11643 check char (MOD 11-2) for the first 17 digits, or null when they are not digits. */
export function residentIdCheckChar(first17: string): string | null {
  if (!/^\d{17}$/.test(first17)) return null;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * ID_WEIGHTS[i]!;
  return ID_CHECK[sum % 11]!;
}

/** A real calendar date between 1880 and `now` (both ID generations). */
export function plausibleBirthDate(y: number, m: number, d: number, now: Date): boolean {
  if (y < 1880 || m < 1 || m > 12 || d < 1) return false;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return false;
  return date.getTime() <= now.getTime();
}

export interface ResidentIdCheck {
  /** Right shape, right check digit, real birth date, known province. */
  valid: boolean;
  checkOk: boolean;
  birthDateOk: boolean;
  provinceOk: boolean;
}

/** Checks an 18-char resident ID number (already normalized: upper-case X). */
export function checkResidentId(s: string, now: Date = new Date()): ResidentIdCheck {
  const none = { valid: false, checkOk: false, birthDateOk: false, provinceOk: false };
  if (!/^\d{17}[\dX]$/.test(s)) return none;
  const checkOk = residentIdCheckChar(s.slice(0, 17)) === s[17];
  const birthDateOk = plausibleBirthDate(+s.slice(6, 10), +s.slice(10, 12), +s.slice(12, 14), now);
  const provinceOk = lookupRegion(s.slice(0, 6)).province !== null;
  return { valid: checkOk && birthDateOk && provinceOk, checkOk, birthDateOk, provinceOk };
}

export function isValidResidentId(s: string, now?: Date): boolean {
  return checkResidentId(s, now).valid;
}

/** `130102********1234`: region and last four only. */
export function maskResidentId(s: string): string {
  if (s.length === 18) return `${s.slice(0, 6)}********${s.slice(14)}`;
  if (s.length === 15) return `${s.slice(0, 6)}******${s.slice(12)}`;
  return '*'.repeat(s.length);
}

/** NFKC, trimmed, upper-case (a typed `x` is the check character X). */
export function normalizeResidentId(s: string): string {
  return s.normalize('NFKC').trim().toUpperCase();
}
