/**
 * The one typed map of IPC channels (channel -> request/response), shared by preload/, main/app/,
 * main/assistant/ (the handler table) and renderer/. Pure: no imports, so every runtime can load it.
 * A renamed channel or a changed payload fails to compile on both sides.
 */

// ---------- values that cross the boundary (plain JSON, no keys, no PINs) ----------

export type Lang = 'zh' | 'en';

export interface ErrorView {
  code: string;
  message: string;
  messageEn?: string;
  details?: Record<string, unknown>;
}

/** Every reply is an envelope, so a typed error (code + zh-CN message) survives the transport. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: ErrorView };

export interface PinStateView {
  retriesLeft: number | null;
  low: boolean;
  finalTry: boolean;
  locked: boolean;
}

/** A check's outcome, the one vocabulary for the certificate checks (inspect) and, with `skip`, doctor's. */
export type CheckStatus = 'pass' | 'warn' | 'fail';
/** doctor's checks may also be skipped (offline: the portal's clock cannot be read). */
export type DiagnosticStatus = CheckStatus | 'skip';

export interface CheckView {
  id: string;
  status: CheckStatus;
  message: string;
  /** The same in English (the UI's English mode). */
  messageEn: string;
  /** Stable reason for warn/fail (CERT_EXPIRED, USCC_NOT_FOUND, …). */
  code?: string;
  /** Technical detail (key usage, where the USCC was found, DNs, admin steps): shown folded under 技术信息. */
  detail?: string;
  detailEn?: string;
}

/** One certificate with a private key, as the certificate screen and the consent screen show it. */
export interface CertificateView {
  /** `<storeId>/<identityId>`: opaque to the renderer. */
  id: string;
  /** usb: PKCS#11/SKF USB key; file: an opened .pfx; windows: the Windows certificate store (CurrentUser\\My). */
  source: 'usb' | 'file' | 'windows';
  /** USB key token label, the file name, or the Windows store's name. */
  sourceLabel: string;
  label: string;
  subject: string;
  /** 企业名称: main/pki/subject-name.ts (CN `@` segment, O unless it names the CA, CN). */
  enterpriseName: string;
  issuer: string;
  caProfile: { id: string; name: string } | null;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  keyAlgorithm: string;
  fingerprintSha256: string;
  uscc: { value: string; valid: boolean; source: string; confidence: string } | null;
  /** The portal's legal-person kind (企业法人, 事业单位, …) decoded from the USCC. */
  legalPersonKind: string | null;
  orgCode: string | null;
  checks: CheckView[];
  /** Chain to a trusted CA verified. */
  trusted: boolean;
  /** Every check passes or warns and a valid USCC was found. */
  canLogin: boolean;
  /** usable = 可以登录; unconfirmed = 无法确认 (no trusted root to check the issuer); unusable = 不能登录. */
  verdict?: 'usable' | 'unconfirmed' | 'unusable';
  /** The one-line reason and what to do, for clerks. */
  verdictMessage?: string;
  verdictMessageEn?: string;
  /** Reminder 30 and 7 days before notAfter (and once expired), with the CA's renewal path. */
  expiry?: ExpiryView | null;
  pin: PinStateView | null;
}

export interface ExpiryView {
  level: 'expired' | 'week' | 'month';
  /** Calendar days (UTC+8) left; negative once expired. */
  daysLeft: number;
  message: string;
  messageEn: string;
  /** The issuing CA's website (online renewal), from the CA profiles. */
  renewalUrl: string | null;
}

/** A reminder that a certificate expires (30, 7, 1 days before notAfter, or has expired), with who renews it. */
export interface ExpiryReminderView {
  fingerprint: string;
  enterpriseName: string | null;
  /** 30, 7, 1; 0 once expired: what a dismissal silences (until the next threshold). */
  threshold: number;
  daysLeft: number;
  title: string;
  titleEn: string;
  body: string;
  bodyEn: string;
  /** The issuing CA's website (online renewal), from the CA profiles. */
  renewalUrl: string | null;
}

export interface CertificateListView {
  certificates: CertificateView[];
  /** Stores that could not be read (a driver failed): shown, never hidden. */
  problems: { source: string; error: ErrorView }[];
  /** With no certificate listed: what is missing (driver, key, certificate), main/assistant/first-run.ts. */
  firstRun?: FirstRunView | null;
}

