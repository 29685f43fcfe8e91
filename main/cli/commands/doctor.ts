/**
 * `cert-assistant doctor`: the machine facts an IT admin needs before and after deploying —
 * runtime, which policy is in force and whether it is valid, trust anchors, USB-key drivers
 * (present? loadable?), HEBCA's local middleware port, and clock sanity.
 */
import type { DiagnosticStatus } from '../../../common/ipc-contract.ts';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AssistantError, toErrorInfo, type ErrorInfo } from '../../errors.ts';
import { defaultLibraryDirs, profileDriverEntries, resolveDriverName } from '../../keystores/driver-paths.ts';
import { PE_MACHINE_NAMES, peMachineOf, readPeFile, type PeInfo, type PeMachine } from '../../keystores/pe.ts';
import type { KeyStoreWorkerClient } from '../../keystores/worker/client.ts';
import { loadPolicy, type PolicyResult } from '../../policy/index.ts';
import { parseCertificate } from '../../pki/certificate.ts';
import { EXIT_FAIL, EXIT_OK, EXIT_USAGE, parseCommand, parseTimeoutMs, timeoutUsage, writeJson, type CliIO } from '../io.ts';

import { adminChecks, CA_ASSISTANT_PORTS, probeOurBridge, probePortalHttp, renderDoctorHtml } from './doctor-admin.ts';
import { LOOPBACK_IPV4 } from '../../../common/portal-origins.ts';
/** `fix`: what to do, for the help desk (zh-CN; `fixEn` its translation). */
export interface DoctorCheck { id: string; status: DiagnosticStatus; message: string; messageEn?: string; fix?: string; fixEn?: string; code?: string }
export interface ModuleFact {
  name: string;
  /** `policy` or `profile:<id>` */
  source: string;
  path: string | null;
  exists: boolean;
  loads?: boolean;
  slots?: number;
  tokens?: number;
  /** SKF libraries: devices (USB keys) present. */
  devices?: number;
  /** Windows: the machine the DLL is built for (its PE header). */
  machine?: PeMachine;
  library?: string;
  error?: ErrorInfo;
}
export interface DoctorReport { ok: boolean; checks: DoctorCheck[]; facts: Record<string, unknown> }

export const HEBCA_MIDDLEWARE_PORT = 17212;
/** Before this the clock is surely wrong: the app did not exist yet. */
export const EARLIEST_PLAUSIBLE_TIME = Date.parse('2025-06-01T00:00:00Z');
export const LATEST_PLAUSIBLE_TIME = Date.parse('2100-01-01T00:00:00Z');

export interface DoctorDeps {
  now: Date;
  platform: NodeJS.Platform;
  arch: string;
  osRelease: string;
  versions: NodeJS.ProcessVersions;
  env: NodeJS.ProcessEnv;
  policy: PolicyResult;
  appVersion: string | null;
  /** Driver names per CA profile for this platform; throws when the profile data is unusable. */
  profileModules: () => Promise<{ profiles: number; modules: { profile: string; name: string }[] }>;
  /** Where bare driver names are looked for. */
  libraryDirs: string[];
  exists: (p: string) => boolean;
  /** Loads a module in the key-store worker; absent when no worker is available. */
  describeModule?: (modulePath: string) => Promise<{ library: string; slots: number; tokens: number }>;
  /** SKF library names per CA profile for this platform; absent → no `skf-modules` check unless policy names some. */
  profileSkfModules?: () => Promise<{ profile: string; name: string }[]>;
  /** Loads an SKF library in the key-store worker (`skf.describe`). */
  describeSkf?: (libraryPath: string) => Promise<{ devices: number }>;
  /** Throws AssistantError when the module path is not safe to load. */
  checkModulePath?: (p: string) => string;
  /** Windows: a driver DLL's PE header (null when it is not a PE image). */
  driverMachine?: (p: string) => PeInfo | null;
  trustAnchors: (paths: string[]) => Promise<{ anchors: { subject: string; notAfter: string; fingerprintSha256: string }[]; errors: ErrorInfo[] }>;
  probePort: (host: string, port: number, timeoutMs: number) => Promise<boolean>;
  hebcaPort?: number;
}

