/**
 * Default-deny permission table for every web page the app shows. One screen, one decision:
 * a permission not listed here is refused, for the app's own UI and for the portal alike.
 */
export type PageKind = 'assistant' | 'portal';

/** Permissions a page kind may have; everything else (camera, geolocation, notifications, HID, USB, serial, …) is denied. */
export const ALLOWED_PERMISSIONS: Readonly<Record<PageKind, readonly string[]>> = {
  // Copying a USCC or a fingerprint to the clipboard.
  assistant: ['clipboard-sanitized-write'],
  // Portal pages: copying text only. No media, no notifications, no device access, no fullscreen tricks.
  portal: ['clipboard-sanitized-write'],
};

export function isPermissionAllowed(kind: PageKind, permission: string): boolean {
  return ALLOWED_PERMISSIONS[kind].includes(permission);
}

/** Links a page may hand to the system browser: http(s) only, never file:, smb:, ms-* protocol handlers. */
export function isExternalLink(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password && u.hostname !== '';
  } catch {
    return false;
  }
}
