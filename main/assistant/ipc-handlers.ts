/**
 * The IPC handler table: one handler per channel of common/ipc-contract.ts. main/app binds it
 * to ipcMain; the e2e host binds the same table to Playwright bindings. Each handler first checks
 * the sender frame (assistant channels only from the assistant's own origin, authenticate only
 * from an allowed portal origin), then validates the payload, then acts on its world.
 */
import { AssistantError, toErrorInfo } from '../errors.ts';
import type {
  AssistantChannel, ConsentRequestView, ConsentSubmitResult, ErrorView, IpcChannel, IpcRequest, IpcResponse, IpcResult, PortalChannel,
} from '../../common/ipc-contract.ts';
import { ASSISTANT_CHANNELS, PORTAL_CHANNELS } from '../../common/ipc-contract.ts';
import { validateRequest } from './ipc-validate.ts';
import { originOfFrameUrl, parsePortalUrl } from '../../common/portal-origins.ts';
import type { AssistantWorld, IpcSender } from './world.ts';
import { createConsentSlot, type ConsentAnswer, type ConsentView } from '../login/signing-path.ts';
import { bridgeConsentFields } from './bridge-consent.ts';
import { isLocked, isWrongSecret } from '../keystores/errors.ts';
import { normalizeUscc } from '../pki/uscc.ts';

export type Handler<C extends IpcChannel> = (sender: IpcSender, payload: unknown) => Promise<IpcResponse<C>>;
export type HandlerTable = { [C in IpcChannel]: Handler<C> };

export interface AssistantIpc {
  handlers: HandlerTable;
  /** Runs a channel's handler and wraps the outcome, so errors keep their code across the transport. */
  dispatch(channel: string, sender: IpcSender, payload: unknown): Promise<IpcResult<unknown>>;
  /** Ends a waiting consent (portal closed or navigated away). */
  cancelConsent(reason: 'cancelled' | 'expired'): void;
  /** The bridge's consents on the same Consent screen (one slot, the same submit/cancel channels). */
  bridgeConsent: BridgeConsentPresenter;
}

/**
 * How the bridge's signing path (main/login/signing-path.ts) shows its consent in the assistant's
 * window. `ask` is the path's ask; the key store the bridge signs with reports back through
 * `retryPin` (the key refused the PIN: the same consent stays open, the user may type it again —
 * never retried by us) and `finish` (signed, or failed for good).
 */
export interface BridgeConsentPresenter {
  ask(view: ConsentView, signal: AbortSignal): Promise<ConsentAnswer>;
  /** Resolves with the next PIN the user types in the open consent; rejects when it is cancelled or expires. */
  retryPin(error: ErrorView): Promise<string>;
  finish(outcome: { ok: true } | { ok: false; error: ErrorView }): void;
}

/** A bridge consent's life: shown (waiting for a PIN), answered (the key is working), or asking again. */
interface BridgePending {
  state: 'asking' | 'signing' | 'retry';
  answer: (a: ConsentAnswer) => void;
  retry: { resolve: (pin: string) => void; reject: (e: AssistantError) => void } | null;
  outcome: ((r: ConsentSubmitResult | 'retry', error?: ErrorView) => void) | null;
  /** Several candidates (JIT filters): the certificate id shown → its index in the path's `choices`. */
  choiceOf?: Map<string, number>;
}

const DEFAULT_CONSENT_TIMEOUT_MS = 5 * 60 * 1000;

