/**
 * Effective settings = defaults < machine policy (administrator) < user settings, as pure
 * functions over already-read documents. A user may only choose presentation (language, which
 * allowed portal site opens first); portal origins, signing origins, driver modules, trust
 * anchors and clock skew belong to the administrator. A bad layer is rejected as a whole with
 * POLICY_INVALID (JSON path in details) and the layers below it stay in force.
 */
import { createPublicKey } from 'node:crypto';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { AssistantError, type ErrorInfo } from '../errors.ts';
import { LOOPBACK_HOSTNAMES, parseOriginRule, parsePortalUrl, type OriginRule } from '../../common/portal-origins.ts';
import { ADMIN_ONLY_KEYS, MACHINE_ONLY_KEYS, POLICY_SCHEMA, USER_SETTABLE_KEYS } from './schema.ts';
import { registryDocument, registryInvalid, type RegistryHive, type RegistryLayerInput } from './registry.ts';

export type Language = 'zh-CN' | 'en';

export interface PortalSite {
  /** Normalised origin rule, e.g. `https://www.hbzwfw.gov.cn` or `https://*.example.gov.cn`. */
  origin: string;
  name?: string;
  nameEn?: string;
  /** confirmed: known to be the portal; seen: observed on the portal's site list, not configured by anyone; configured: from policy. */
  status: 'confirmed' | 'seen' | 'configured';
}

export interface Policy {
  /** The page the embedded portal opens first. */
  portalHome: string;
  /** Origins the embedded portal may navigate to. */
  portalOrigins: PortalSite[];
  /** Origins that may call `certAssistant.authenticate` (normalised). */
  allowedOrigins: string[];
  /** Extra PKCS#11 module paths (absolute), besides the CA profiles' driver names. */
  pkcs11Modules: string[];
  /** Extra SKF (GM/T 0016) library paths (absolute), besides the CA profiles' `skfModules`. */
  skfModules: string[];
  /** Extra trust-anchor folders or files (absolute), besides the bundled certs/trust/. */
  trustAnchorDirs: string[];
  /** PEM public key that signs offline service-guide bundles; null = only the bundled guide. */
  guideBundlePublicKey: string | null;
  /** Intranet update server (generic provider); null = the app never checks for updates. */
  updateUrl: string | null;
  updateChannel: 'latest' | 'beta';
  /** false = no update checks even with updateUrl (the admin deploys new versions). */
  updatesEnabled: boolean;
  /** Tray notifications for certificates about to expire (30/7/1 days). */
  expiryReminders: boolean;
  clockSkewSeconds: number;
  language: Language;
  /** Windows: also offer certificates in LocalMachine\My (read-only), besides CurrentUser\My. */
  windowsStoreLocalMachine: boolean;
  /**
   * Revocation of the certificates the app and `inspect` judge: off = not checked; prefer = checked
   * where a source answers (revoked = 不能登录); require = every link needs an answer, else 无法确认.
   */
  revocationMode: 'off' | 'prefer' | 'require';
  /** CRL files or folders (absolute), e.g. a CA's CRLs the administrator mirrors. */
  revocationCrls: string[];
  /** With revocationMode on: ask the certificates' own OCSP responders and CRL distribution points (5 s timeouts). */
  revocationNetwork: boolean;
  /** Serve the CA assistants' loopback protocols (main/bridge) to the signing origins. */
  bridgeEnabled: boolean;
  /** Which of them: bjca (XTXApp ws 21051 / wss 21061), hebca (P11 17212), jit (PNXClient http 10086 / https 10087; opt-in). */
  bridgeProtocols: Array<'bjca' | 'hebca' | 'jit'>;
  /**
   * A PIN the page passes (SOF_Login, HEBCA Login) may unlock the key; the per-signature consent
   * still applies. Machine policy only (MACHINE_ONLY_KEYS); default false: page PINs are dropped unread.
   */
  bridgeAcceptPagePin: boolean;
}

/** machine: the policy file (%ProgramData% / /etc); machine-registry / user-registry: Group Policy (HKLM / HKCU). */
export type PolicyLayer = 'defaults' | 'machine' | 'user' | 'machine-registry' | 'user-registry';

