/**
 * Electron main process: lifecycle, the assistant window, the portal view, IPC wiring. Thin by
 * design — decisions live in main/assistant (handler table, allow-lists, permissions), which
 * tests call directly; this file only binds them to Electron.
 */
import { app, BrowserWindow, Menu, dialog, ipcMain, screen, session, shell, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { ASSISTANT_CHANNELS, ASSISTANT_EVENT_CHANNEL, PORTAL_CHANNELS, type IpcResult } from '../../common/ipc-contract.ts';
import { registerAppScheme, serveRenderer } from './app-protocol.ts';
import { utilityProcessSpawner } from './keystore-worker.ts';
import { utilityProcessBridgeTransport } from './bridge-process.ts';
import { createPortalView, type PortalView } from './portal-view.ts';
import { startUpdates, updatePlanFor } from './updater.ts';
import { hardenSession, hardenWebContents } from './security.ts';
import { ASSISTANT_ORIGIN } from '../assistant/app-assets.ts';
import { bridgeTlsDir, startAppBridge, type AppBridge } from '../assistant/app-bridge.ts';
import { createCertificateService, usbKeyStores } from '../assistant/certificates.ts';
import { probeDrivers } from '../assistant/first-run.ts';
import { createGuideService } from '../assistant/guide-service.ts';
import { createExpiryReminderService } from '../assistant/expiry-reminder-service.ts';
import { reminderStateFile } from '../assistant/expiry-reminders.ts';
import { startExpiryTray, type ExpiryTray } from './expiry-tray.ts';
import { createAssistantIpc, type AssistantIpc } from '../assistant/ipc-handlers.ts';
import { policySettingsView } from '../assistant/policy-settings.ts';
import { createSignatureLogService } from '../assistant/signature-log-service.ts';
import { collectDoctorReport } from '../cli/commands/doctor.ts';
import { initialWindowSize } from '../assistant/window-rules.ts';
import { createPortalOriginAllowList } from '../../common/portal-origins.ts';
import type { AssistantWorld } from '../assistant/world.ts';
import { configuredDriverPaths } from '../keystores/driver-paths.ts';
import { KeyStoreWorkerClient } from '../keystores/worker/client.ts';
import { openPkcs12InWorker, WorkerKeyStore } from '../keystores/worker/remote-store.ts';
import { SignatureLog } from '../login/signature-log.ts';
import { createConsentSlot } from '../login/signing-path.ts';
import { revocationSettingsFromPolicy } from '../login/certificate-revocation.ts';
import { loadTrustAnchors } from '../pki/trust.ts';
import { loadLocalhostTls } from '../bridge/tls/localhost-certificate.ts';
import { userDataDir } from '../policy/user-data.ts';
import { loadPolicy } from '../policy/index.ts';
import type { ParsedCertificate } from '../pki/certificate.ts';

registerAppScheme();
app.enableSandbox();

const distDir = path.resolve(__dirname, '..');
const rendererDir = path.join(distDir, 'renderer');
const preloadDir = path.join(distDir, 'preload');

let mainWindow: BrowserWindow | null = null;
let portalView: PortalView | null = null;
let ipc: AssistantIpc | null = null;

function envelope(code: string, message: string, messageEn: string): IpcResult<never> {
  return { ok: false, error: { code, message, messageEn } };
}

/** Binds the handler table; each channel also checks WHICH web contents sent it. */
function bindIpc(table: AssistantIpc, assistant: () => WebContents | null, portal: () => WebContents | null): void {
  const bind = (channel: string, expected: () => WebContents | null) => {
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, payload: unknown) => {
      if (event.sender !== expected() || !event.senderFrame) return envelope('IPC_FORBIDDEN_SENDER', '该页面无权调用此功能', 'This page may not call this function');
      return table.dispatch(channel, { frameUrl: event.senderFrame.url }, payload);
    });
  };
  for (const ch of ASSISTANT_CHANNELS) bind(ch, assistant);
  for (const ch of PORTAL_CHANNELS) bind(ch, portal);
}