export interface FirstRunView {
  /** Most basic first: no driver on this machine, a driver that does not load, no key inserted, a key without certificates. */
  status: 'no-driver' | 'driver-failed' | 'no-key' | 'key-empty';
  message: string;
  messageEn: string;
  /** Which CA's USB-key driver to install (from the CA profiles for this platform). */
  install: { ca: string; caEn: string; drivers: string[]; website: string | null }[];
  /** The drivers found here and what each saw. */
  drivers: { path: string; kind: 'pkcs11' | 'skf'; ca: string | null; caEn: string | null; loads: boolean; keys: number | null; errorCode?: string }[];
}

/** A signature request waiting for the user, shown in the assistant's own window. */
export interface ConsentRequestView {
  requestId: string;
  /** Origin of the portal frame that asked, taken from the sender frame in main. */
  origin: string;
  expectedUscc: string | null;
  candidates: CertificateView[];
  createdAt: string;
  expiresAt: string;
  /** The site's name from policy for this origin, where policy names it. */
  siteName?: string | null;
  /** What the signature is for: 登录 (default), 绑定证书, 签署内容 or 解密 (bridge). */
  purpose?: 'login' | 'bind' | 'sign' | 'decrypt';
  /** What a bridge request signs or decrypts: the first lines (or 二进制数据) and the SHA-256 (hex) of the exact bytes. */
  content?: { preview: string; sha256: string } | null;
  /** Bridge, policy bridgeAcceptPagePin on: the page passed a PIN; confirming with an empty PIN uses it. */
  pinFromPage?: boolean;
}

export type ConsentSubmitResult =
  | { status: 'signed' }
  | { status: 'pin-incorrect'; pin: PinStateView | null; error: ErrorView }
  | { status: 'locked'; pin: PinStateView | null; error: ErrorView }
  | { status: 'error'; error: ErrorView };

export interface Bounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

// ---- service guide (shapes for the screens; main/guide supplies the data) ----

export type ServiceFor = 'person' | 'legal';

export interface GuideSiteView {
  code: string;
  name: string;
  level: 'province' | 'city' | 'county';
  parent: string | null;
  /** Full pinyin and initials of the name (shijiazhuangshi / sjzs), for the site picker's search. */
  pinyin?: string;
  initials?: string;
  /** The site's own portal address where known (site data and policy). */
  url?: string | null;
}

export interface HighlightRange {
  start: number;
  end: number;
}

export interface GuideItemSummary {
  id: string;
  title: string;
  site: { code: string; name: string };
  department: string;
  theme: string | null;
  for: ServiceFor[];
  itemType: string | null;
  /** 可网办 as the data says it: null when the offline data does not know (no badge, never guessed). */
  online: boolean | null;
  /** Where the query matched in the title: [start, end) in UTF-16 units. */
  highlights?: HighlightRange[];
  score?: number;
}

export interface FacetCount {
  value: string;
  label: string;
  count: number;
}

export interface GuideListView {
  total: number;
  page: number;
  pageSize: number;
  items: GuideItemSummary[];
  facets: { themes: FacetCount[]; departments: FacetCount[] };
}

export interface GuideMaterialView {
  name: string;
  form: string | null;
  copies: string | null;
  required: string | null;
}

export interface GuideItemView extends GuideItemSummary {
  basicCode: string | null;
  implCode: string | null;
  conditions: string | null;
  /** null: not known offline (the page says 以门户网站公布为准 once, not an empty table). */
  materials: GuideMaterialView[] | null;
  process: string[] | null;
  legalLimit: string | null;
  promisedLimit: string | null;
  fee: string | null;
  place: string | null;
  hours: string | null;
  phone: string | null;
  /** The item's 在线办理 address, only when the data names one. */
  onlineUrl: string | null;
  /** The site's portal, where the authoritative guide is published (unknown fields, unknown 可网办). */
  portalUrl: string | null;
  /** Representative content, not the portal's authoritative text (示例). */
  sample: boolean;
}

export interface HotCategoryView {
  id: string;
  name: string;
  items: GuideItemSummary[];
}

export interface ManualSectionView {
  id: string;
  title: string;
  level: number;
}

export interface ManualSectionTextView extends ManualSectionView {
  text: string;
}

export interface AnswerView {
  section: string;
  title: string;
  score: number;
  text: string;
  itemId?: string;
}