/** Where an effective value came from: `registry:HKLM`, `file:<path>`, `registry:HKCU`, `user`, `default`. */
export type PolicyValueSource = 'registry:HKLM' | 'registry:HKCU' | `file:${string}` | 'user' | 'default';

export interface PolicySourceReport {
  layer: PolicyLayer;
  path?: string;
  /** applied: used; absent: no file; invalid / unreadable / unsafe: ignored (see error). */
  status: 'applied' | 'absent' | 'invalid' | 'unreadable' | 'unsafe';
  /** Keys this layer set. */
  keys?: string[];
  /** User-settings keys that only an administrator may set (ignored). */
  ignoredKeys?: string[];
  /** Registry values dropped as invalid (each also in problems). */
  invalidKeys?: string[];
  error?: ErrorInfo;
}

export interface PolicyResult {
  policy: Policy;
  sources: PolicySourceReport[];
  /** Everything worth telling an admin: invalid layers and ignored keys. */
  problems: ErrorInfo[];
  /** Which layer each effective value came from. */
  valueSources: Record<keyof Policy, PolicyValueSource>;
}

/** What a loader hands over for one layer. */
export type LayerInput =
  | { status: 'absent'; path?: string }
  | { status: 'unreadable' | 'unsafe' | 'invalid'; path?: string; error: ErrorInfo }
  | { status: 'read'; path?: string; document: unknown };

export const PORTAL_HOME = 'https://www.hbzwfw.gov.cn';

export const DEFAULT_PORTAL_SITES: readonly PortalSite[] = [
  { origin: 'https://www.hbzwfw.gov.cn', name: '河北政务服务网', nameEn: 'Hebei Government Service Portal', status: 'confirmed' },
  { origin: 'https://hd.hbzwfw.gov.cn', name: '邯郸市', nameEn: 'Handan', status: 'seen' },
  { origin: 'https://ts.hbzwfw.gov.cn', name: '唐山市', nameEn: 'Tangshan', status: 'seen' },
];

export function defaultPolicy(): Policy {
  return {
    portalHome: PORTAL_HOME,
    portalOrigins: DEFAULT_PORTAL_SITES.map((s) => ({ ...s })),
    allowedOrigins: DEFAULT_PORTAL_SITES.map((s) => s.origin),
    pkcs11Modules: [],
    skfModules: [],
    trustAnchorDirs: [],
    guideBundlePublicKey: null,
    updateUrl: null,
    updateChannel: 'latest',
    updatesEnabled: true,
    expiryReminders: true,
    clockSkewSeconds: 300,
    language: 'zh-CN',
    windowsStoreLocalMachine: false,
    revocationMode: 'off',
    revocationCrls: [],
    revocationNetwork: true,
    bridgeEnabled: true,
    bridgeProtocols: ['bjca', 'hebca'],
    bridgeAcceptPagePin: false,
  };
}

let validator: ValidateFunction | undefined;
function validateSchema(doc: unknown): ErrorObject | null {
  validator ??= new Ajv({ allErrors: false, strict: true, allowUnionTypes: true }).compile(POLICY_SCHEMA);
  return validator(doc) ? null : (validator.errors?.[0] ?? null);
}

export function policyInvalid(file: string | undefined, jsonPath: string, reason: string, reasonZh: string): AssistantError {
  const where = file ? `${file} ` : '';
  return new AssistantError('POLICY_INVALID', `策略文件无效，已忽略（${where}${jsonPath || '/'}：${reasonZh}）`, {
    en: `policy file ignored: ${where}${jsonPath || '/'}: ${reason}`,
    details: { ...(file ? { file } : {}), path: jsonPath || '/', reason },
  });
}

function ajvPath(e: ErrorObject): string {
  const extra = e.keyword === 'additionalProperties' ? `/${String((e.params as { additionalProperty?: string }).additionalProperty)}` : '';
  return `${e.instancePath}${extra}`;
}

const AJV_ZH: Record<string, string> = {
  additionalProperties: '不认识的键',
  type: '类型不对',
  required: '缺少必填项',
  enum: '取值不在允许范围内',
  const: '取值不对',
  minimum: '数值太小',
  maximum: '数值太大',
  maxItems: '条目太多',
  maxLength: '太长',
  minLength: '不能为空',
  anyOf: '格式不对',
};

