/**
 * The certificate list and login signing behind the assistant's screens: every key store
 * (USB keys through the worker, opened .pfx files) -> identities -> inspected CertificateViews;
 * a chosen identity + PIN -> a cert-login:1 token. Stores are passed in; nothing here loads a driver.
 */
import { AssistantError, toErrorInfo } from '../errors.ts';
import type { KeyIdentity, KeyStore } from '../keystores/types.ts';
import type { StoreSpec } from '../keystores/worker/protocol.ts';
import { signatureRecord, type SignatureRecord } from '../login/signature-log.ts';
import { createLoginToken } from '../login/token.ts';
import { chainToSend, sentChainNote } from '../login/sent-chain.ts';
import { findCaProfile, loadCaProfiles, type CaProfile } from '../pki/ca-profiles.ts';
import { expiryNotice } from '../pki/expiry.ts';
import { parseCertificate, type ParsedCertificate } from '../pki/certificate.ts';
import { inspectCertificate, loginVerdict } from '../pki/inspect.ts';
import { certificateRevocation, revocationUnfinished, withRevocation, type RevocationSettings } from '../login/certificate-revocation.ts';
import type { PreparedCrl } from '../login/revocation.ts';
import { analyzeUscc } from '../pki/uscc.ts';
import type { CertificateListView, CertificateView, PinStateView } from '../../common/ipc-contract.ts';
import type { CertificateService, LogFields } from './world.ts';
import { firstRunState, type DriverProbe } from './first-run.ts';

export interface RegisteredStore {
  /** Stable id for this store within the app run (`usb-<n>` PKCS#11, `skf-<n>` SKF, `windows`, `file-<n>`). */
  storeId: string;
  source: 'usb' | 'file' | 'windows';
  /** Token label / module, or the file name. */
  label: string;
  store: KeyStore;
  /** For file stores: the path they were opened from. */
  path?: string;
}

export interface CertificateServiceOptions {
  now: () => Date;
  appVersion: string;
  /** USB-key stores currently configured (one per PKCS#11 module or SKF library), asked on every list. */
  usbStores: () => RegisteredStore[];
  /** Opens a PKCS#12 file as a key store; the password is used to read it and then dropped. */
  openPkcs12: (path: string, password: string) => Promise<KeyStore>;
  anchors: () => ParsedCertificate[];
  profiles?: CaProfile[];
  /** Per-store listing bound, so one slow driver cannot freeze the screen (the worker has its own timeouts too). */
  listTimeoutMs?: number;
  /** Where every signature is recorded (the signature log); a failure to record never undoes a consented login. */
  recordSignature?: (record: SignatureRecord) => Promise<unknown>;
  /** Told when a signature could not be recorded (no PIN, no content). */
  onRecordFailed?: (code: string) => void;
  /**
   * The policy's revocation settings (revocationMode, revocationCrls, revocationNetwork), read once:
   * the same check `cert-assistant inspect` makes, folded into each certificate's verdict.
   */
  revocation?: () => { settings: RevocationSettings; prepared: PreparedCrl[] };
  /** With nothing listed: what each configured driver sees (first-run.ts `probeDrivers` through the worker). */
  probeDrivers?: () => Promise<DriverProbe[]>;
  /** For the empty state's driver names (which CA's driver to install on this platform). */
  platform?: NodeJS.Platform;
  /** One line per event for admins (never a PIN or content): which certificates a login token carried. */
  log?: (event: string, fields?: LogFields) => void;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new AssistantError('DEVICE_TIMEOUT', `${what}长时间无响应`, { en: `${what} did not answer in time` })), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}

/** Token label, SKF device label, the CSP a Windows-store key lives behind (it names the USB key's vendor), else the store's label. */
function sourceLabel(reg: RegisteredStore, identity: KeyIdentity): string {
  const l = identity.location;
  if (l.kind === 'pkcs11' && l.tokenLabel) return l.tokenLabel;
  if (l.kind === 'skf' && l.deviceLabel) return l.deviceLabel;
  if (l.kind === 'windows' && l.provider) return l.provider;
  return reg.label;
}

type RevocationOutcome = Awaited<ReturnType<typeof certificateRevocation>>;