export interface DiagnosticsView {
  appVersion: string;
  runtime: { electron: string | null; chrome: string | null; node: string; platform: string; arch: string };
  portal: { home: string; allowedOrigins: string[] };
  modules: { path: string; loaded: boolean; error?: string }[];
  policySources: string[];
  guide: { available: boolean; items: number | null; version: string | null };
  /** Each policy key in force, its source (`default`, `file:…`, `registry:HKLM`, `user`) and whether an administrator locked it. */
  settings?: PolicySettingView[];
  /** Whether the app updates itself, and why not. */
  updates?: { enabled: boolean; message: string; messageEn: string };
  /** The checks `cert-assistant doctor` makes (环境检测), with what to do for each. */
  checks?: { id: string; status: DiagnosticStatus; message: string; messageEn?: string; fix?: string; fixEn?: string; code?: string }[];
}

export interface PolicySettingView {
  key: string;
  value: string;
  source: string;
  locked: boolean;
}

/** One entry of the signature log (签名记录): never the PIN, never the signed content. */
export interface SignatureEntryView {
  seq: number;
  at: string;
  origin: string;
  protocol: string;
  operation: 'login' | 'bind' | 'sign' | 'decrypt';
  via: 'app' | 'bridge' | 'cli';
  fingerprintSha256: string;
  enterprise: string | null;
  uscc: string | null;
  contentSha256: string;
}

export interface SignatureFilter {
  /** SHA-256 fingerprint or its leading hex digits. */
  certificate?: string;
  origin?: string;
  /** Days as 2026-12-01 (Beijing time). */
  since?: string;
  until?: string;
}

export interface SignatureListView {
  entries: SignatureEntryView[];
  /** The hash chain checked on every read: a tampered log is said, never hidden. */
  intact: boolean;
  problem: { seq: number; message: string; messageEn: string } | null;
}

/** The CA assistants' loopback protocols as this app serves them (the certificate screen's short line). */
export interface BridgeStatusView {
  /** off: policy turned it off; serving: listening (some ports may be held by another program); failed: did not start. */
  state: 'off' | 'serving' | 'failed';
  protocols: Array<'bjca' | 'hebca' | 'jit'>;
  /** ws://127.0.0.1:21051/xtxapp/ … */
  endpoints: string[];
  /** Ports another program (usually the CA's own assistant) already holds: left to it, never fought over. */
  busyPorts: Array<{ protocol: 'bjca' | 'hebca' | 'jit'; port: number }>;
  /** For clerks, null when there is nothing to say. */
  message: string | null;
  messageEn: string | null;
}

// ---------- channels: the assistant's own UI (app://assistant) ----------

export interface AssistantContract {
  'app:version': { request: void; response: { version: string; portalHome: string; language: Lang } };
  'app:diagnostics': { request: void; response: DiagnosticsView };
  'app:openExternal': { request: { url: string }; response: { opened: boolean } };
  'certs:list': { request: void; response: CertificateListView };
  /** Main shows a file dialog; the path never comes from the renderer. */
  'certs:pickPfx': { request: void; response: { fileId: string; fileName: string } | null };
  /** The file password unlocks the file's certificates; used once, never kept. */
  'certs:openPfx': { request: { fileId: string; password: string }; response: CertificateListView };
  'certs:closePfx': { request: { fileId: string }; response: { closed: boolean } };
  /** 移除: takes an opened certificate file off the list (a USB key's certificates are never removed: CERT_NOT_REMOVABLE). */
  'certs:remove': { request: { certificateId: string }; response: { removed: boolean } };
  'consent:current': { request: void; response: ConsentRequestView | null };
  'consent:submit': { request: { requestId: string; certificateId: string; pin: string }; response: ConsentSubmitResult };
  'consent:cancel': { request: { requestId: string }; response: { cancelled: boolean } };
  'portal:open': { request: { url: string; bounds: Bounds }; response: { url: string } };
  'portal:setBounds': { request: { bounds: Bounds }; response: { ok: true } };
  'portal:close': { request: void; response: { ok: true } };
  'guide:sites': { request: void; response: { sites: GuideSiteView[] } };
  'guide:search': {
    request: { query: string; site?: string; for?: ServiceFor; theme?: string; department?: string; page?: number; pageSize?: number };
    response: GuideListView;
  };
  'guide:browse': {
    request: { site: string; for: ServiceFor; theme?: string; department?: string; page?: number; pageSize?: number };
    response: GuideListView;
  };
  'guide:item': { request: { id: string }; response: GuideItemView };
  'guide:hot': { request: { site?: string }; response: { categories: HotCategoryView[] } };
  'guide:ask': { request: { question: string }; response: { answers: AnswerView[] } };
  'guide:manual': { request: void; response: { sections: ManualSectionView[] } };
  'guide:manualSection': { request: { id: string }; response: ManualSectionTextView };
  'signatures:list': { request: SignatureFilter; response: SignatureListView };
  /** Main asks where to save (a dialog); the renderer never names a path. */
  'signatures:export': { request: SignatureFilter; response: { saved: boolean; count: number; fileName: string | null } };
  'bridge:status': { request: void; response: BridgeStatusView };
  /** Expiry reminders not dismissed (the guide's banner); empty when policy turns reminders off. */
  'reminders:active': { request: void; response: { reminders: ExpiryReminderView[] } };
  /** 不再提醒: quiet until the next threshold (30 → 7 → 1 → expired); returns what is still active. */
  'reminders:dismiss': { request: { fingerprint: string; threshold: number }; response: { reminders: ExpiryReminderView[] } };
}