export function originRuleText(r: OriginRule): string {
  return `${r.scheme}//${r.wildcard ? '*.' : ''}${r.host}${r.port ? `:${r.port}` : ''}`;
}

function isAbsoluteFor(platform: NodeJS.Platform, p: string): boolean {
  if (p.includes('\0')) return false;
  return platform === 'win32' ? /^(?:[a-zA-Z]:[\\/]|\\\\[^\\]+\\[^\\]+)/.test(p) : path.posix.isAbsolute(p);
}

type PartialPolicy = Partial<Policy>;

/** Schema + meaning checks of one document; returns the keys it sets, already normalised. */
export function parsePolicyDocument(doc: unknown, opts: { platform: NodeJS.Platform; file?: string }): PartialPolicy {
  const err = validateSchema(doc);
  if (err) throw policyInvalid(opts.file, ajvPath(err), `${err.keyword}: ${err.message ?? ''}`.trim(), AJV_ZH[err.keyword] ?? '格式不对');
  const d = doc as Record<string, unknown>;
  const out: PartialPolicy = {};
  const origin = (value: string, at: string): string => {
    const r = parseOriginRule(value);
    if (!r) throw policyInvalid(opts.file, at, 'not an origin (https://host[:port], *.host allowed; http only for loopback)', '不是有效的来源（https://主机[:端口]；仅本机地址可用 http）');
    return originRuleText(r);
  };
  if (Array.isArray(d['portalOrigins'])) {
    out.portalOrigins = (d['portalOrigins'] as Array<string | { origin: string; name?: string; nameEn?: string }>).map((item, i) => {
      if (typeof item === 'string') return { origin: origin(item, `/portalOrigins/${i}`), status: 'configured' as const };
      return {
        origin: origin(item.origin, `/portalOrigins/${i}/origin`),
        ...(item.name !== undefined ? { name: item.name } : {}),
        ...(item.nameEn !== undefined ? { nameEn: item.nameEn } : {}),
        status: 'configured' as const,
      };
    });
  }
  if (Array.isArray(d['allowedOrigins'])) {
    out.allowedOrigins = (d['allowedOrigins'] as string[]).map((o, i) => origin(o, `/allowedOrigins/${i}`));
  }
  for (const key of ['pkcs11Modules', 'skfModules', 'trustAnchorDirs', 'revocationCrls'] as const) {
    const list = d[key];
    if (!Array.isArray(list)) continue;
    out[key] = (list as string[]).map((p, i) => {
      if (!isAbsoluteFor(opts.platform, p)) throw policyInvalid(opts.file, `/${key}/${i}`, 'must be an absolute path', '必须是绝对路径');
      return p;
    });
  }
  if (typeof d['portalHome'] === 'string') {
    const u = parsePortalUrl(d['portalHome']);
    if (!u || (u.protocol === 'http:' && !LOOPBACK_HOSTNAMES.has(u.hostname))) {
      throw policyInvalid(opts.file, '/portalHome', 'not an https URL', '不是有效的 https 网址');
    }
    out.portalHome = u.href;
  }
  if (d['guideBundlePublicKey'] !== undefined) {
    const pem = d['guideBundlePublicKey'] as string | null;
    if (pem !== null) {
      try {
        createPublicKey(pem);
      } catch {
        throw policyInvalid(opts.file, '/guideBundlePublicKey', 'not a PEM public key', '不是 PEM 格式的公钥');
      }
    }
    out.guideBundlePublicKey = pem;
  }
  if (typeof d['updateUrl'] === 'string') {
    const u = parsePortalUrl(d['updateUrl']);
    if (!u || (u.protocol === 'http:' && !LOOPBACK_HOSTNAMES.has(u.hostname))) {
      throw policyInvalid(opts.file, '/updateUrl', 'not an https URL', '不是有效的 https 网址');
    }
    out.updateUrl = u.href;
  }
  if (d['updateChannel'] === 'latest' || d['updateChannel'] === 'beta') out.updateChannel = d['updateChannel'];
  if (typeof d['updatesEnabled'] === 'boolean') out.updatesEnabled = d['updatesEnabled'];
  if (typeof d['expiryReminders'] === 'boolean') out.expiryReminders = d['expiryReminders'];
  if (typeof d['clockSkewSeconds'] === 'number') out.clockSkewSeconds = d['clockSkewSeconds'];
  if (d['language'] === 'zh-CN' || d['language'] === 'en') out.language = d['language'];
  if (typeof d['windowsStoreLocalMachine'] === 'boolean') out.windowsStoreLocalMachine = d['windowsStoreLocalMachine'];
  if (d['revocationMode'] === 'off' || d['revocationMode'] === 'prefer' || d['revocationMode'] === 'require') out.revocationMode = d['revocationMode'];
  if (typeof d['revocationNetwork'] === 'boolean') out.revocationNetwork = d['revocationNetwork'];
  if (typeof d['bridgeEnabled'] === 'boolean') out.bridgeEnabled = d['bridgeEnabled'];
  if (Array.isArray(d['bridgeProtocols'])) out.bridgeProtocols = [...(d['bridgeProtocols'] as Array<'bjca' | 'hebca' | 'jit'>)];
  if (typeof d['bridgeAcceptPagePin'] === 'boolean') out.bridgeAcceptPagePin = d['bridgeAcceptPagePin'];
  return out;
}

