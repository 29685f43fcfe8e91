/**
 * The world the assistant's IPC handler table runs in. main/app builds it from Electron
 * (dialogs, WebContentsView, utilityProcess key-store worker); the e2e host builds it from
 * Playwright pages; unit tests build it from plain objects. Type-only: no Electron here.
 */
import type {
  AssistantEventName, AssistantEvents, Lang, Bounds, BridgeStatusView, CertificateListView, DiagnosticsView, GuideItemView, GuideListView,
  GuideSiteView, HotCategoryView, ManualSectionTextView, ManualSectionView, AnswerView, PinStateView, ServiceFor, SignatureFilter, SignatureListView,
} from '../../common/ipc-contract.ts';
import type { PortalOriginAllowList } from '../../common/portal-origins.ts';
import type { ConsentSlot } from '../login/signing-path.ts';
import type { ExpiryReminderService } from './expiry-reminder-service.ts';

/** Who sent an IPC message: the sender frame's URL, as Electron (or Playwright) reports it. */
export interface IpcSender {
  frameUrl: string;
}

/** Certificates from every key store (USB keys through the worker, opened .pfx files). */
export interface CertificateService {
  list(): Promise<CertificateListView>;
  /** Opens a PKCS#12 file with its password (used once, not kept) and adds it to the list. */
  openPfx(path: string, password: string): Promise<CertificateListView>;
  closePfx(path: string): Promise<boolean>;
  /** Takes an opened file's certificates off the list; returns the file's path. Refuses a USB key or the Windows store (CERT_NOT_REMOVABLE). */
  removeFile(certificateId: string): Promise<string>;
  pinState(certificateId: string): Promise<PinStateView | null>;
  /** Signs a cert-login:1 token for `origin` over `challenge`; the PIN is passed through once. */
  createToken(args: { certificateId: string; origin: string; challenge: string; pin: string }): Promise<string>;
}

export interface GuideSearchQuery {
  query: string;
  site?: string;
  for?: ServiceFor;
  theme?: string;
  department?: string;
  page: number;
  pageSize: number;
}

export interface GuideBrowseQuery {
  site: string;
  for: ServiceFor;
  theme?: string;
  department?: string;
  page: number;
  pageSize: number;
}

/** What the guide screens need from main/guide (adapted in main/assistant/guide-service.ts). */
export interface GuideService {
  sites(): Promise<GuideSiteView[]>;
  search(q: GuideSearchQuery): Promise<GuideListView>;
  browse(q: GuideBrowseQuery): Promise<GuideListView>;
  item(id: string): Promise<GuideItemView | null>;
  hot(site?: string): Promise<HotCategoryView[]>;
  ask(question: string): Promise<AnswerView[]>;
  manual(): Promise<ManualSectionView[]>;
  manualSection(id: string): Promise<ManualSectionTextView | null>;
}

/** The embedded portal view (Electron: a WebContentsView with a non-persistent partition). */
export interface PortalViewControl {
  open(url: string, bounds: Bounds): Promise<void>;
  setBounds(bounds: Bounds): void;
  close(): void;
  /** While a consent is on screen the portal view steps aside, so nothing can cover the consent. */
  setConsentActive(active: boolean): void;
}

/** The signature log (签名记录) as the app's screens read it: main/login/signature-log.ts behind it. */
export interface SignatureLogService {
  list(filter: SignatureFilter): Promise<SignatureListView>;
  /** Writes the filtered entries as CSV where the user chooses (a save dialog); null when cancelled. */
  exportCsv(filter: SignatureFilter): Promise<{ count: number; fileName: string } | null>;
}

/** Event fields that may be logged: never a PIN, never a payload. */
export type LogFields = Record<string, string | number | boolean | null>;

export interface AssistantWorld {
  now: () => Date;
  /** Unguessable ids for consent requests and opened files. */
  randomId: () => string;
  appVersion: string;
  /** Interface language from policy/user settings (the renderer may switch at run time). */
  language?: Lang;
  /** Origin of the assistant's own UI: `app://assistant` in Electron, the test server in e2e. */
  assistantOrigin: string;
  /** `origins`: where the embedded portal may navigate; `signingOrigins`: who may ask for a login signature (policy may narrow it; default = origins). */
  portal: { home: string; origins: PortalOriginAllowList; signingOrigins?: PortalOriginAllowList; siteName?: (origin: string) => string | null };
  certificates: CertificateService;
  guide: GuideService | null;
  portalView: PortalViewControl;
  pickPfxFile: () => Promise<string | null>;
  openExternal: (url: string) => Promise<void>;
  emit: <E extends AssistantEventName>(event: E, payload: AssistantEvents[E]) => void;
  diagnostics: () => Promise<DiagnosticsView>;
  /** Null where no log is kept (tests that do not need one). */
  signatures?: SignatureLogService | null;
  /** Expiry reminders for the guide's banner (main/assistant/expiry-reminder-service.ts); absent: none shown. */
  reminders?: Pick<ExpiryReminderService, 'active' | 'dismiss'> | null;
  /** The CA-assistant bridge this app serves (main/assistant/app-bridge.ts); absent: not served. */
  bridge?: { status(): BridgeStatusView } | null;
  log?: (event: string, fields?: LogFields) => void;
  /** How long a consent waits for the user (default 5 min, the challenge lifetime). */
  consentTimeoutMs?: number;
  /**
   * The one consent slot shared with the bridge's signing path (main/login/signing-path.ts), so a
   * bridge consent and an embedded login never wait at the same time; default: a slot of its own.
   */
  consentSlot?: ConsentSlot;
}
