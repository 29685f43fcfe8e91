/**
 * Expiry reminders bound to Electron: the tray's menu and a Notification at start (and on a new
 * day). What to list and say comes from main/assistant/expiry-reminder-service.ts; this file only
 * draws it and opens the certificate screen on a click.
 */
import { Menu, Notification, Tray, app, nativeImage, type MenuItemConstructorOptions } from 'electron';
import type { Lang } from '../../common/ipc-contract.ts';
import { expiryTrayMenu, trayIconBitmap, type ExpiryReminderService } from '../assistant/expiry-reminder-service.ts';

const ICON_SIZE = 16;
/** Notices are due once a day; looking every hour catches the new day on a machine left running. */
const RECHECK_MS = 3_600_000;

export interface ExpiryTray {
  /** Rebuilds the menu (after certificates changed). */
  refresh(): void;
  dispose(): void;
}

export function startExpiryTray(args: { reminders: ExpiryReminderService; lang: Lang; showCertificates: () => void; log: (line: string) => void }): ExpiryTray {
  const { reminders, lang, showCertificates, log } = args;
  const icon = (attention: boolean) => nativeImage.createFromBitmap(trayIconBitmap(ICON_SIZE, attention), { width: ICON_SIZE, height: ICON_SIZE });
  const tray = new Tray(icon(false));
  tray.on('click', showCertificates);

  const refresh = (): void => {
    reminders.expiring().then((expiring) => {
      if (tray.isDestroyed()) return;
      const model = expiryTrayMenu(expiring, lang);
      const items: MenuItemConstructorOptions[] = model.entries.map((e) => {
        if (e.kind === 'separator') return { type: 'separator' };
        if (e.kind === 'quit') return { label: e.label, click: () => app.quit() };
        return { label: e.label, click: showCertificates };
      });
      tray.setToolTip(model.tooltip);
      tray.setImage(icon(expiring.length > 0));
      tray.setContextMenu(Menu.buildFromTemplate(items));
    }, (e: unknown) => log(`tray: ${(e as { code?: string }).code ?? 'ERROR'}`));
  };

  const notify = (): void => {
    if (!Notification.isSupported()) return;
    reminders.notices().then((due) => {
      for (const r of due) {
        const n = new Notification({ title: lang === 'en' ? r.titleEn : r.title, body: lang === 'en' ? r.bodyEn : r.body });
        n.on('click', showCertificates);
        n.show();
      }
    }, (e: unknown) => log(`notice: ${(e as { code?: string }).code ?? 'ERROR'}`));
  };

  refresh();
  notify();
  const timer = setInterval(() => { refresh(); notify(); }, RECHECK_MS);
  return {
    refresh,
    dispose() {
      clearInterval(timer);
      if (!tray.isDestroyed()) tray.destroy();
    },
  };
}