function homeAllowed(home: string, sites: PortalSite[]): boolean {
  const u = parsePortalUrl(home);
  if (!u) return false;
  return sites.some((s) => {
    const r = parseOriginRule(s.origin);
    if (!r || u.protocol !== r.scheme || u.port !== r.port) return false;
    return r.wildcard ? u.hostname.endsWith(`.${r.host}`) : u.hostname === r.host;
  });
}

/** One administrator layer, parsed: the keys it sets (normalised) or why it is ignored. */
interface AdminLayer { source: PolicyValueSource; part: PartialPolicy; hive?: RegistryHive }

function parseFileLayer(m: LayerInput, platform: NodeJS.Platform, sources: PolicySourceReport[], problems: ErrorInfo[]): AdminLayer | null {
  const withPath = m.path !== undefined ? { path: m.path } : {};
  if (m.status !== 'read') {
    sources.push({ layer: 'machine', ...withPath, status: m.status, ...(m.status !== 'absent' ? { error: m.error } : {}) });
    if (m.status !== 'absent') problems.push(m.error);
    return null;
  }
  try {
    const part = parsePolicyDocument(m.document, { platform, ...(m.path !== undefined ? { file: m.path } : {}) });
    const home = part.portalHome ?? PORTAL_HOME;
    const sites = part.portalOrigins ?? defaultPolicy().portalOrigins;
    if (!homeAllowed(home, sites)) throw policyInvalid(m.path, '/portalHome', 'portalHome is not within portalOrigins', '首页不在 portalOrigins 之内');
    sources.push({ layer: 'machine', ...withPath, status: 'applied', keys: Object.keys(part) });
    return { source: `file:${m.path ?? '(policy file)'}`, part };
  } catch (e) {
    const info = e instanceof AssistantError ? e.toJSON() : policyInvalid(m.path, '/', 'unreadable', '无法解析').toJSON();
    problems.push(info);
    sources.push({ layer: 'machine', ...withPath, status: 'invalid', error: info });
    return null;
  }
}

