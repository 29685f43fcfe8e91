/**
 * The web preferences every page gets (the app's own UI and the portal alike). The portal's
 * `new WebContentsView` spreads this table. The assistant's `new BrowserWindow` states them
 * LITERALLY, because electronegativity reads that object (it checks BrowserWindow/BrowserView calls
 * only) and cannot see through a spread; test/unit/app/electronegativity.test.ts holds that literal
 * equal to this table, so the two windows cannot drift apart.
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
