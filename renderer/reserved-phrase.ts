/**
 * 预留信息: a phrase the user chooses, shown in every consent. A portal page can draw a look-alike
 * dialog, but it cannot know this phrase (it lives in the assistant's own origin's storage).
 */
const KEY = 'consent.reservedPhrase';

export function readReservedPhrase(): string | null {
  try {
    const v = localStorage.getItem(KEY);
    return v && v.trim() ? v : null;
  } catch {
    return null;
  }
}

export function saveReservedPhrase(phrase: string): void {
  try {
    if (phrase.trim()) localStorage.setItem(KEY, phrase.trim().slice(0, 40));
    else localStorage.removeItem(KEY);
  } catch {}
}