/** Group Policy values: each value stands alone, so one bad value costs only its own key. */
function parseRegistryLayer(r: RegistryLayerInput, hive: RegistryHive, platform: NodeJS.Platform, sources: PolicySourceReport[], problems: ErrorInfo[]): AdminLayer | null {
  const layer: PolicyLayer = hive === 'HKLM' ? 'machine-registry' : 'user-registry';
  const path = `${hive}\\SOFTWARE\\Policies\\CertAssistant`;
  if (r.status !== 'read') {
    sources.push({ layer, path, status: r.status, ...(r.status === 'unreadable' ? { error: r.error } : {}) });
    if (r.status === 'unreadable') problems.push(r.error);
    return null;
  }
  const { document, problems: decodeProblems } = registryDocument(r.values, hive);
  const invalid: string[] = decodeProblems.map((p) => String(p.details?.['key'] ?? ''));
  problems.push(...decodeProblems);
  const part: PartialPolicy = {};
  for (const [key, value] of Object.entries(document)) {
    if (hive === 'HKCU' && (MACHINE_ONLY_KEYS as readonly string[]).includes(key)) {
      // User Group Policy follows the user, not the computer: the machine decides this one.
      problems.push(registryInvalid(hive, key, 'machine policy only (HKLM or the machine policy file)', '只能在计算机策略（HKLM 或本机策略文件）中设置').toJSON());
      invalid.push(key);
      continue;
    }
    try {
      Object.assign(part, parsePolicyDocument({ [key]: value }, { platform }));
    } catch (e) {
      const d = e instanceof AssistantError ? e.details : undefined;
      const reason = String(d?.['reason'] ?? 'invalid');
      const at = String(d?.['path'] ?? `/${key}`);
      const zh = e instanceof AssistantError ? (/（[^：]*：(.*)）/.exec(e.message)?.[1] ?? '格式不对') : '格式不对';
      problems.push(registryInvalid(hive, key, reason, zh, { path: at }).toJSON());
      invalid.push(key);
    }
  }
  sources.push({ layer, path, status: 'applied', keys: Object.keys(part), ...(invalid.length ? { invalidKeys: invalid } : {}) });
  return { source: `registry:${hive}`, part, hive };
}

function sameSites(a: PortalSite[], b: PortalSite[]): boolean {
  return a.length === b.length && a.every((s, i) => s.origin === b[i]?.origin);
}

/**
 * Merges the layers, strongest first: HKLM policy, the machine policy file, HKCU policy (all three
 * the administrator's: Group Policy keys are not writable by users), then user settings (only
 * USER_SETTABLE_KEYS), then defaults. Each key comes from the strongest layer that sets it; lists
 * are replaced wholesale. When no administrator layer sets allowedOrigins, they follow the
 * effective portalOrigins. portalHome must lie within the effective portalOrigins.
 */
