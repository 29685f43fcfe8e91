import { isAssistantError } from '../../errors.ts';
import { listCertificates, openSystemStore, closeStore } from './binding.ts';

/**
 * The machine's Trusted Root Certification Authorities (LocalMachine\Root, read-only): CA
 * drivers install their roots there, so a clean Windows machine gives honest chain verdicts.
 * The user's own Root store is not read: anything the user (or a program running as the user)
 * adds there must not make a certificate good for 法人 login. Only crypt32 runs here, no vendor
 * code, so this is safe outside the key-store worker. Windows only; an unreadable store is empty.
 */
export function windowsRootCertificates(onError?: (code: string) => void): Uint8Array[] {
  let h: unknown;
  try {
    h = openSystemStore('LocalMachine', 'ROOT', { readOnly: true });
  } catch (e) {
    onError?.(isAssistantError(e) ? e.code : 'WINDOWS_STORE_UNREADABLE');
    return [];
  }
  try {
    return listCertificates(h).map((c) => c.der);
  } catch (e) {
    onError?.(isAssistantError(e) ? e.code : 'WINDOWS_STORE_UNREADABLE');
    return [];
  } finally {
    closeStore(h);
  }
}