/** Connects with a short timeout; true when something accepts on host:port. */
export function probeTcpPort(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (v: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Resolves each wanted driver once (policy first), checks its architecture and path, and loads it when a describe call is given. */
async function examineDrivers(wanted: { name: string; source: string }[], deps: DoctorDeps, describe: ((p: string) => Promise<Partial<ModuleFact>>) | undefined): Promise<ModuleFact[]> {
  const facts: ModuleFact[] = [];
  const seen = new Set<string>();
  for (const w of wanted) {
    const resolved = resolveDriverName(w.name, deps);
    const key = resolved ?? `${w.source}:${w.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const fact: ModuleFact = { name: w.name, source: w.source, path: resolved, exists: resolved !== null };
    if (resolved) {
      try {
        checkDriverMachine(fact, resolved, deps);
        deps.checkModulePath?.(resolved);
        if (describe) Object.assign(fact, { loads: true, ...(await describe(resolved)) });
      } catch (e) {
        fact.loads = false;
        fact.error = toErrorInfo(e, 'MODULE_LOAD_FAILED');
      }
    }
    facts.push(fact);
  }
  return facts;
}

/** What the pkcs11-modules and skf-modules checks say; the verdict rules are one (reportDrivers). */
interface DriverWording {
  id: string;
  policyProblem: [zh: string, en: string];
  broken: (bad: ModuleFact[]) => [zh: string, en: string];
  none: (profilesOk: boolean) => [status: DiagnosticStatus, zh: string, en: string];
  present: (here: ModuleFact[], loaded: boolean) => [zh: string, en: string];
}

const PKCS11_WORDING: DriverWording = {
  id: 'pkcs11-modules',
  policyProblem: ['策略中配置的 USB Key 驱动有问题：', 'PKCS#11 modules from policy missing or not loadable: '],
  broken: (bad) => [`以下 USB Key 驱动无法加载：${bad.map((m) => `${m.path}（${m.error?.code ?? ''}）`).join('、')}`, `PKCS#11 modules that do not load: ${bad.map((m) => m.path).join(', ')}`],
  none: (profilesOk) => ['warn', profilesOk ? '本机未发现已登记的 USB Key 驱动（仅可使用 .pfx 证书文件）' : '无法确定 USB Key 驱动', 'no registered PKCS#11 module found on this machine (only .pfx files can be used)'],
  present: (here, loaded) => [`USB Key 驱动${loaded ? '可加载' : '存在'}：${here.map((m) => m.path).join('、')}`, `PKCS#11 modules ${loaded ? 'load' : 'present'}: ${here.map((m) => m.path).join(', ')}`],
};

const SKF_WORDING: DriverWording = {
  id: 'skf-modules',
  policyProblem: ['策略中配置的国密 SKF 驱动有问题：', 'SKF libraries from policy missing or not loadable: '],
  broken: (bad) => [`以下国密 SKF 驱动无法加载：${bad.map((m) => `${m.path}（${m.error?.code ?? ''}）`).join('、')}`, `SKF libraries that do not load: ${bad.map((m) => `${m.path} (${m.error?.code ?? ''})`).join(', ')}`],
  none: () => ['pass', '本机未发现已登记的国密 SKF 驱动（SM2 USB Key 需要时，由管理员在策略 skfModules 中配置）',
    'no registered SKF library found on this machine (administrators name one in the policy key skfModules when SM2 USB keys need it)'],
  present: (here, loaded) => [`国密 SKF 驱动${loaded ? '可加载' : '存在'}：${here.map((m) => `${m.path}${m.devices !== undefined ? `（${m.devices} 个 USB Key）` : ''}`).join('、')}`,
    `SKF libraries ${loaded ? 'load' : 'present'}: ${here.map((m) => `${m.path}${m.devices !== undefined ? ` (${m.devices} keys)` : ''}`).join(', ')}`],
};

/** A policy driver that is missing or does not load fails; another that does not load warns; none found is the kind's own verdict. */
function reportDrivers(drivers: ModuleFact[], wording: DriverWording, loaded: boolean, profilesOk: boolean, add: (id: string, status: DiagnosticStatus, message: string, messageEn?: string) => void): void {
  const missingPolicy = drivers.filter((m) => m.source === 'policy' && !m.exists);
  const broken = drivers.filter((m) => m.exists && m.loads === false);
  const present = drivers.filter((m) => m.exists);
  if (missingPolicy.length || broken.some((m) => m.source === 'policy')) {
    const badPolicy = broken.filter((m) => m.source === 'policy');
    const names = [...missingPolicy.map((m) => `${m.name}（不存在）`), ...badPolicy.map((m) => `${m.name}（${m.error?.code ?? '无法加载'}）`)];
    const namesEn = [...missingPolicy.map((m) => `${m.name} (missing)`), ...badPolicy.map((m) => `${m.name} (${m.error?.code ?? 'does not load'})`)];
    add(wording.id, 'fail', wording.policyProblem[0] + names.join('、'), wording.policyProblem[1] + namesEn.join(', '));
  } else if (broken.length) {
    add(wording.id, 'warn', ...wording.broken(broken));
  } else if (present.length === 0) {
    add(wording.id, ...wording.none(profilesOk));
  } else {
    add(wording.id, 'pass', ...wording.present(present, loaded));
  }
}

/**
 * Windows: a driver built for another architecture than this process cannot load — the classic
 * "USB Key 插上没反应" (a 32-bit vendor DLL beside a 64-bit app). Read before loading, so the
 * report says why instead of the loader's "not a valid Win32 application".
 */
function checkDriverMachine(fact: ModuleFact, p: string, deps: DoctorDeps): void {
  if (deps.platform !== 'win32' || !deps.driverMachine) return;
  const pe = deps.driverMachine(p);
  if (!pe) return; // not a PE image: loading it says so
  fact.machine = pe.machine;
  const want = peMachineOf(deps.arch);
  if (pe.machine === want) return;
  throw new AssistantError('DRIVER_ARCH_MISMATCH',
    `驱动 ${p} 是 ${PE_MACHINE_NAMES[pe.machine]} 版本，证书助手是 ${PE_MACHINE_NAMES[want]} 程序，无法加载（USB Key 插上没反应的常见原因）：请安装发证机构提供的 ${PE_MACHINE_NAMES[want]} 驱动`,
    { en: `driver ${p} is built for ${pe.machine}, this process is ${want}: it cannot load; install the CA's ${want} driver`, details: { module: p, driver: pe.machine, process: want } });
}

export async function diagnose(deps: DoctorDeps): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const facts: Record<string, unknown> = {};
  const add = (id: string, status: DiagnosticStatus, message: string, messageEn?: string): void => {
    checks.push({ id, status, message, ...(messageEn ? { messageEn } : {}) });
  };

  // Runtime.
  const electron = deps.versions['electron'] ?? null;
  facts['app'] = { version: deps.appVersion };
  facts['os'] = { platform: deps.platform, arch: deps.arch, release: deps.osRelease };
  facts['runtime'] = { node: deps.versions.node, electron, chrome: deps.versions['chrome'] ?? null };
  add('runtime', 'pass', `${deps.platform}/${deps.arch}，Node ${deps.versions.node}${electron ? `，Electron ${electron}` : '（命令行，未在 Electron 中运行）'}`,
    `${deps.platform}/${deps.arch}, Node ${deps.versions.node}${electron ? `, Electron ${electron}` : ' (CLI, not inside Electron)'}`);

  // Policy.
  const pol = deps.policy;
  facts['policy'] = { sources: pol.sources, effective: pol.policy };
  const machine = pol.sources.find((s) => s.layer === 'machine');
  if (!machine || machine.status === 'absent') {
    add('policy.machine', 'pass', `未找到本机策略${machine?.path ? `（${machine.path}）` : ''}，使用默认设置`, `no machine policy${machine?.path ? ` at ${machine.path}` : ''}; defaults in force`);
  } else if (machine.status === 'applied') {
    add('policy.machine', 'pass', `本机策略已生效：${machine.path ?? ''}（${(machine.keys ?? []).join(', ') || '无设置项'}）`, `machine policy applied: ${machine.path ?? ''}`);
  } else {
    add('policy.machine', 'fail', `${machine.error?.message ?? '本机策略无效'}；默认设置仍然生效`, `${machine.error?.messageEn ?? 'machine policy invalid'}; defaults stay in force`);
  }
  const user = pol.sources.find((s) => s.layer === 'user');
  const userProblems = pol.problems.filter((p) => p.code === 'POLICY_USER_KEY_IGNORED');
  if (user && (user.status === 'invalid' || user.status === 'unreadable')) {
    add('policy.user', 'warn', `${user.error?.message ?? '用户设置无效'}；已忽略`, user.error?.messageEn);
  } else if (userProblems.length) {
    add('policy.user', 'warn', userProblems.map((p) => p.message).join('；'), userProblems.map((p) => p.messageEn ?? '').join('; '));
  } else {
    add('policy.user', 'pass', user?.status === 'applied' ? `用户设置已生效：${user.path ?? ''}` : '没有用户设置', user?.status === 'applied' ? 'user settings applied' : 'no user settings');
  }
  const effective = pol.policy;
  add('portal', 'pass', `门户首页 ${effective.portalHome}；允许发起登录的来源：${effective.allowedOrigins.join(', ') || '无'}`,
    `portal home ${effective.portalHome}; origins allowed to request login: ${effective.allowedOrigins.join(', ') || 'none'}`);

  // Trust anchors.
  try {
    const t = await deps.trustAnchors(effective.trustAnchorDirs);
    facts['trustAnchors'] = { count: t.anchors.length, anchors: t.anchors, errors: t.errors };
    if (t.errors.length) add('trust-anchors', 'fail', `信任证书目录有问题：${t.errors.map((e) => e.message).join('；')}`, t.errors.map((e) => e.messageEn ?? e.code).join('; '));
    else if (t.anchors.length === 0) add('trust-anchors', 'warn', '没有可用的信任根证书，证书链检查将无法通过；请在策略 trustAnchorDirs 中配置', 'no trust anchors; chain checks cannot pass');
    else add('trust-anchors', 'pass', `已加载 ${t.anchors.length} 个信任根证书`, `${t.anchors.length} trust anchors loaded`);
  } catch (e) {
    const info = toErrorInfo(e);
    facts['trustAnchors'] = { count: 0, anchors: [], errors: [info] };
    add('trust-anchors', 'fail', info.message, info.messageEn);
  }

  // PKCS#11 drivers: policy ones first (an admin asked for them), then the CA profiles' names.
  const wanted: { name: string; source: string }[] = effective.pkcs11Modules.map((m) => ({ name: m, source: 'policy' }));
  let profilesOk = true;
  try {
    const pm = await deps.profileModules();
    facts['caProfiles'] = { count: pm.profiles };
    add('ca-profiles', 'pass', `已加载 ${pm.profiles} 个 CA 配置`, `${pm.profiles} CA profiles loaded`);
    for (const m of pm.modules) wanted.push({ name: m.name, source: `profile:${m.profile}` });
  } catch (e) {
    profilesOk = false;
    const info = toErrorInfo(e, 'CA_PROFILES_INVALID');
    add('ca-profiles', 'fail', info.message, info.messageEn);
  }
  const modules = await examineDrivers(wanted, deps, deps.describeModule && (async (p) => {
    const d = await deps.describeModule!(p);
    return { library: d.library, slots: d.slots, tokens: d.tokens };
  }));
  facts['pkcs11Modules'] = modules;
  reportDrivers(modules, PKCS11_WORDING, deps.describeModule !== undefined, profilesOk, add);

  // SKF (GM/T 0016) libraries for SM2 USB keys: policy ones first, then the CA profiles' names.
  if (deps.profileSkfModules || effective.skfModules.length > 0) {
    const wantedSkf: { name: string; source: string }[] = effective.skfModules.map((m) => ({ name: m, source: 'policy' }));
    try {
      for (const m of (await deps.profileSkfModules?.()) ?? []) wantedSkf.push({ name: m.name, source: `profile:${m.profile}` });
    } catch {
      // The ca-profiles check above already reports unusable profile data.
    }
    const libs = await examineDrivers(wantedSkf, deps, deps.describeSkf && (async (p) => ({ devices: (await deps.describeSkf!(p)).devices })));
    facts['skfModules'] = libs;
    reportDrivers(libs, SKF_WORDING, deps.describeSkf !== undefined, profilesOk, add);
  }

  // Windows: drivers of the wrong architecture, named with the fix (also marked in their own checks above).
  if (deps.platform === 'win32' && deps.driverMachine) {
    const all = [...modules, ...((facts['skfModules'] as ModuleFact[] | undefined) ?? [])];
    const wrong = all.filter((m) => m.error?.code === 'DRIVER_ARCH_MISMATCH');
    const want = peMachineOf(deps.arch);
    if (wrong.length) {
      add('driver-arch', 'fail', wrong.map((m) => m.error!.message).join('；'), wrong.map((m) => m.error!.messageEn ?? '').join('; '));
    } else {
      add('driver-arch', 'pass', `驱动与证书助手同为 ${PE_MACHINE_NAMES[want]}（${all.filter((m) => m.machine).length} 个已检查）`, `drivers match this ${want} process (${all.filter((m) => m.machine).length} checked)`);
    }
  }

  // HEBCA's own middleware (informational: we do not depend on it).
  const port = deps.hebcaPort ?? HEBCA_MIDDLEWARE_PORT;
  const listening = await deps.probePort(LOOPBACK_IPV4, port, 500);
  facts['hebcaMiddleware'] = { host: LOOPBACK_IPV4, port, listening };
  add('hebca-middleware', 'pass', listening ? `河北CA 客户端（端口 ${port}）正在运行；与本程序互不依赖` : `河北CA 客户端（端口 ${port}）未运行；本程序不依赖它`,
    listening ? `HEBCA middleware is listening on ${port} (independent of this app)` : `HEBCA middleware not listening on ${port} (not required)`);

  // Clock.
  const t = deps.now.getTime();
  const offset = -deps.now.getTimezoneOffset();
  facts['clock'] = { now: Number.isFinite(t) ? deps.now.toISOString() : null, timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone ?? null, utcOffsetMinutes: offset };
  if (!Number.isFinite(t) || t < EARLIEST_PLAUSIBLE_TIME || t >= LATEST_PLAUSIBLE_TIME) {
    add('clock', 'fail', `系统时间不正确（${Number.isFinite(t) ? deps.now.toISOString() : '无效'}），证书有效期检查会出错；请校准时间`, 'the system clock is implausible; certificate validity checks will be wrong');
  } else if (deps.platform === 'win32' && offset !== 480) {
    add('clock', 'warn', `时区不是北京时间（UTC${offset >= 0 ? '+' : ''}${offset / 60}），请确认系统时间设置`, `time zone is not China Standard Time (UTC${offset >= 0 ? '+' : ''}${offset / 60})`);
  } else {
    add('clock', 'pass', `系统时间 ${deps.now.toISOString()}`, `system time ${deps.now.toISOString()}`);
  }

  return { ok: !checks.some((c) => c.status === 'fail'), checks, facts };
}

const USAGE = `用法 / Usage: cert-assistant doctor [--json] [--html FILE] [--policy FILE] [--timeout MS] [--portal URL] [--assistant-ports P,P,…]

诊断本机环境：运行时、策略来源与校验、信任根证书、USB Key 驱动（PKCS#11 与国密 SKF）能否加载、河北CA 客户端端口、系统时间。
Diagnoses this machine: runtime, policy source and validation, trust anchors, USB-key drivers (PKCS#11, SKF),
HEBCA's middleware port, clock. Exit 0 when no check fails, 1 otherwise.
  --json          JSON 输出 / JSON output: { ok, checks:[{id,status,message}], facts }
  --policy FILE   用该文件代替本机策略（部署前试用）/ use FILE as the machine policy (try before deploying)
  --timeout MS    每个驱动的加载超时（默认 5000）/ per-driver load timeout (default 5000)
  --html FILE     另写一份独立的网页报告（中文在前，英文在后），可直接发给技术支持 / also write a self-contained HTML report
  --portal URL    检查可达性与时钟误差所用的门户地址（默认策略的 portalHome）/ portal address probed (default: portalHome)
  --assistant-ports LIST  检查是否被其他程序占用的端口（默认 21051,21061,17212,10086,10087）/ ports checked for another program (default 21051,21061,17212,10086,10087)
`;

function readAppVersion(): string | null {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? null;
  } catch {
    return null;
  }
}

async function realTrustAnchors(paths: string[]): Promise<{ anchors: { subject: string; notAfter: string; fingerprintSha256: string }[]; errors: ErrorInfo[] }> {
  const { loadTrustAnchors } = await import('../../pki/trust.ts');
  const errors: ErrorInfo[] = [];
  const all = new Map<string, { subject: string; notAfter: string; fingerprintSha256: string }>();
  const take = (certs: { subject: string; notAfter: Date; fingerprintSha256: string }[]): void => {
    for (const c of certs) all.set(c.fingerprintSha256, { subject: c.subject, notAfter: c.notAfter.toISOString(), fingerprintSha256: c.fingerprintSha256 });
  };
  take(loadTrustAnchors([]));
  for (const p of paths) {
    try {
      take(loadTrustAnchors([p], { includeBundled: false }));
    } catch (e) {
      errors.push(toErrorInfo(e, 'TRUST_PATH_NOT_FOUND'));
    }
  }
  return { anchors: [...all.values()], errors };
}

/**
 * Every check doctor makes, with the caller's key-store worker: the CLI forks one, the app passes
 * its utilityProcess worker (the 诊断 page shows the same checks as `cert-assistant doctor`).
 */
export async function collectDoctorReport(opts: {
  env: NodeJS.ProcessEnv; now: Date; policy: PolicyResult; timeoutMs: number; portalUrl?: string; ports?: number[];
  worker: () => Promise<KeyStoreWorkerClient>;
}): Promise<DoctorReport> {
  const { policy } = opts;
  const platform = process.platform;
  const { DEFAULT_CA_PROFILES_PATH, loadCaProfiles } = await import('../../pki/ca-profiles.ts');
  const { checkModulePath } = await import('../../keystores/module-path.ts');
  // The key-store worker (the caller's) isolates a crashing or hanging driver from this process.
  const worker = opts.worker;
  const describeSkf = async (libraryPath: string): Promise<{ devices: number }> => ({ devices: (await (await worker()).call('skf.describe', { module: libraryPath })).devices.length });
  const describeModule = async (modulePath: string): Promise<{ library: string; slots: number; tokens: number }> => {
    const r = await (await worker()).call('pkcs11.describe', { module: modulePath });
    return {
      library: `${r.info.manufacturer} ${r.info.description} ${r.info.libraryVersion}`.replace(/\s+/g, ' ').trim(),
      slots: r.slots.length,
      tokens: r.slots.filter((s) => s.serial || s.initialized).length,
    };
  };
  const storeCertificates: { store: string; subject: string; notAfter: string }[] = [];
  const report = await diagnose({
    now: opts.now,
    platform,
    arch: process.arch,
    osRelease: os.release(),
    versions: process.versions,
    env: opts.env,
    policy,
    appVersion: readAppVersion(),
    profileModules: async () => ({ profiles: loadCaProfiles().length, modules: profileDriverEntries('pkcs11Modules', DEFAULT_CA_PROFILES_PATH, platform) }),
    libraryDirs: defaultLibraryDirs(platform, opts.env),
    exists: (p) => fs.existsSync(p),
    describeModule,
    profileSkfModules: async () => profileDriverEntries('skfModules', DEFAULT_CA_PROFILES_PATH, platform),
    describeSkf,
    checkModulePath: (p) => checkModulePath(p),
    driverMachine: (p) => readPeFile(p),
    trustAnchors: realTrustAnchors,
    probePort: probeTcpPort,
  });
  // Certificates on the USB keys whose drivers load (through the same worker): for the expiry check.
  for (const [kind, key] of [['pkcs11', 'pkcs11Modules'], ['skf', 'skfModules']] as const) {
    for (const m of (report.facts[key] as ModuleFact[] | undefined) ?? []) {
      if (!m.loads || !m.path) continue;
      try {
        const { WorkerKeyStore } = await import('../../keystores/worker/remote-store.ts');
        for (const id of await new WorkerKeyStore(await worker(), { kind, module: m.path }).listIdentities()) {
          const c = parseCertificate(id.certificate);
          storeCertificates.push({ store: `USB Key（${path.basename(m.path)}）`, subject: c.subject, notAfter: c.notAfter.toISOString() });
        }
      } catch {
        // A key that cannot be listed is already reported by the module checks above.
      }
    }
  }
  if (platform === 'win32') {
    // The Windows certificate store (where most vendors' CSPs register their keys' certificates).
    try {
      const { WorkerKeyStore } = await import('../../keystores/worker/remote-store.ts');
      const localMachine = policy.policy.windowsStoreLocalMachine;
      for (const id of await new WorkerKeyStore(await worker(), { kind: 'windows', localMachine }).listIdentities()) {
        const c = parseCertificate(id.certificate);
        storeCertificates.push({ store: 'Windows 证书存储', subject: c.subject, notAfter: c.notAfter.toISOString() });
      }
    } catch {
      // No readable store: nothing to remind about.
    }
  }
  const anchors = await realTrustAnchors(policy.policy.trustAnchorDirs).catch(() => ({ anchors: [], errors: [] }));
  const extra = await adminChecks({
    now: opts.now,
    portalUrl: opts.portalUrl ?? policy.policy.portalHome,
    probePortal: (url) => probePortalHttp(url, Math.min(opts.timeoutMs, 3_000)),
    ports: opts.ports ?? [...CA_ASSISTANT_PORTS],
    portInUse: (port) => probeTcpPort(LOOPBACK_IPV4, port, 500),
    portIsOurBridge: (port) => probeOurBridge(port, 500, LOOPBACK_IPV4),
    clockSkewSeconds: policy.policy.clockSkewSeconds,
    certificates: [...anchors.anchors.map((a) => ({ store: 'trust', subject: a.subject, notAfter: a.notAfter })), ...storeCertificates],
  });
  return { ...report, checks: [...report.checks, ...extra], ok: report.ok && !extra.some((c) => c.status === 'fail') };
}

export async function run(args: string[], io: CliIO): Promise<number> {
  const opened = parseCommand(args, io, USAGE, { json: { type: 'boolean' }, html: { type: 'string' }, policy: { type: 'string' }, timeout: { type: 'string' }, portal: { type: 'string' }, 'assistant-ports': { type: 'string' } });
  if (typeof opened === 'number') return opened;
  const { values } = opened;
  const timeoutMs = parseTimeoutMs(values.timeout, 5_000);
  if (timeoutMs === null) return timeoutUsage(io);
  let ports: number[] = [...CA_ASSISTANT_PORTS];
  if (values['assistant-ports'] !== undefined) {
    ports = values['assistant-ports'].split(',').map((x) => Number(x.trim()));
    if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
      io.stderr.write(`--assistant-ports 应为逗号分隔的端口号 / --assistant-ports takes comma-separated port numbers\n\n${USAGE}`);
      return EXIT_USAGE;
    }
  }
  const platform = process.platform;
  const policyFile = values.policy === undefined ? undefined : path.resolve(io.cwd, values.policy);
  if (policyFile !== undefined && !fs.existsSync(policyFile)) {
    io.stderr.write(`找不到策略文件 / policy file not found: ${policyFile}\n`);
    return EXIT_FAIL;
  }
  const home = io.env['HOME'] || io.env['USERPROFILE'] || '';
  const policy = loadPolicy({ platform, env: io.env, home, ...(policyFile !== undefined ? { machinePath: policyFile } : {}) });

  let client: KeyStoreWorkerClient | null = null;
  let report: DoctorReport;
  try {
    report = await collectDoctorReport({
      env: io.env, now: io.now(), policy, timeoutMs, ports, ...(values.portal !== undefined ? { portalUrl: values.portal } : {}),
      worker: async () => {
        if (!client) {
          const { KeyStoreWorkerClient } = await import('../../keystores/worker/client.ts');
          const { forkWorkerSpawner } = await import('../../keystores/worker/fork-transport.ts');
          client = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner({ env: io.env }), timeouts: { 'pkcs11.describe': timeoutMs, 'skf.describe': timeoutMs } });
        }
        return client;
      },
    });
  } finally {
    const c = client as KeyStoreWorkerClient | null;
    if (c) await c.close();
  }
  if (values.html !== undefined) {
    const htmlFile = path.resolve(io.cwd, values.html);
    try {
      fs.writeFileSync(htmlFile, renderDoctorHtml(report, io.now()));
    } catch (e) {
      io.stderr.write(`无法写入 / cannot write ${htmlFile}: ${(e as NodeJS.ErrnoException).code ?? 'ERROR'}\n`);
      return EXIT_FAIL;
    }
  }
  if (values.json) {
    writeJson(io.stdout, report);
  } else {
    io.stdout.write(formatReport(report, policy.policy.language));
  }
  return report.ok ? EXIT_OK : EXIT_FAIL;
}

const MARK: Record<DiagnosticStatus, string> = { pass: '✔', warn: '⚠', fail: '✘', skip: '○' };

/** Human report in the policy's language (zh-CN unless the effective policy says `en`). */
export function formatReport(r: DoctorReport, language: 'zh-CN' | 'en' = 'zh-CN'): string {
  const en = language === 'en';
  const lines = [en ? 'Cert Assistant doctor / 证书助手环境诊断' : '证书助手环境诊断 / Cert Assistant doctor', ''];
  for (const c of r.checks) {
    lines.push(`${MARK[c.status]} ${c.id.padEnd(17)} ${en ? (c.messageEn ?? c.message) : c.message}`);
    const fix = en ? (c.fixEn ?? c.fix) : c.fix;
    if (fix && c.status !== 'pass') lines.push(`  ${' '.repeat(17)} → ${fix}`);
  }
  if (en) lines.push('', r.ok ? 'Result: no blocking problem found.' : 'Result: some checks failed (✘).');
  else lines.push('', r.ok ? '结论：未发现阻止使用的问题。/ No blocking problem found.' : '结论：存在必须处理的问题（✘）。/ Some checks failed (✘).');
  return lines.join('\n') + '\n';
}

