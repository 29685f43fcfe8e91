/**
 * The embedded portal: a WebContentsView with its own in-memory partition (closing the app
 * clears it), the minimal portal preload, and navigation held to the policy's portal origins.
 */
import { WebContentsView, app, dialog, session, type BrowserWindow, type WebContents } from 'electron';
import path from 'node:path';
import type { Bounds } from '../../common/ipc-contract.ts';
import type { PortalOriginAllowList } from '../../common/portal-origins.ts';
import type { PortalViewControl } from '../assistant/world.ts';
import { hardenSession, hardenWebContents } from './security.ts';
import { HARDENED_WEB_PREFERENCES } from './web-preferences.ts';
import { loopbackCertificateDecision } from '../bridge/tls/loopback-pin.ts';
import { downloadDecision } from '../assistant/window-rules.ts';

/** No `persist:` prefix: the partition lives in memory only. */
export const PORTAL_PARTITION = 'portal';

export interface PortalViewOptions {
  window: BrowserWindow;
  preload: string;
  origins: PortalOriginAllowList;
  onNavigated: (url: string) => void;
  /** The page changed or the view closed: a waiting consent for the old page must end. */
  onPageGone: () => void;
  /** SHA-256 (hex) of our bridge's loopback wss leaf while it serves wss; null otherwise. */
  loopbackCertificateSha256?: () => string | null;
}

export interface PortalView extends PortalViewControl {
  webContents(): WebContents | null;
}

export function createPortalView(opts: PortalViewOptions): PortalView {
  let view: WebContentsView | null = null;
  let consentActive = false;
  const ses = session.fromPartition(PORTAL_PARTITION);
  hardenSession(ses, 'portal');
  // Loopback wss (the bridge, 127.0.0.1:21061): only our own pinned leaf; other hosts: Chromium.
  ses.setCertificateVerifyProc((req, done) => done(loopbackCertificateDecision(req, opts.loopbackCertificateSha256?.() ?? null)));
  // Receipts and forms the portal offers: saved only where the user picks (a save dialog in
  // Downloads), never silently, and never programs.
  ses.on('will-download', (_event, item) => {
    const d = downloadDecision(item.getFilename());
    if (!d.allowed) {
      item.cancel();
      void dialog.showMessageBox(opts.window, { type: 'warning', title: '已阻止下载', message: d.message, detail: d.messageEn });
      return;
    }
    item.setSaveDialogOptions({ title: '保存文件', defaultPath: path.join(app.getPath('downloads'), d.fileName) });
  });

  const ensure = (): WebContentsView => {
    if (view) return view;
    const v = new WebContentsView({
      // electronegativity reads BrowserWindow/BrowserView literals only; this view takes the one table.
      webPreferences: {
        ...HARDENED_WEB_PREFERENCES,
        partition: PORTAL_PARTITION,
        preload: opts.preload,
      },
    });
    hardenWebContents(v.webContents, {
      mayNavigate: (url) => opts.origins.isAllowedUrl(url),
      openInPlace: (url) => opts.origins.isAllowedUrl(url),
    });
    v.webContents.on('did-navigate', (_e, url) => {
      opts.onPageGone();
      opts.onNavigated(url);
    });
    v.webContents.on('did-navigate-in-page', (_e, url, isMainFrame) => {
      if (isMainFrame) opts.onNavigated(url);
    });
    v.webContents.on('render-process-gone', () => opts.onPageGone());
    opts.window.contentView.addChildView(v);
    view = v;
    return v;
  };

  const apply = (b: Bounds) => {
    view?.setBounds({ x: Math.round(b.x), y: Math.round(b.y), width: Math.round(b.width), height: Math.round(b.height) });
  };

  return {
    async open(url, bounds) {
      if (!opts.origins.isAllowedUrl(url)) throw new Error('portal url not allowed');
      const v = ensure();
      apply(bounds);
      v.setVisible(!consentActive);
      if (v.webContents.getURL() !== url) await v.webContents.loadURL(url);
    },
    setBounds(bounds) {
      apply(bounds);
    },
    close() {
      const v = view;
      if (!v) return;
      view = null;
      opts.onPageGone();
      opts.window.contentView.removeChildView(v);
      v.webContents.close();
      // The portal's own advice: log out / clear the session when done.
      void ses.clearStorageData();
    },
    setConsentActive(active) {
      consentActive = active;
      // Nothing may draw over the consent: the view steps aside while it is shown.
      view?.setVisible(!active);
    },
    webContents: () => view?.webContents ?? null,
  };
}