/** The revocation check of an identity's certificate (null when off, or when the certificate does not parse: describeIdentity says so). */
export async function identityRevocation(
  identity: KeyIdentity,
  ctx: { now: Date; anchors: ParsedCertificate[] },
  revocation: { settings: RevocationSettings; prepared: PreparedCrl[] },
): Promise<RevocationOutcome> {
  if (revocation.settings.mode === 'off') return null;
  let leaf: ParsedCertificate;
  try {
    leaf = parseCertificate(identity.certificate);
  } catch {
    return null;
  }
  const intermediates: ParsedCertificate[] = [];
  for (const der of identity.intermediates) {
    try {
      intermediates.push(parseCertificate(der));
    } catch {
      // as in describeIdentity
    }
  }
  return certificateRevocation(leaf, { now: ctx.now, anchors: ctx.anchors, intermediates }, revocation.settings, revocation.prepared);
}

export function describeIdentity(
  reg: RegisteredStore,
  identity: KeyIdentity,
  ctx: { now: Date; anchors: ParsedCertificate[]; profiles?: CaProfile[]; pin: PinStateView | null; revocation?: RevocationOutcome | null },
): CertificateView {
  const leaf = parseCertificate(identity.certificate);
  const intermediates: ParsedCertificate[] = [];
  for (const der of identity.intermediates) {
    try {
      intermediates.push(parseCertificate(der));
    } catch {
      // A broken extra certificate in a file only weakens the chain check; the leaf still shows.
    }
  }
  const report = withRevocation(inspectCertificate(leaf, { now: ctx.now, anchors: ctx.anchors, intermediates, ...(ctx.profiles ? { profiles: ctx.profiles } : {}) }), ctx.revocation ?? null);
  const uscc = report.identity.uscc;
  const analysis = uscc?.valid ? analyzeUscc(uscc.value) : null;
  // 技术信息 of the chain row says which CA certificates a login token will carry (docs/login-token.md).
  const sent = sentChainNote(chainToSend(identity.certificate, identity.intermediates, { anchors: ctx.anchors, now: ctx.now }));
  const checks = report.checks.map((c) => {
    const detail = c.id !== 'chain' ? c.detail : c.detail ? `${c.detail}；${sent.message}` : sent.message;
    const detailEn = c.id !== 'chain' ? c.detailEn ?? c.detail : c.detail ? `${c.detailEn ?? c.detail}. ${sent.messageEn}` : sent.messageEn;
    return {
      id: c.id, status: c.status, message: c.message, messageEn: c.messageEn,
      ...(c.code ? { code: c.code } : {}), ...(detail ? { detail, detailEn: detailEn ?? detail } : {}),
    };
  });
  const trusted = report.checks.some((c) => c.id === 'chain' && c.status === 'pass');
  // Without a verified chain the answer is 无法确认, never 可以登录 (the portal still checks it itself).
  const verdict = loginVerdict(report);
  const canLogin = verdict.verdict === 'usable' && uscc?.valid === true;
  // A look-alike issuer never gets a profile (report.caProfile is null), so its reminder names no CA.
  const profile = report.caProfile ? findCaProfile(report.caProfile.id, ctx.profiles ?? loadCaProfiles()) : undefined;
  const expiry = expiryNotice(new Date(report.notAfter), ctx.now, profile);
  return {
    id: `${reg.storeId}/${identity.id}`,
    source: reg.source,
    sourceLabel: sourceLabel(reg, identity),
    label: identity.label,
    subject: report.subject,
    // CA names in subject O (real CFCA certificates) are skipped: main/pki/subject-name.ts.
    enterpriseName: report.enterpriseName ?? report.subject,
    issuer: report.issuer,
    caProfile: report.caProfile,
    serialNumber: report.serialNumber,
    notBefore: report.notBefore,
    notAfter: report.notAfter,
    keyAlgorithm: report.keyAlgorithm,
    fingerprintSha256: report.fingerprintSha256,
    uscc: uscc ? { value: uscc.value, valid: uscc.valid, source: uscc.source, confidence: String(uscc.confidence) } : null,
    legalPersonKind: analysis?.orgType?.legalPersonKind ?? null,
    orgCode: report.identity.orgCode?.value ?? null,
    checks,
    trusted,
    canLogin,
    verdict: verdict.verdict === 'usable' && uscc?.valid !== true ? 'unusable' : verdict.verdict,
    verdictMessage: verdict.message,
    verdictMessageEn: verdict.messageEn,
    expiry: expiry ? { level: expiry.level, daysLeft: expiry.daysLeft, message: expiry.message, messageEn: expiry.messageEn, renewalUrl: expiry.renewal.website } : null,
    pin: ctx.pin,
  };
}

