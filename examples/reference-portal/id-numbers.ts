/**
 * Resident ID numbers (GB 11643-1999) for the leader and the legal person: checked on
 * registration with Cert Assistant's own check (`cert-assistant/uscc`), stored as given
 * (normalised), only ever shown masked.
 */
import { isValidResidentId as residentIdCheck, normalizeResidentId } from 'cert-assistant/uscc';

export const normalizeIdNumber = normalizeResidentId;

export function isValidResidentId(input: string, now: Date = new Date()): boolean {
  return residentIdCheck(normalizeResidentId(input), now);
}

/** First two and last two characters only, e.g. 13**************1X. */
export function maskIdNumber(s: string): string {
  if (s.length <= 4) return '*'.repeat(s.length);
  return s.slice(0, 2) + '*'.repeat(s.length - 4) + s.slice(-2);
}
