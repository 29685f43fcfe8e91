/**
 * The web preferences every page gets (the app's own UI and the portal alike). Each window states
 * them LITERALLY in its `new BrowserWindow` / `new WebContentsView` call, because auditors and
 * electronegativity read that object and cannot see through a spread; test/unit/app/web-preferences.test.ts
 * holds every window's literal equal to this table, so the windows cannot drift apart.
 */
import type { WebPreferences } from 'electron';

export const HARDENED_WEB_PREFERENCES = {
  sandbox: true,
  contextIsolation: true,
  nodeIntegration: false,
  nodeIntegrationInSubFrames: false,
  nodeIntegrationInWorker: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
  // Middle-click (auxclick) can open links in new windows outside the window-open handler's view.
  disableBlinkFeatures: 'Auxclick',
  spellcheck: false,
  safeDialogs: true,
  navigateOnDragDrop: false,
} as const satisfies WebPreferences;