/**
 * One USB-key store per configured driver: PKCS#11 modules (`usb-<n>`) and SKF libraries for SM2
 * keys (`skf-<n>`), plus on Windows the certificate store (`windows`: CurrentUser\\My, where vendor
 * CSPs register their keys' RSA certificates), each opened through `open` (the app passes the
 * key-store worker).
 */
export function usbKeyStores(open: (spec: StoreSpec) => KeyStore, drivers: { pkcs11: string[]; skf: string[]; windowsStore?: { localMachine: boolean } | null }): RegisteredStore[] {
  const base = (p: string): string => p.split(/[\\/]/).pop() || p;
  return [
    ...drivers.pkcs11.map((module, i): RegisteredStore => ({ storeId: `usb-${i + 1}`, source: 'usb', label: base(module), store: open({ kind: 'pkcs11', module }) })),
    ...drivers.skf.map((module, i): RegisteredStore => ({ storeId: `skf-${i + 1}`, source: 'usb', label: base(module), store: open({ kind: 'skf', module }) })),
    ...(drivers.windowsStore
      ? [{ storeId: 'windows', source: 'windows', label: WINDOWS_STORE_LABEL, store: open({ kind: 'windows', localMachine: drivers.windowsStore.localMachine }) } satisfies RegisteredStore]
      : []),
  ];
}

export const WINDOWS_STORE_LABEL = 'Windows 证书存储';

export interface CertificateServiceHandle extends CertificateService {
  /** Closes every opened file store (app quit). */
  closeAll(): Promise<void>;
  /** Every store now (USB keys, Windows store, opened files): the bridge signs with the same keys. */
  stores(): RegisteredStore[];
}

