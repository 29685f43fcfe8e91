/**
 * E2E host: the built renderer in Debian's Chromium, with Electron's transport swapped for a
 * Playwright binding. The binding calls the SAME handler table main/app registers, and its
 * `source.frame.url()` is the calling frame's URL — what Electron's `event.senderFrame` gives.
 * Init scripts play the two preloads (assistant bridge; portal `certAssistant.authenticate`).
 */
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build as viteBuild } from 'vite';
import { createAssistantIpc, type AssistantIpc } from '../../main/assistant/ipc-handlers.ts';
import { createCertificateService, type CertificateServiceHandle, type CertificateServiceOptions } from '../../main/assistant/certificates.ts';
import { createPortalOriginAllowList } from '../../common/portal-origins.ts';
import { ASSISTANT_CSP, mimeTypeOf } from '../../main/assistant/app-assets.ts';
import { adminChecks, CA_ASSISTANT_PORTS } from '../../main/cli/commands/doctor-admin.ts';
import { probeTcpPort } from '../../main/cli/commands/doctor.ts';
import type { AssistantWorld, CertificateService, GuideService, LogFields, SignatureLogService } from '../../main/assistant/world.ts';
import type { GuideServiceHandle } from '../../main/assistant/guide-service.ts';
import { ASSISTANT_CHANNELS, ASSISTANT_EVENTS, type BridgeStatusView } from '../../common/ipc-contract.ts';
import type { ConsentSlot } from '../../main/login/signing-path.ts';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];
const root = fileURLToPath(new URL('../../', import.meta.url));
const BINDING = '__certAssistantIpc';

export function chromiumMissingReason(): string | null {
  return fs.existsSync(CHROMIUM) ? null : `Chromium not installed at ${CHROMIUM} (apt-get install chromium)`;
}