async function start(): Promise<void> {
  // defaults < machine policy < user settings; a bad file is ignored and reported, never fatal.
  const policyResult = loadPolicy();
  const { policy, sources } = policyResult;
  const origins = createPortalOriginAllowList(policy.portalOrigins.map((s) => s.origin));
  const signingOrigins = createPortalOriginAllowList(policy.allowedOrigins);
  hardenSession(session.defaultSession, 'assistant');
  serveRenderer(rendererDir);
  Menu.setApplicationMenu(process.platform === 'darwin' ? Menu.getApplicationMenu() : null);

  // Sized to the screen's work area; maximised on small screens (the portal's 1366×768).
  const size = initialWindowSize(screen.getPrimaryDisplay().workAreaSize);
  const win = new BrowserWindow({
    width: size.width,
    height: size.height,
    minWidth: 960,
    minHeight: 640,
    title: '证书助手',
    show: false,
    backgroundColor: '#f4f6f9',
    webPreferences: {
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      disableBlinkFeatures: 'Auxclick',
      spellcheck: false,
      safeDialogs: true,
      navigateOnDragDrop: false,
      preload: path.join(preloadDir, 'assistant.cjs'),
    },
  });
  mainWindow = win;
  hardenWebContents(win.webContents, { mayNavigate: (url) => url.startsWith(`${ASSISTANT_ORIGIN}/`) });
  win.once('ready-to-show', () => {
    if (size.maximize) win.maximize();
    win.show();
  });

  let tray: ExpiryTray | null = null;
  const emit: AssistantWorld['emit'] = (event, payload) => {
    if (event === 'consent:requested') {
      // The consent must be seen: bring the assistant's own window to the front.
      if (win.isMinimized()) win.restore();
      win.show();
      win.focus();
    }
    if (event === 'certs:changed') tray?.refresh();
    if (!win.isDestroyed()) win.webContents.send(ASSISTANT_EVENT_CHANNEL, { event, payload });
  };
  // A tray entry or an expiry notice was clicked: the window, on the certificate screen.
  const showCertificates = (): void => {
    if (win.isDestroyed()) return;
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
    emit('app:show', { screen: 'certs' });
  };

  // One consent on screen at a time: the embedded portal's login and the bridge's signing path
  // (createSigningPath({ slot: consentSlot, ... })) share this slot.
  const consentSlot = createConsentSlot();
  // The wss leaf the installer issued per machine (%ProgramData%\CertAssistant\bridge); the portal pins its SHA-256.
  const bridgeTls = policy.bridgeEnabled && (policy.bridgeProtocols.includes('bjca') || policy.bridgeProtocols.includes('jit')) ? loadLocalhostTls(bridgeTlsDir(process.platform, process.env)) : null;
  const bridgeCertificateSha256: string | null = bridgeTls?.certificateSha256 ?? null;
  portalView = createPortalView({
    window: win,
    loopbackCertificateSha256: () => bridgeCertificateSha256,
    preload: path.join(preloadDir, 'portal.cjs'),
    origins,
    onNavigated: (url) => emit('portal:navigated', { url }),
    onPageGone: () => ipc?.cancelConsent('cancelled'),
  });

  // Key stores: USB keys and PFX signing through the utilityProcess worker.
  const worker = new KeyStoreWorkerClient({ spawn: utilityProcessSpawner(path.join(__dirname, 'keystore-worker.cjs')) });
  const modules = configuredDriverPaths('pkcs11Modules', { policyModules: policy.pkcs11Modules });
  // SM2 USB keys through the vendors' SKF libraries (policy + CA profiles), behind the same worker.
  const skfModules = configuredDriverPaths('skfModules', { policyModules: policy.skfModules });
  // On Windows the certificate store too: most Chinese USB keys' vendor CSPs put their RSA certificates there.
  const windowsStore = process.platform === 'win32' ? { localMachine: policy.windowsStoreLocalMachine } : null;
  const usbStores = usbKeyStores((spec) => new WorkerKeyStore(worker, spec), { pkcs11: modules, skf: skfModules, windowsStore });
  let anchors: ParsedCertificate[] | null = null;
  // The verdict's anchors; login tokens and the bridge's PKCS#7 carry the path validated with them.
  const trustAnchors = (): ParsedCertificate[] => (anchors ??= loadTrustAnchors(policy.trustAnchorDirs, { onSkipped: () => {} }));
  let revocation: ReturnType<typeof revocationSettingsFromPolicy> | null = null;
  // The same folder `cert-assistant log` reads (%APPDATA%\CertAssistant), so the CLI sees the app's signatures.
  const dataDir = userDataDir(process.platform, process.env, os.homedir());
  const signatureLog = new SignatureLog(dataDir);
  const certificates = createCertificateService({
    now: () => new Date(),
    appVersion: app.getVersion(),
    usbStores: () => usbStores,
    // Decoded in the worker, never here: a hostile file's key derivations cannot freeze the window.
    openPkcs12: (file, password) => openPkcs12InWorker(worker, file, password),
    anchors: trustAnchors,
    recordSignature: (r) => signatureLog.append(r),
    onRecordFailed: (code) => console.warn(`signature-log: not recorded (${code})`),
    log: (event, fields) => console.log(`[certificates] ${event}${fields ? ` ${JSON.stringify(fields)}` : ''}`),
    // Policy revocationMode/revocationCrls/revocationNetwork: the same check as `cert-assistant inspect`.
    revocation: () => (revocation ??= revocationSettingsFromPolicy(policy, { onSkipped: (file, why) => console.warn(`revocation: CRL skipped ${file} (${why})`) })),
    // Empty list: what each driver sees (tokens/devices present), for the first-run state.
    probeDrivers: () => probeDrivers(
      (kind, module) => (kind === 'pkcs11' ? worker.call('pkcs11.tokens', { module }, { timeoutMs: 10_000 }) : worker.call('skf.tokens', { module }, { timeoutMs: 10_000 })),
      { pkcs11: modules, skf: skfModules },
    ),
  });

  // Updates: decided from policy and how this copy was installed (main/updates/plan.ts).
  const updatePlan = updatePlanFor(policy);
  startUpdates(updatePlan, (line) => console.log(`[updates] ${line}`));
  // Expiry reminders (policy expiryReminders): a notice at start, the tray, the guide's banner; state beside the signature log.
  const reminders = createExpiryReminderService({
    certificates: async () => (await certificates.list()).certificates,
    now: () => new Date(),
    enabled: policy.expiryReminders,
    stateFile: reminderStateFile(dataDir),
  });
  const guide = createGuideService({ publicKeyPem: policy.guideBundlePublicKey, updateDir: path.join(app.getPath('userData'), 'guide-updates') });
  const world: AssistantWorld = {
    now: () => new Date(),
    randomId: () => randomUUID(),
    appVersion: app.getVersion(),
    language: policy.language === 'en' ? 'en' : 'zh',
    assistantOrigin: ASSISTANT_ORIGIN,
    consentSlot,
    portal: {
      home: policy.portalHome, origins, signingOrigins,
      // The consent names the site as policy names it (河北政务服务网), beside the origin itself.
      siteName: (origin) => policy.portalOrigins.find((s) => s.origin === origin)?.name ?? null,
    },
    certificates,
    guide,
    reminders,
    portalView,
    pickPfxFile: async () => {
      const r = await dialog.showOpenDialog(win, {
        title: '打开证书文件',
        properties: ['openFile'],
        filters: [{ name: '证书文件 (*.pfx, *.p12)', extensions: ['pfx', 'p12'] }],
      });
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    openExternal: (url) => shell.openExternal(url),
    signatures: createSignatureLogService(signatureLog, async (suggested) => {
      const r = await dialog.showSaveDialog(win, {
        title: '导出签名记录',
        defaultPath: path.join(app.getPath('downloads'), suggested),
        filters: [{ name: 'CSV (*.csv)', extensions: ['csv'] }],
      });
      return r.canceled ? null : (r.filePath ?? null);
    }),
    emit,
    diagnostics: async () => ({
      appVersion: app.getVersion(),
      runtime: { electron: process.versions.electron ?? null, chrome: process.versions.chrome ?? null, node: process.versions.node, platform: process.platform, arch: process.arch },
      portal: { home: policy.portalHome, allowedOrigins: [...signingOrigins.entries] },
      modules: await Promise.all([
        ...modules.map((m) => ['pkcs11.describe', m] as const),
        ...skfModules.map((m) => ['skf.describe', m] as const),
      ].map(async ([method, m]) => {
        try {
          await worker.call(method, { module: m });
          return { path: m, loaded: true };
        } catch (e) {
          return { path: m, loaded: false, error: (e as { code?: string }).code ?? 'ERROR' };
        }
      })),
      policySources: sources.map((src) => `${src.layer}${src.path ? ` ${src.path}` : ''}: ${src.status}${src.error ? ` (${src.error.code})` : ''}`),
      guide: await guide.info().catch(() => ({ available: false, items: null, version: null })),
      settings: policySettingsView({ policy, sources }),
      updates: updatePlan.enabled
        ? { enabled: true, message: `从 ${updatePlan.feed.url} 更新（${updatePlan.feed.channel}）`, messageEn: `updates from ${updatePlan.feed.url} (${updatePlan.feed.channel})` }
        : { enabled: false, message: updatePlan.message, messageEn: updatePlan.messageEn },
      // The same checks as `cert-assistant doctor`, through the app's own key-store worker.
      checks: await collectDoctorReport({ env: process.env, now: new Date(), policy: policyResult, timeoutMs: 5_000, worker: async () => worker })
        .then((r) => r.checks, () => []),
    }),
  };
  ipc = createAssistantIpc(world);
  bindIpc(ipc, () => mainWindow?.webContents ?? null, () => portalView?.webContents() ?? null);

  // The CA assistants' loopback protocols, in their own utilityProcess; signatures through the same consent slot and log.
  const bridge: AppBridge = await startAppBridge({
    policy, tls: bridgeTls, stores: () => certificates.stores(), presenter: ipc.bridgeConsent, slot: consentSlot,
    siteName: world.portal.siteName!, record: (r) => signatureLog.append(r),
    onRecordFailed: (code) => console.warn(`signature-log: bridge signature not recorded (${code})`),
    transport: () => utilityProcessBridgeTransport(path.join(__dirname, 'bridge-process.cjs')),
    now: () => new Date(), randomId: () => randomUUID(),
    log: (event, fields) => console.log(`[bridge] ${event}${fields ? ` ${JSON.stringify(fields)}` : ''}`),
    anchors: trustAnchors,
  });
  world.bridge = bridge;
  // USB keys inserted or removed: pages on the bridge hear onUsbkeyChange.
  const unwatch = bridge.status().state === 'serving' ? usbStores.flatMap((s) => (s.store.watch ? [s.store.watch(() => bridge.keysChanged())] : [])) : [];

  win.on('closed', () => {
    mainWindow = null;
    ipc?.cancelConsent('cancelled');
  });
  let quitting = false;
  app.on('before-quit', (e) => {
    if (quitting) return;
    // Ports, sockets and the bridge process end before the app does (stop() kills it after 1 s).
    quitting = true;
    e.preventDefault();
    for (const u of unwatch) u();
    tray?.dispose();
    const done = Promise.allSettled([bridge.stop(), certificates.closeAll(), worker.close()]);
    void Promise.race([done, new Promise((r) => setTimeout(r, 3_000))]).then(() => app.quit());
  });
  await win.loadURL(`${ASSISTANT_ORIGIN}/index.html`);
  tray = startExpiryTray({ reminders, lang: world.language ?? 'zh', showCertificates, log: (line) => console.warn(`[reminders] ${line}`) });
}

const cliAt = process.argv.indexOf('--cli');
if (cliAt > 0) {
  // `CertAssistant.exe --cli <command> …`: the installed app's command line (installers call
  // `--cli bridge-cert issue|remove`; admins `--cli doctor --json`). No window, no single-instance lock.
  void runCliMode(process.argv.slice(cliAt + 1));
} else if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('window-all-closed', () => app.quit());
  // Defence in depth for any web contents we did not create ourselves (devtools, future views).
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  app.whenReady().then(start, (e: unknown) => {
    dialog.showErrorBox('证书助手无法启动', e instanceof Error ? e.message : String(e));
    app.quit();
  });
}

async function runCliMode(args: string[]): Promise<void> {
  const { main: cliMain, processIO } = await import('../cli/main.ts');
  let code = 1;
  try {
    code = await cliMain(args, processIO());
  } finally {
    app.exit(code);
  }
}