// ---------- channels: embedded portal pages (allowed portal origins only) ----------

export interface PortalContract {
  'portal:authenticate': { request: { challenge: string; expectedUscc?: string }; response: { token: string } };
}

export type IpcContract = AssistantContract & PortalContract;
export type IpcChannel = keyof IpcContract;
export type AssistantChannel = keyof AssistantContract;
export type PortalChannel = keyof PortalContract;
export type IpcRequest<C extends IpcChannel> = IpcContract[C]['request'];
export type IpcResponse<C extends IpcChannel> = IpcContract[C]['response'];

// ---------- events: main -> assistant UI ----------

export interface AssistantEvents {
  /** A portal asked for a signature: show the consent screen. */
  'consent:requested': ConsentRequestView;
  /** The request ended (signed, cancelled, timed out): close the consent screen. */
  'consent:closed': { requestId: string; outcome: 'signed' | 'cancelled' | 'expired' };
  /** A USB key was inserted or removed, or a file opened: reload the list. */
  'certs:changed': { reason: string };
  'portal:navigated': { url: string };
  /** Main asks the window to show a screen (a tray entry or an expiry notice was clicked). */
  'app:show': { screen: 'certs' };
}
export type AssistantEventName = keyof AssistantEvents;

/** Channel lists the preloads pass through (and nothing else). `satisfies` + the check below keep them complete. */
export const ASSISTANT_CHANNELS = [
  'app:version', 'app:diagnostics', 'app:openExternal',
  'certs:list', 'certs:pickPfx', 'certs:openPfx', 'certs:closePfx', 'certs:remove',
  'consent:current', 'consent:submit', 'consent:cancel',
  'portal:open', 'portal:setBounds', 'portal:close',
  'guide:sites', 'guide:search', 'guide:browse', 'guide:item', 'guide:hot', 'guide:ask', 'guide:manual', 'guide:manualSection',
  'signatures:list', 'signatures:export',
  'bridge:status',
  'reminders:active', 'reminders:dismiss',
] as const satisfies readonly AssistantChannel[];
export const PORTAL_CHANNELS = ['portal:authenticate'] as const satisfies readonly PortalChannel[];
export const ASSISTANT_EVENTS = ['consent:requested', 'consent:closed', 'certs:changed', 'portal:navigated', 'app:show'] as const satisfies readonly AssistantEventName[];

// A channel missing from the lists above is a compile error here.
type Missing<All, Listed> = Exclude<All, Listed>;
const _assistantComplete: [Missing<AssistantChannel, (typeof ASSISTANT_CHANNELS)[number]>] extends [never] ? true : never = true;
const _eventsComplete: [Missing<AssistantEventName, (typeof ASSISTANT_EVENTS)[number]>] extends [never] ? true : never = true;
void _assistantComplete;
void _eventsComplete;

/** What the assistant preload puts on `window.assistant`. */
export interface AssistantBridge {
  invoke<C extends AssistantChannel>(channel: C, request: IpcRequest<C>): Promise<IpcResult<IpcResponse<C>>>;
  on<E extends AssistantEventName>(event: E, listener: (payload: AssistantEvents[E]) => void): () => void;
}

/** What the portal preload puts on `window.certAssistant`: exactly one call. */
export interface PortalBridge {
  authenticate(request: { challenge: string; expectedUscc?: string }): Promise<{ token: string }>;
}

/** The IPC event name the main process uses to push AssistantEvents. */
export const ASSISTANT_EVENT_CHANNEL = 'assistant:event';