export function createCertificateService(opts: CertificateServiceOptions): CertificateServiceHandle {
  const files = new Map<string, RegisteredStore>();
  let fileSeq = 0;
  const listTimeoutMs = opts.listTimeoutMs ?? 20_000;

  const stores = (): RegisteredStore[] => [...opts.usbStores(), ...files.values()];

  const findIdentity = (certificateId: string): { reg: RegisteredStore; identityId: string } => {
    const slash = certificateId.indexOf('/');
    const storeId = slash > 0 ? certificateId.slice(0, slash) : '';
    const reg = stores().find((s) => s.storeId === storeId);
    if (!reg) throw new AssistantError('NO_CERTIFICATE', '找不到该证书，USB Key 可能已拔出', { en: 'Certificate not found; the USB key may have been removed' });
    return { reg, identityId: certificateId.slice(slash + 1) };
  };

  const list = async (): Promise<CertificateListView> => {
    const now = opts.now();
    const anchors = opts.anchors();
    const out: CertificateListView = { certificates: [], problems: [] };
    await Promise.all(
      stores().map(async (reg) => {
        try {
          const identities = await withTimeout(reg.store.listIdentities(), listTimeoutMs, reg.label);
          for (const identity of identities) {
            let pin: PinStateView | null = null;
            // The Windows store cannot tell retries (the CSP says so when signing): no PIN line for it.
            if (reg.source === 'usb') pin = await withTimeout(reg.store.pinState(identity.id), listTimeoutMs, reg.label).catch(() => null);
            // Revocation (policy revocationMode): OCSP/CRL fetches carry their own 5 s timeouts; the listing bound holds too.
            const rev = opts.revocation?.();
            const revocation = rev && rev.settings.mode !== 'off'
              ? await withTimeout(identityRevocation(identity, { now, anchors }, rev), listTimeoutMs, reg.label).catch(() => revocationUnfinished(rev.settings.mode as 'prefer' | 'require'))
              : null;
            try {
              out.certificates.push(describeIdentity(reg, identity, { now, anchors, pin, revocation, ...(opts.profiles ? { profiles: opts.profiles } : {}) }));
            } catch (e) {
              out.problems.push({ source: `${reg.label} · ${identity.label}`, error: toErrorInfo(e, 'CERT_MALFORMED') });
            }
          }
        } catch (e) {
          out.problems.push({ source: reg.label, error: toErrorInfo(e, 'STORE_UNAVAILABLE') });
        }
      }),
    );
    // Nothing to show: say what is missing (driver, key, certificate) instead of a bare "no certificates".
    if (out.certificates.length === 0 && opts.probeDrivers) {
      const probes = await opts.probeDrivers().catch(() => []);
      const platform = opts.platform ?? process.platform;
      out.firstRun = firstRunState({ probes, profiles: opts.profiles ?? loadCaProfiles(), platform, windowsStore: opts.usbStores().some((s) => s.source === 'windows') });
    }
    // Usable certificates first, then by name: what the user most likely wants is on top.
    out.certificates.sort((a, b) => Number(b.canLogin) - Number(a.canLogin) || a.enterpriseName.localeCompare(b.enterpriseName, 'zh-CN') || a.id.localeCompare(b.id));
    return out;
  };

  return {
    list,
    stores,
    async openPfx(path, password) {
      for (const f of files.values()) if (f.path === path) return list();
      const store = await opts.openPkcs12(path, password);
      const fileName = path.split(/[\\/]/).pop() ?? path;
      const storeId = `file-${++fileSeq}`;
      files.set(storeId, { storeId, source: 'file', label: fileName, store, path });
      return list();
    },
    async closePfx(path) {
      for (const [id, f] of files) {
        if (f.path === path) {
          files.delete(id);
          await f.store.close().catch(() => {});
          return true;
        }
      }
      return false;
    },
    async removeFile(certificateId) {
      const { reg } = findIdentity(certificateId);
      // Only a file the user opened leaves the list; a USB key is never touched from here.
      if (reg.source !== 'file' || !reg.path) {
        throw new AssistantError('CERT_NOT_REMOVABLE', 'USB Key 中的证书不能从列表中移除；不用时拔出 USB Key 即可', { en: 'Certificates on a USB key cannot be removed from the list; unplug the key instead' });
      }
      files.delete(reg.storeId);
      await reg.store.close().catch(() => {});
      return reg.path;
    },
    async pinState(certificateId) {
      const { reg, identityId } = findIdentity(certificateId);
      return reg.store.pinState(identityId);
    },
    async createToken({ certificateId, origin, challenge, pin }) {
      const { reg, identityId } = findIdentity(certificateId);
      const now = opts.now();
      // The path validated here goes in the token (its CA certificates below the root), else the store's.
      const created = await createLoginToken({ origin, challenge, store: reg.store, identityId, pin, format: 'json', appVersion: opts.appVersion, now, anchors: opts.anchors() });
      opts.log?.('token.chain', { origin, source: created.chain.source, intermediates: created.chain.certificates.length, note: sentChainNote(created.chain).messageEn });
      if (opts.recordSignature) {
        try {
          const der = Buffer.from((JSON.parse(created.token) as { certificate: string }).certificate, 'base64');
          const report = inspectCertificate(parseCertificate(der), { now, anchors: [], intermediates: [], ...(opts.profiles ? { profiles: opts.profiles } : {}) });
          await opts.recordSignature(signatureRecord({
            certificate: { fingerprintSha256: report.fingerprintSha256, enterpriseName: report.enterpriseName, uscc: report.identity.uscc?.valid ? report.identity.uscc.value : null },
            origin, protocol: 'cert-login:1', operation: 'login', via: 'app', content: created.tbs, now,
          }));
        } catch (e) {
          opts.onRecordFailed?.(toErrorInfo(e, 'SIGNATURE_LOG_IO').code);
        }
      }
      return created.token;
    },
    async closeAll() {
      const all = [...files.values()];
      files.clear();
      await Promise.all(all.map((f) => f.store.close().catch(() => {})));
    },
  };
}