/** Builds the renderer into a temp dir (each test process its own: no races with `npm run build`). */
export async function buildRendererTo(outDir: string): Promise<void> {
  await viteBuild({ configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
}

/** Elements under `selector` whose text is cut off (wider or taller than their box). */
export async function clipped(page: Page, selector: string): Promise<string[]> {
  return page.$$eval(selector, (els) => els.filter((e) => {
    const h = e as HTMLElement;
    return h.offsetParent !== null && (h.scrollWidth > h.clientWidth + 1 || h.scrollHeight > h.clientHeight + 1);
  }).map((e) => `${e.tagName.toLowerCase()}: ${(e.textContent ?? '').trim()}`));
}

export interface Served {
  origin: string;
  close(): Promise<void>;
}

/** A tiny static server for the built renderer, sending the same CSP as the app:// handler. */
export async function serveStatic(dir: string): Promise<Served> {
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    let rel = decodeURIComponent(u.pathname);
    if (rel === '/') rel = '/index.html';
    const file = path.resolve(dir, '.' + path.posix.normalize(rel));
    if (!file.startsWith(path.resolve(dir) + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': mimeTypeOf(file), 'content-security-policy': ASSISTANT_CSP, 'x-content-type-options': 'nosniff' });
    fs.createReadStream(file).pipe(res);
  });
  return listen(server);
}

export function listen(server: http.Server): Promise<Served> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        origin: `http://127.0.0.1:${port}`,
        close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}

// The shims are plain JS source: functions compiled by tsx carry `__name` helpers that do not exist in the page.
/** Plays preload/assistant.ts: only the contract's channels, events without Electron objects. */
function assistantShim(args: { binding: string; channels: string[]; events: string[] }): string {
  return `(() => {
    const args = ${JSON.stringify(args)};
    const call = window[args.binding];
    const listeners = new Map();
    window.__assistantEmit = (event, payload) => { for (const l of listeners.get(event) || []) l(payload); };
    window.assistant = Object.freeze({
      invoke: (channel, request) => args.channels.includes(channel)
        ? call(channel, request)
        : Promise.resolve({ ok: false, error: { code: 'IPC_UNKNOWN_CHANNEL', message: '未知的请求通道' } }),
      on: (event, listener) => {
        if (!args.events.includes(event)) return () => {};
        const set = listeners.get(event) || new Set();
        set.add(listener);
        listeners.set(event, set);
        return () => set.delete(listener);
      },
    });
  })();`;
}

/** Plays preload/portal.ts: exactly `certAssistant.authenticate`, copying only its two fields. */
function portalShim(binding: string): string {
  return `(() => {
    const call = window[${JSON.stringify(binding)}];
    window.certAssistant = Object.freeze({
      async authenticate(request) {
        const payload = { challenge: request && request.challenge };
        if (request && request.expectedUscc !== undefined) payload.expectedUscc = request.expectedUscc;
        const r = await call('portal:authenticate', payload);
        if (r.ok) return { token: r.value.token };
        throw { code: r.error.code, message: r.error.message };
      },
    });
  })();`;
}

export interface HostOptions {
  certificates: CertificateService;
  guide: GuideService | null;
  portalOrigins: string[];
  pickPfxFile?: () => Promise<string | null>;
  consentTimeoutMs?: number;
  signatures?: SignatureLogService;
  /** Shared with a bridge started beside the host (main/assistant/app-bridge.ts), as main/app does. */
  consentSlot?: ConsentSlot;
  bridge?: { status(): BridgeStatusView };
  /** Expiry reminders for the guide's banner (main/assistant/expiry-reminder-service.ts). */
  reminders?: AssistantWorld['reminders'];
}

export interface AssistantHost {
  context: BrowserContext;
  assistant: Page;
  ipc: AssistantIpc;
  logs: { event: string; fields?: LogFields }[];
  emitted: { event: string; payload: unknown }[];
  portalPages: Page[];
  /** Links the UI asked main to open in the system browser (app:openExternal), in order. */
  opened: string[];
  /** A page with the portal preload (as the embedded portal view would have). */
  openPortalPage(url: string): Promise<Page>;
  screenshotDir: string;
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

export async function startAssistantHost(opts: HostOptions): Promise<AssistantHost> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-e2e-'));
  const rendererDir = path.join(tmp, 'renderer');
  const screenshotDir = path.join(tmp, 'screenshots');
  fs.mkdirSync(screenshotDir, { recursive: true });
  await buildRendererTo(rendererDir);
  const served = await serveStatic(rendererDir);
  const context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1200, height: 820 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  const logs: AssistantHost['logs'] = [];
  const emitted: AssistantHost['emitted'] = [];
  const portalPages: Page[] = [];
  const opened: string[] = [];
  let assistant: Page | null = null;
  let n = 0;

  const openPortalPage = async (url: string): Promise<Page> => {
    const p = await context.newPage();
    await p.addInitScript({ content: portalShim(BINDING) });
    portalPages.push(p);
    await p.goto(url);
    return p;
  };

  const world: AssistantWorld = {
    now: () => new Date(),
    randomId: () => `r${++n}-${Math.random().toString(36).slice(2)}`,
    appVersion: '0.1.0-e2e',
    assistantOrigin: served.origin,
    portal: { home: opts.portalOrigins[0] ?? '', origins: createPortalOriginAllowList(opts.portalOrigins) },
    certificates: opts.certificates,
    guide: opts.guide,
    portalView: {
      open: async (url) => { await openPortalPage(url); },
      setBounds: () => {},
      close: () => { for (const p of portalPages.splice(0)) void p.close(); },
      setConsentActive: () => {},
    },
    pickPfxFile: opts.pickPfxFile ?? (async () => null),
    openExternal: async (url) => { opened.push(url); },
    emit: (event, payload) => {
      emitted.push({ event, payload });
      void assistant?.evaluate(([e, p]) => (window as unknown as { __assistantEmit?: (e: string, p: unknown) => void }).__assistantEmit?.(e, p), [event, payload] as [string, unknown]);
    },
    diagnostics: async () => ({
      appVersion: '0.1.0-e2e',
      runtime: { electron: null, chrome: null, node: process.versions.node, platform: process.platform, arch: process.arch },
      portal: { home: opts.portalOrigins[0] ?? '', allowedOrigins: opts.portalOrigins },
      modules: [],
      policySources: ['defaults'],
      guide: await (opts.guide as Partial<GuideServiceHandle> | null)?.info?.() ?? { available: false, items: null, version: null },
      // The CA assistants' ports as doctor judges them, on this machine's loopback.
      checks: await adminChecks({
        now: new Date(), portalUrl: opts.portalOrigins[0] ?? 'http://127.0.0.1', probePortal: async () => null, ports: [...CA_ASSISTANT_PORTS],
        portInUse: (port) => probeTcpPort('127.0.0.1', port, 300), clockSkewSeconds: 300, certificates: [],
      }),
    }),
    log: (event, fields) => { logs.push(fields === undefined ? { event } : { event, fields }); },
    signatures: opts.signatures ?? null,
    ...(opts.consentTimeoutMs !== undefined ? { consentTimeoutMs: opts.consentTimeoutMs } : {}),
    ...(opts.consentSlot ? { consentSlot: opts.consentSlot } : {}),
    ...(opts.bridge ? { bridge: opts.bridge } : {}),
    ...(opts.reminders ? { reminders: opts.reminders } : {}),
  };
  const ipc = createAssistantIpc(world);
  // Every page and frame can reach the binding — like a compromised renderer could reach ipcRenderer — so the table's own checks are what is tested.
  await context.exposeBinding(BINDING, (source, channel: string, payload: unknown) => ipc.dispatch(channel, { frameUrl: source.frame.url() }, payload));

  assistant = await context.newPage();
  await assistant.addInitScript({ content: assistantShim({ binding: BINDING, channels: [...ASSISTANT_CHANNELS], events: [...ASSISTANT_EVENTS] }) });
  await assistant.goto(`${served.origin}/index.html`);

  return {
    context,
    assistant,
    ipc,
    logs,
    emitted,
    portalPages,
    opened,
    openPortalPage,
    screenshotDir,
    async screenshot(page, name) {
      const file = path.join(screenshotDir, `${name}.png`);
      await page.screenshot({ path: file, fullPage: false });
      return file;
    },
    async close() {
      ipc.cancelConsent('cancelled');
      await context.close().catch(() => {});
      await served.close();
      if (!process.env['KEEP_E2E_SCREENSHOTS']) fs.rmSync(tmp, { recursive: true, force: true });
      else process.stderr.write(`e2e screenshots kept in ${screenshotDir}\n`);
    },
  };
}

/** The certificate service of a machine with nothing on it (no USB key, no PFX file, no trust anchor); `extra` says more about the machine. */
export function noCertificatesService(extra: Partial<CertificateServiceOptions> = {}): CertificateServiceHandle {
  return createCertificateService({
    now: () => new Date(), appVersion: '0.1.0-e2e', usbStores: () => [], openPkcs12: async () => { throw new Error('no file in this test'); }, anchors: () => [],
    ...extra,
  });
}