export function resolvePolicy(input: { machine: LayerInput; user: LayerInput; platform: NodeJS.Platform; registry?: { machine?: RegistryLayerInput; user?: RegistryLayerInput } }): PolicyResult {
  const defaults = defaultPolicy();
  const sources: PolicySourceReport[] = [{ layer: 'defaults', status: 'applied' }];
  const problems: ErrorInfo[] = [];
  const admin: AdminLayer[] = [];
  const file = parseFileLayer(input.machine, input.platform, sources, problems);
  const userSources: PolicySourceReport[] = [];
  const registrySources: PolicySourceReport[] = [];
  const hklm = input.registry?.machine ? parseRegistryLayer(input.registry.machine, 'HKLM', input.platform, registrySources, problems) : null;
  const hkcu = input.registry?.user ? parseRegistryLayer(input.registry.user, 'HKCU', input.platform, registrySources, problems) : null;
  for (const l of [hklm, file, hkcu]) if (l) admin.push(l);

  const policy = defaultPolicy();
  const valueSources = Object.fromEntries(Object.keys(defaults).map((k) => [k, 'default'])) as Record<keyof Policy, PolicyValueSource>;
  const take = <K extends keyof Policy>(key: K): void => {
    for (const l of admin) {
      if (l.part[key] === undefined) continue;
      policy[key] = l.part[key] as Policy[K];
      valueSources[key] = l.source;
      return;
    }
  };
  for (const key of Object.keys(defaults) as Array<keyof Policy>) if (key !== 'portalHome') take(key);
  if (valueSources.allowedOrigins === 'default' && valueSources.portalOrigins !== 'default') {
    policy.allowedOrigins = policy.portalOrigins.map((s) => s.origin);
    valueSources.allowedOrigins = valueSources.portalOrigins;
  }
  // portalHome: the strongest administrator value that lies within the effective portal sites.
  for (const l of admin) {
    const home = l.part.portalHome;
    if (home === undefined) continue;
    if (homeAllowed(home, policy.portalOrigins)) {
      policy.portalHome = home;
      valueSources.portalHome = l.source;
      break;
    }
    const msg = 'portalHome is not within the effective portalOrigins';
    problems.push(l.hive ? registryInvalid(l.hive, 'portalHome', msg, '首页不在生效的 portalOrigins 之内').toJSON()
      : policyInvalid(l.source.slice('file:'.length), '/portalHome', msg, '首页不在生效的 portalOrigins 之内').toJSON());
  }

  const u = input.user;
  const withPath = u.path !== undefined ? { path: u.path } : {};
  const withFile = u.path !== undefined ? { file: u.path } : {};
  if (u.status === 'read') {
    try {
      // Administrator-only keys are dropped (and reported) before validation, so they cannot spoil the rest.
      const isAdminKey = (k: string): boolean => (ADMIN_ONLY_KEYS as readonly string[]).includes(k);
      const raw = u.document;
      const isObject = raw !== null && typeof raw === 'object' && !Array.isArray(raw);
      const ignoredKeys = isObject ? Object.keys(raw).filter(isAdminKey) : [];
      const doc = isObject ? Object.fromEntries(Object.entries(raw).filter(([k]) => !isAdminKey(k))) : raw;
      const part = parsePolicyDocument(doc, { platform: input.platform, ...withFile });
      const applied: string[] = [];
      for (const key of USER_SETTABLE_KEYS) {
        if (part[key] === undefined) continue;
        if (valueSources[key] !== 'default') continue; // the administrator decided this one
        if (key === 'portalHome' && !homeAllowed(part.portalHome ?? '', policy.portalOrigins)) {
          problems.push(new AssistantError('POLICY_USER_KEY_IGNORED', '用户设置的门户首页不在管理员允许的站点之内，已忽略', {
            en: 'the portalHome in user settings is outside the allowed portal origins; ignored',
            details: { ...withFile, path: '/portalHome', keys: ['portalHome'] },
          }).toJSON());
          continue;
        }
        Object.assign(policy, { [key]: part[key] });
        valueSources[key] = 'user';
        applied.push(key);
      }
      if (ignoredKeys.length) {
        problems.push(new AssistantError('POLICY_USER_KEY_IGNORED', `用户设置中的以下项只能由管理员在策略中设置，已忽略：${ignoredKeys.join('、')}`, {
          en: `user settings may not set these (administrator policy only); ignored: ${ignoredKeys.join(', ')}`,
          details: { ...withFile, keys: ignoredKeys },
        }).toJSON());
      }
      userSources.push({ layer: 'user', ...withPath, status: 'applied', keys: applied, ...(ignoredKeys.length ? { ignoredKeys } : {}) });
    } catch (e) {
      const info = e instanceof AssistantError ? e.toJSON() : policyInvalid(u.path, '/', 'unreadable', '无法解析').toJSON();
      problems.push(info);
      userSources.push({ layer: 'user', ...withPath, status: 'invalid', error: info });
    }
  } else {
    userSources.push({ layer: 'user', ...withPath, status: u.status, ...(u.status !== 'absent' ? { error: u.error } : {}) });
    if (u.status !== 'absent') problems.push(u.error);
  }

  // No administrator or user home fits the effective sites (e.g. Group Policy set portalOrigins
  // alone): the first exact portal site is the safe home; say so.
  if (valueSources.portalHome === 'default' && !homeAllowed(policy.portalHome, policy.portalOrigins)) {
    const first = policy.portalOrigins.find((s) => !s.origin.includes('*'));
    if (first && !sameSites(policy.portalOrigins, defaults.portalOrigins)) {
      policy.portalHome = `${first.origin}/`;
      valueSources.portalHome = valueSources.portalOrigins;
      problems.push(new AssistantError('POLICY_INVALID', `默认门户首页不在策略的 portalOrigins 之内，改用 ${policy.portalHome}`, {
        en: `the default portalHome is outside the policy's portalOrigins; using ${policy.portalHome}`, details: { key: 'portalHome', path: '/portalHome', reason: 'default portalHome outside portalOrigins' },
      }).toJSON());
    }
  }
  sources.push(...userSources, ...registrySources);
  return { policy, sources, problems, valueSources };
}