function senderOrigin(sender: IpcSender): string | null {
  if (typeof sender?.frameUrl !== 'string') return null;
  try {
    const u = new URL(sender.frameUrl);
    // app://assistant has an opaque origin in WHATWG terms; compare scheme + host ourselves.
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

const forbidden = () =>
  new AssistantError('IPC_FORBIDDEN_SENDER', '该页面无权调用此功能', { en: 'This page may not call this function' });

interface PendingConsent {
  view: ConsentRequestView;
  /** Kept beside the request, not in the view the renderer sees. */
  challenge: string;
  /** A signature is in progress: a second submit (double click) must not reach the key. */
  signing: boolean;
  resolve: (token: string) => void;
  reject: (e: AssistantError) => void;
  timer: ReturnType<typeof setTimeout>;
  /** Frees the consent slot shared with the bridge. */
  release: () => void;
  /** Set for a bridge consent: its answer goes to the signing path instead of createToken. */
  bridge?: BridgePending;
}

export function createAssistantIpc(world: AssistantWorld): AssistantIpc {
  const log = world.log ?? (() => {});
  const pfxFiles = new Map<string, { path: string; fileName: string }>();
  let pending: PendingConsent | null = null;
  // The slot is taken synchronously when an authenticate call passes the busy check, before its
  // first await: a second call (or a bridge consent) arriving meanwhile is refused instead of
  // opening a second consent. It is held until the consent ends.
  const slot = world.consentSlot ?? createConsentSlot();

  const assistantOnly = (sender: IpcSender): void => {
    if (senderOrigin(sender) !== world.assistantOrigin) throw forbidden();
  };

  /** Ends consent `p` if it is still the open one (a late timer or a stale id ends nothing else). */
  const endConsent = (p: PendingConsent | null, outcome: 'signed' | 'cancelled' | 'expired', token?: string): void => {
    if (!p || pending !== p) return;
    pending = null;
    clearTimeout(p.timer);
    p.release();
    world.portalView.setConsentActive(false);
    world.emit('consent:closed', { requestId: p.view.requestId, outcome });
    log('consent.closed', { outcome, origin: p.view.origin });
    if (p.bridge) {
      const b = p.bridge;
      if (outcome !== 'signed') {
        if (b.state === 'asking') b.answer({ allow: false });
        b.retry?.reject(outcome === 'expired'
          ? new AssistantError('CONSENT_TIMEOUT', '等待用户确认超时', { en: 'The user did not confirm in time' })
          : new AssistantError('USER_DENIED', '用户拒绝了该签名请求', { en: 'The user refused the signature' }));
        b.retry = null;
      }
      // Ended while the key was working (Cancel pressed, window closed): the submit call still gets its answer.
      const tell = b.outcome;
      b.outcome = null;
      tell?.(outcome === 'signed' ? { status: 'signed' } : { status: 'error', error: toErrorInfo(new AssistantError('USER_CANCELLED', '用户取消了签名', { en: 'The user cancelled the signature' })) });
      return;
    }
    if (outcome === 'signed' && token !== undefined) p.resolve(token);
    else if (outcome === 'expired') p.reject(new AssistantError('CONSENT_TIMEOUT', '等待用户确认超时', { en: 'The user did not confirm in time' }));
    else p.reject(new AssistantError('USER_CANCELLED', '用户取消了登录', { en: 'The user cancelled the login' }));
  };

  const findPending = (requestId: string): PendingConsent => {
    if (!pending || pending.view.requestId !== requestId) {
      throw new AssistantError('CONSENT_NOT_FOUND', '该登录请求已结束', { en: 'This login request is no longer open' });
    }
    return pending;
  };

  const guide = () => {
    if (!world.guide) throw new AssistantError('GUIDE_UNAVAILABLE', '办事指南数据不可用', { en: 'Service guide data is unavailable' });
    return world.guide;
  };

  const signatures = () => {
    if (!world.signatures) throw new AssistantError('SIGNATURE_LOG_UNAVAILABLE', '签名记录不可用', { en: 'The signature log is unavailable' });
    return world.signatures;
  };

  // Assistant-side handlers get a validated request; the sender check is done by the wrapper below.
  type AssistantImpl = { [C in AssistantChannel]: (req: IpcRequest<C>) => Promise<IpcResponse<C>> };
  const assistant: AssistantImpl = {
    'app:version': async () => ({ version: world.appVersion, portalHome: world.portal.home, language: world.language ?? 'zh' }),
    'app:diagnostics': async () => world.diagnostics(),
    'app:openExternal': async ({ url }) => {
      const u = parsePortalUrl(url);
      if (!u) throw new AssistantError('URL_NOT_ALLOWED', '只能打开 http/https 链接', { en: 'Only http/https links can be opened' });
      await world.openExternal(u.href);
      return { opened: true };
    },
    'certs:list': async () => world.certificates.list(),
    'certs:pickPfx': async () => {
      const path = await world.pickPfxFile();
      if (!path) return null;
      const fileId = world.randomId();
      const fileName = path.split(/[\\/]/).pop() ?? path;
      pfxFiles.set(fileId, { path, fileName });
      return { fileId, fileName };
    },
    'certs:openPfx': async ({ fileId, password }) => {
      const f = pfxFiles.get(fileId);
      if (!f) throw new AssistantError('FILE_NOT_FOUND', '请重新选择证书文件', { en: 'Please choose the certificate file again' });
      const list = await world.certificates.openPfx(f.path, password);
      world.emit('certs:changed', { reason: 'file-opened' });
      return list;
    },
    'certs:closePfx': async ({ fileId }) => {
      const f = pfxFiles.get(fileId);
      if (!f) return { closed: false };
      pfxFiles.delete(fileId);
      const closed = await world.certificates.closePfx(f.path);
      world.emit('certs:changed', { reason: 'file-closed' });
      return { closed };
    },
    'certs:remove': async ({ certificateId }) => {
      const path = await world.certificates.removeFile(certificateId);
      for (const [fileId, f] of pfxFiles) if (f.path === path) pfxFiles.delete(fileId);
      world.emit('certs:changed', { reason: 'file-closed' });
      return { removed: true };
    },
    'consent:current': async () => pending?.view ?? null,
    'consent:submit': async ({ requestId, certificateId, pin }): Promise<ConsentSubmitResult> => {
      if (pin === '' && !(pending?.view.requestId === requestId && pending.view.pinFromPage === true)) {
        throw new AssistantError('IPC_BAD_PAYLOAD', '请求参数无效：consent:submit.pin长度不符', { en: 'Invalid request: consent:submit.pin has a bad length', details: { field: 'consent:submit.pin' } });
      }
      const p = findPending(requestId);
      const cert = p.view.candidates.find((c) => c.id === certificateId);
      if (!cert) throw new AssistantError('CERTIFICATE_NOT_OFFERED', '所选证书不在本次登录可用的证书中', { en: 'The chosen certificate was not offered for this login' });
      if (p.signing) throw new AssistantError('CONSENT_BUSY', '正在签名，请稍候', { en: 'Signing is in progress' });
      if (p.bridge) return submitBridge(p, p.bridge, certificateId, pin);
      p.signing = true;
      log('consent.submit', { origin: p.view.origin, certificate: cert.fingerprintSha256 });
      try {
        const token = await world.certificates.createToken({ certificateId, origin: p.view.origin, challenge: p.challenge, pin });
        endConsent(p, 'signed', token);
        return { status: 'signed' };
      } catch (e) {
        const error: ErrorView = toErrorInfo(e, 'SIGN_FAILED');
        log('consent.sign-failed', { code: error.code });
        // Never retried here: the user decides whether to type the PIN again.
        if (isWrongSecret(error.code) || isLocked(error.code)) {
          const pinState = await world.certificates.pinState(certificateId).catch(() => null);
          const locked = isLocked(error.code) || pinState?.locked === true;
          return locked ? { status: 'locked', pin: pinState, error } : { status: 'pin-incorrect', pin: pinState, error };
        }
        return { status: 'error', error };
      } finally {
        p.signing = false;
      }
    },
    'consent:cancel': async ({ requestId }) => {
      endConsent(findPending(requestId), 'cancelled');
      return { cancelled: true };
    },
    'portal:open': async ({ url, bounds }) => {
      if (!world.portal.origins.isAllowedUrl(url)) {
        throw new AssistantError('ORIGIN_NOT_ALLOWED', '该网址不在允许的政务服务网地址中', { en: 'This address is not an allowed portal address', details: { url: url.slice(0, 200) } });
      }
      await world.portalView.open(url, bounds);
      return { url };
    },
    'portal:setBounds': async ({ bounds }) => {
      world.portalView.setBounds(bounds);
      return { ok: true };
    },
    'portal:close': async () => {
      endConsent(pending, 'cancelled');
      world.portalView.close();
      return { ok: true };
    },
    'guide:sites': async () => ({ sites: await guide().sites() }),
    'guide:search': async (q) => guide().search({ ...q, page: q.page ?? 1, pageSize: q.pageSize ?? 20 }),
    'guide:browse': async (q) => guide().browse({ ...q, page: q.page ?? 1, pageSize: q.pageSize ?? 20 }),
    'guide:item': async ({ id }) => {
      const item = await guide().item(id);
      if (!item) throw new AssistantError('GUIDE_ITEM_NOT_FOUND', '未找到该事项', { en: 'Service item not found' });
      return item;
    },
    'guide:hot': async ({ site }) => ({ categories: await guide().hot(site) }),
    'guide:ask': async ({ question }) => ({ answers: await guide().ask(question) }),
    'guide:manual': async () => ({ sections: await guide().manual() }),
    'guide:manualSection': async ({ id }) => {
      const s = await guide().manualSection(id);
      if (!s) throw new AssistantError('MANUAL_SECTION_NOT_FOUND', '未找到该章节', { en: 'Manual section not found' });
      return s;
    },
    'bridge:status': async () => world.bridge?.status() ?? { state: 'off', protocols: [], endpoints: [], busyPorts: [], message: null, messageEn: null },
    'reminders:active': async () => ({ reminders: (await world.reminders?.active()) ?? [] }),
    'reminders:dismiss': async ({ fingerprint, threshold }) => ({ reminders: (await world.reminders?.dismiss({ fingerprint, threshold })) ?? [] }),
    'signatures:list': async (filter) => signatures().list(filter),
    'signatures:export': async (filter) => {
      const r = await signatures().exportCsv(filter);
      return r ? { saved: true, count: r.count, fileName: r.fileName } : { saved: false, count: 0, fileName: null };
    },
  };

  const authenticate = async (sender: IpcSender, payload: unknown): Promise<{ token: string }> => {
    // The origin to sign is the sender frame's, never anything the page says.
    const origin = originOfFrameUrl(sender?.frameUrl);
    const signing = world.portal.signingOrigins ?? world.portal.origins;
    if (!origin || !signing.isAllowedOrigin(origin)) {
      log('authenticate.refused', { origin: origin ?? 'opaque' });
      throw new AssistantError('ORIGIN_NOT_ALLOWED', '该网站不在允许登录的政务服务网地址中', { en: 'This site is not an allowed portal', details: { origin } });
    }
    const req = validateRequest('portal:authenticate', payload);
    const release = pending ? null : slot.reserve();
    if (!release) {
      throw new AssistantError('CONSENT_BUSY', '已有一个登录或签名请求等待确认', { en: 'Another login or signature request is waiting for confirmation' });
    }
    let opened: { done: Promise<{ token: string }> };
    try {
      opened = await openConsent(origin, req, release);
    } catch (e) {
      // Once the consent is open, `pending` holds the slot until it ends; a failed call frees it.
      release();
      throw e;
    }
    return opened.done;
  };

  /** Lists the candidates, then opens the consent (sets `pending`) before it returns. */
  const openConsent = async (origin: string, req: IpcRequest<'portal:authenticate'>, release: () => void): Promise<{ done: Promise<{ token: string }> }> => {
    const expectedUscc = req.expectedUscc === undefined ? null : normalizeUscc(req.expectedUscc);
    const { certificates } = await world.certificates.list();
    // 无法确认 (no local trust root) is still offered: the portal verifies the chain itself.
    const candidates = certificates.filter((c) => (c.canLogin || (c.verdict === 'unconfirmed' && c.uscc?.valid === true)) && (expectedUscc === null || c.uscc?.value === expectedUscc));
    if (candidates.length === 0) {
      throw new AssistantError('NO_CERTIFICATE', expectedUscc ? '没有找到该单位可用于登录的证书，请插入USB Key或打开证书文件' : '没有可用于登录的证书，请插入USB Key或打开证书文件', {
        en: 'No certificate that can log in was found; insert the USB key or open the certificate file',
      });
    }
    const now = world.now();
    const timeoutMs = world.consentTimeoutMs ?? DEFAULT_CONSENT_TIMEOUT_MS;
    const view: ConsentRequestView = {
      requestId: world.randomId(),
      origin,
      expectedUscc,
      candidates,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + timeoutMs).toISOString(),
      siteName: world.portal.siteName?.(origin) ?? null,
      purpose: 'login',
    };
    log('consent.requested', { origin, candidates: candidates.length });
    const done = new Promise<{ token: string }>((resolve, reject) => {
      const p: PendingConsent = {
        view,
        challenge: req.challenge,
        signing: false,
        resolve: (token) => resolve({ token }),
        reject,
        timer: setTimeout(() => endConsent(p, 'expired'), timeoutMs),
        release,
      };
      pending = p;
      world.portalView.setConsentActive(true);
      world.emit('consent:requested', view);
    });
    return { done };
  };

  /** The PIN goes to the bridge's signing path once; the answer is what the key then says. */
  const submitBridge = async (p: PendingConsent, b: BridgePending, certificateId: string, pin: string): Promise<ConsentSubmitResult> => {
    // The key refused a PIN (maybe the page's): only a PIN typed here may try again.
    if (pin === '' && b.state !== 'asking') throw new AssistantError('PIN_REQUIRED', '请输入 PIN 码', { en: 'Please type the PIN' });
    p.signing = true;
    log('consent.submit', { origin: p.view.origin, via: 'bridge' });
    try {
      const settled = new Promise<{ r: ConsentSubmitResult | 'retry'; error?: ErrorView }>((resolve) => {
        b.outcome = (r, error) => resolve({ r, ...(error ? { error } : {}) });
      });
      // An empty PIN (only offered when policy lets the page's PIN unlock the key) leaves the page's PIN in use.
      const choice = b.choiceOf?.get(certificateId);
      if (b.state === 'asking') b.answer({ allow: true, ...(pin === '' ? {} : { secret: pin }), ...(choice !== undefined ? { choice } : {}) });
      else if (b.state === 'retry' && b.retry) b.retry.resolve(pin);
      b.state = 'signing';
      b.retry = null;
      const { r, error } = await settled;
      if (r !== 'retry') return r;
      // Never retried here: the key refused this PIN; the user decides whether to type it again.
      const pinState = await world.certificates.pinState(certificateId).catch(() => null);
      return { status: 'pin-incorrect', pin: pinState, error: error! };
    } finally {
      p.signing = false;
    }
  };

  const bridgeOpen = (): { p: PendingConsent; b: BridgePending } | null => (pending?.bridge ? { p: pending, b: pending.bridge } : null);

  const bridgeConsent: BridgeConsentPresenter = {
    async ask(view, signal) {
      // The signing path holds the shared slot for this consent; an embedded consent cannot be open.
      if (pending) throw new AssistantError('CONSENT_BUSY', '已有一个登录或签名请求等待确认', { en: 'Another login or signature request is waiting for confirmation' });
      const { certificates } = await world.certificates.list();
      const cert = certificates.find((c) => c.fingerprintSha256 === view.certificate.fingerprintSha256);
      if (!cert) throw new AssistantError('NO_CERTIFICATE', '找不到该证书，USB Key 可能已拔出', { en: 'Certificate not found; the USB key may have been removed' });
      // Several candidates: the Consent screen lists them (the first preselected) and the user picks.
      const choiceOf = new Map<string, number>();
      const candidates = [cert];
      (view.choices ?? []).forEach((c, i) => {
        const found = i === 0 ? cert : certificates.find((x) => x.fingerprintSha256 === c.fingerprintSha256);
        if (!found || choiceOf.has(found.id)) return;
        choiceOf.set(found.id, i);
        if (i > 0) candidates.push(found);
      });
      if (signal.aborted || pending) return { allow: false };
      const now = world.now();
      const requestView: ConsentRequestView = {
        requestId: view.id, origin: view.origin, expectedUscc: null, candidates,
        createdAt: now.toISOString(), expiresAt: view.expiresAt, ...bridgeConsentFields(view),
        ...(view.pinFromPage ? { pinFromPage: true } : {}),
      };
      return new Promise<ConsentAnswer>((resolve) => {
        const b: BridgePending = { state: 'asking', answer: resolve, retry: null, outcome: null, ...(choiceOf.size > 1 ? { choiceOf } : {}) };
        const left = Math.max(0, Date.parse(view.expiresAt) - now.getTime());
        const p: PendingConsent = {
          view: requestView, challenge: '', signing: false, bridge: b,
          resolve: () => {}, reject: () => {},
          // The path's own timer ends the first wait; this one ends a retry the user never typed.
          timer: setTimeout(() => endConsent(p, 'expired'), left),
          release: () => {},
        };
        signal.addEventListener('abort', () => endConsent(p, 'expired'), { once: true });
        pending = p;
        world.portalView.setConsentActive(true);
        world.emit('consent:requested', requestView);
        log('consent.requested', { origin: view.origin, via: 'bridge', operation: view.operation });
      });
    },
    retryPin(error) {
      const open = bridgeOpen();
      if (!open || open.b.state !== 'signing') return Promise.reject(new AssistantError('USER_DENIED', '用户拒绝了该签名请求', { en: 'The user refused the signature' }));
      const { b } = open;
      return new Promise<string>((resolve, reject) => {
        b.state = 'retry';
        b.retry = { resolve, reject };
        const tell = b.outcome;
        b.outcome = null;
        tell?.('retry', error);
      });
    },
    finish(outcome) {
      const open = bridgeOpen();
      if (!open || open.b.state !== 'signing') return;
      const tell = open.b.outcome;
      open.b.outcome = null;
      if (outcome.ok) {
        endConsent(open.p, 'signed');
        tell?.({ status: 'signed' });
      } else {
        endConsent(open.p, 'cancelled');
        tell?.(isLocked(outcome.error.code) ? { status: 'locked', pin: null, error: outcome.error } : { status: 'error', error: outcome.error });
      }
    },
  };

  const handlers = {} as Record<IpcChannel, Handler<IpcChannel>>;
  for (const channel of ASSISTANT_CHANNELS) {
    const impl = assistant[channel] as (req: unknown) => Promise<unknown>;
    handlers[channel] = (async (sender: IpcSender, payload: unknown) => {
      assistantOnly(sender);
      return impl(validateRequest(channel, payload));
    }) as Handler<IpcChannel>;
  }
  const portal: { [C in PortalChannel]: Handler<C> } = { 'portal:authenticate': authenticate };
  for (const channel of PORTAL_CHANNELS) handlers[channel] = portal[channel] as Handler<IpcChannel>;

  return {
    handlers: handlers as HandlerTable,
    async dispatch(channel, sender, payload) {
      if (!Object.prototype.hasOwnProperty.call(handlers, channel)) {
        return { ok: false, error: { code: 'IPC_UNKNOWN_CHANNEL', message: '未知的请求通道', messageEn: 'Unknown IPC channel' } };
      }
      try {
        return { ok: true, value: await handlers[channel as IpcChannel](sender, payload) };
      } catch (e) {
        return { ok: false, error: toErrorInfo(e) };
      }
    },
    cancelConsent(reason) {
      endConsent(pending, reason);
    },
    bridgeConsent,
  };
}
