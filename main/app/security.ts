/**
 * Session and web-contents hardening shared by the assistant window and the portal view:
 * default-deny permissions, no downloads, no new windows, no <webview>, guarded navigation.
 */
import { shell, type Session, type WebContents } from 'electron';
import { isExternalLink, isPermissionAllowed, type PageKind } from '../assistant/permissions.ts';

const hardened = new WeakSet<Session>();

export function hardenSession(ses: Session, kind: PageKind): void {
  if (hardened.has(ses)) return;
  hardened.add(ses);
  ses.setPermissionRequestHandler((_wc, permission, callback) => callback(isPermissionAllowed(kind, permission)));
  ses.setPermissionCheckHandler((_wc, permission) => isPermissionAllowed(kind, permission));
  ses.setDevicePermissionHandler(() => false);
  ses.setDisplayMediaRequestHandler((_req, callback) => callback({}));
  ses.on('will-download', (e) => e.preventDefault());
  ses.on('select-hid-device', (e, _d, cb) => { e.preventDefault(); cb(''); });
  ses.on('select-serial-port', (e, _p, _wc, cb) => { e.preventDefault(); cb(''); });
  ses.on('select-usb-device', (e, _d, cb) => { e.preventDefault(); cb(); });
}

export interface NavigationRules {
  /** May this web contents navigate (top frame) to `url`? */
  mayNavigate(url: string): boolean;
  /** A window.open / target=_blank to an allowed address: navigate in place instead. */
  openInPlace?(url: string): boolean;
}

export function hardenWebContents(contents: WebContents, rules: NavigationRules): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (rules.openInPlace?.(url)) {
      void contents.loadURL(url);
    } else if (isExternalLink(url)) {
      void shell.openExternal(url);
    }
    return { action: 'deny' };
  });
  const guard = (e: { preventDefault(): void }, url: string) => {
    if (rules.mayNavigate(url)) return;
    e.preventDefault();
    if (isExternalLink(url)) void shell.openExternal(url);
  };
  contents.on('will-navigate', (e) => guard(e, e.url));
  contents.on('will-redirect', (e) => {
    if (!rules.mayNavigate(e.url)) e.preventDefault();
  });
  contents.on('will-attach-webview', (e) => e.preventDefault());
}
