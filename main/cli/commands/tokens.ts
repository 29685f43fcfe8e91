import { AssistantError, isAssistantError, toErrorInfo, type ErrorInfo } from '../../errors.ts';
import { resolve } from 'node:path';
import { loadCaProfiles, type CaProfile } from '../../pki/ca-profiles.ts';
import { parseCertificate, type ParsedCertificate } from '../../pki/certificate.ts';
import { inspectCertificate, type InspectContext } from '../../pki/inspect.ts';
import { loadTrustAnchors } from '../../pki/trust.ts';
import { loadPolicy } from '../../policy/index.ts';
import { configuredDriverPaths } from '../../keystores/driver-paths.ts';
import { checkModulePath } from '../../keystores/module-path.ts';
import { KeyStoreWorkerClient } from '../../keystores/worker/client.ts';
import { forkWorkerSpawner } from '../../keystores/worker/fork-transport.ts';
import type { Pkcs11ModuleReport } from '../../keystores/worker/protocol.ts';
import type { PinState } from '../../keystores/types.ts';
import { windowsStoreKeyStore } from '../../keystores/windows/index.ts';
import { EXIT_FAIL, EXIT_OK, parseCommand, parseTimeoutMs, timeoutUsage, writeJson, type CliIO } from '../io.ts';

const USAGE = `用法 / Usage: cert-assistant tokens [--module PATH]... [--skf PATH]... [--windows-store] [--json] [--trust PATH]... [--policy FILE] [--timeout MS]

列出 USB Key（PKCS#11 或国密 SKF）中的证书及 PIN 状态。不指定 --module/--skf 时，使用 CA 配置与策略
（pkcs11Modules、skfModules）中登记的、本机已安装的驱动。
Lists USB keys (PKCS#11 or SKF), their PIN state and certificates. Without --module/--skf: the drivers
listed in the CA profiles and policy (pkcs11Modules, skfModules) that exist on this machine.
  --module PATH   PKCS#11 驱动的绝对路径（可重复）/ absolute path of a PKCS#11 module (repeatable)
  --skf PATH      国密 SKF 驱动（GM/T 0016）的绝对路径（可重复）/ absolute path of an SKF library (repeatable)
  --windows-store Windows 证书存储（当前用户“个人”存储中带私钥的 RSA 证书）/ the Windows certificate store (CurrentUser\\My)
  --json          JSON 输出 / JSON output
  --trust PATH    额外信任的根证书文件或目录（可重复）/ extra trust anchor file or folder (repeatable)
  --policy FILE   使用该机器策略文件代替系统策略（供管理员检查）/ machine policy file to use instead of the system one
  --timeout MS    每个驱动的超时（默认 5000）/ per-module timeout (default 5000)
`;

/**
 * The certificate part of an identity: the same report `inspect` gives (validity, chain to the
 * trust anchors using the token's other certificates, USCC), so a user can pick the right one.
 */
export function certificateSummary(der: Uint8Array, intermediates: Uint8Array[], ctx: Omit<InspectContext, 'intermediates'>): Record<string, unknown> {
  try {
    const parsed: ParsedCertificate[] = [];
    for (const i of intermediates) {
      try {
        parsed.push(parseCertificate(i));
      } catch {}
    }
    return inspectCertificate(parseCertificate(der), { ...ctx, intermediates: parsed }) as unknown as Record<string, unknown>;
  } catch (e) {
    return { error: isAssistantError(e) ? e.toJSON() : { code: 'CERT_MALFORMED', message: '证书格式错误' } };
  }
}

function pinText(p: PinState): string {
  if (p.locked) return '已锁定 / locked';
  if (p.finalTry) return '最后一次机会 / final try';
  if (p.low) return '曾输错 / count low';
  return '正常 / ok';
}

interface SkfOut { path: string; error?: ErrorInfo; devices: unknown[] }
interface WindowsOut { stores: string[]; error?: ErrorInfo; identities: unknown[] }
interface ModuleOut { path: string; error?: ErrorInfo; info?: Pkcs11ModuleReport['info']; slots: unknown[] }

export async function run(args: string[], io: CliIO): Promise<number> {
  const opened = parseCommand(args, io, USAGE, { module: { type: 'string', multiple: true }, skf: { type: 'string', multiple: true }, 'windows-store': { type: 'boolean' }, json: { type: 'boolean' }, trust: { type: 'string', multiple: true }, policy: { type: 'string' }, timeout: { type: 'string' } });
  if (typeof opened === 'number') return opened;
  const { values } = opened;
  const timeoutMs = parseTimeoutMs(values.timeout, 5_000);
  if (timeoutMs === null) return timeoutUsage(io);
  // Machine policy (admin) over defaults; never throws.
  const policy = loadPolicy({ env: io.env, ...(values.policy !== undefined ? { machinePath: resolve(io.cwd, values.policy) } : {}) }).policy;
  // --module is the CLI user's explicit choice; otherwise only admin-configured drivers.
  // Either flag names exactly what to list; without both, every configured driver of both kinds.
  const explicit = values.module !== undefined || values.skf !== undefined || values['windows-store'] === true;
  const modules = values.module ?? (explicit ? [] : configuredDriverPaths('pkcs11Modules', { env: io.env, policyModules: policy.pkcs11Modules }));
  const skfModules = values.skf ?? (explicit ? [] : configuredDriverPaths('skfModules', { env: io.env, policyModules: policy.skfModules }));
  const now = io.now();
  let profiles: CaProfile[] | undefined;
  try {
    profiles = loadCaProfiles();
  } catch {}
  let anchors: ParsedCertificate[];
  try {
    anchors = loadTrustAnchors([...policy.trustAnchorDirs, ...(values.trust ?? []).map((p) => resolve(io.cwd, p))]);
  } catch (e) {
    io.stderr.write(`错误 [${isAssistantError(e) ? e.code : 'TRUST_FILE_INVALID'}]: ${isAssistantError(e) ? e.message : '无法读取信任证书'}\n`);
    return EXIT_FAIL;
  }
  const inspectCtx = { now, anchors, ...(profiles ? { profiles } : {}) };
  const client = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner({ env: io.env }), timeouts: { 'pkcs11.describe': timeoutMs, 'skf.describe': timeoutMs, 'store.list': timeoutMs } });
  const out: ModuleOut[] = [];
  const skfOut: SkfOut[] = [];
  let windowsOut: WindowsOut | null = null;
  let failed = false;
  /** One driver's report, or (failing the run) its error: a path we would not load, a load error, a crash. */
  const described = async <T>(path: string, describe: () => Promise<T>, failure: (error: ErrorInfo) => T): Promise<T> => {
    try {
      checkModulePath(path);
      return await describe();
    } catch (e) {
      failed = true;
      const err = isAssistantError(e) ? e : new AssistantError('INTERNAL_ERROR', '内部错误', { en: 'internal error' });
      return failure({ code: err.code, message: err.message, ...(err.messageEn ? { messageEn: err.messageEn } : {}) });
    }
  };
  try {
    for (const path of modules) {
      out.push(await described<ModuleOut>(path, async () => {
        const r = await client.call('pkcs11.describe', { module: path });
        return {
          path, info: r.info,
          slots: r.slots.map((s) => ({
            id: s.id, label: s.label, manufacturer: s.manufacturer, model: s.model, serial: s.serial,
            description: s.description, initialized: s.initialized, loginRequired: s.loginRequired, pinPad: s.pinPad, pin: s.pin,
            identities: s.identities.map((i) => ({
              id: i.id.slice(i.id.indexOf(':') + 1), identityId: i.id, label: i.label, algorithm: i.algorithm,
              certificate: certificateSummary(i.certificate, i.intermediates, inspectCtx), intermediates: i.intermediates.length,
            })),
            ...(s.error ? { error: s.error } : {}),
          })),
        };
      }, (error) => ({ path, error, slots: [] })));
    }
    for (const path of skfModules) {
      skfOut.push(await described<SkfOut>(path, async () => {
        const r = await client.call('skf.describe', { module: path });
        return {
          path,
          devices: r.devices.map((d) => ({
            name: d.name, ...(d.info ? { info: d.info } : {}),
            applications: d.applications.map((a) => ({
              name: a.name, pin: a.pin, defaultPin: a.defaultPin,
              identities: a.identities.map((i) => ({
                identityId: i.id, label: i.label, algorithm: i.algorithm,
                certificate: certificateSummary(i.certificate, i.intermediates, inspectCtx), intermediates: i.intermediates.length,
              })),
            })),
            ...(d.error ? { error: d.error } : {}),
          })),
        };
      }, (error) => ({ path, error, devices: [] })));
    }
    if (values['windows-store']) {
      const store = windowsStoreKeyStore(client, { localMachine: policy.windowsStoreLocalMachine });
      const stores = policy.windowsStoreLocalMachine ? ['CurrentUser\\My', 'LocalMachine\\My'] : ['CurrentUser\\My'];
      try {
        const ids = await store.listIdentities();
        windowsOut = {
          stores,
          identities: ids.map((i) => ({
            identityId: i.id, fingerprintSha256: i.id, label: i.label, algorithm: i.algorithm,
            ...(i.location.kind === 'windows' ? { store: i.location.store, provider: i.location.provider, container: i.location.container } : {}),
            certificate: certificateSummary(i.certificate, i.intermediates, inspectCtx),
          })),
        };
      } catch (e) {
        failed = true;
        windowsOut = { stores, error: toErrorInfo(e), identities: [] };
      }
    }
  } finally {
    await client.close();
  }

  if (values.json) {
    writeJson(io.stdout, { modules: out, ...(skfModules.length > 0 ? { skf: skfOut } : {}), ...(windowsOut ? { windowsStore: windowsOut } : {}) });
  } else {
    if (out.length === 0 && skfOut.length === 0 && !windowsOut) io.stdout.write('未找到已配置的 USB Key 驱动；可用 --module（PKCS#11）或 --skf（国密 SKF）指定 / no configured PKCS#11 module or SKF library found; use --module or --skf\n');
    for (const m of out) {
      io.stdout.write(`驱动 / module ${m.path}${m.info ? ` (${m.info.manufacturer} ${m.info.libraryVersion})` : ''}\n`);
      if (m.error) io.stdout.write(`  错误 [${m.error.code}]: ${m.error.message}\n`);
      if (!m.error && m.slots.length === 0) io.stdout.write('  未插入 USB Key / no token present\n');
      for (const s of m.slots as Array<{ id: number; label: string; model: string; serial: string; initialized: boolean; pin: PinState; identities: Array<{ id: string; label: string; certificate: Record<string, unknown> }> }>) {
        io.stdout.write(`  插槽 / slot ${s.id}: ${s.initialized ? s.label : '(未初始化 / not initialised)'}  ${s.model} #${s.serial}  PIN: ${pinText(s.pin)}\n`);
        for (const i of s.identities) {
          const c = i.certificate;
          io.stdout.write(`    证书 / cert ${i.id} ${i.label}: ${String(c['subject'] ?? '?')}  ${String(c['keyAlgorithm'] ?? '')}  至 / until ${String(c['notAfter'] ?? '?').slice(0, 10)}\n`);
        }
      }
    }
    for (const m of skfOut) {
      io.stdout.write(`国密驱动 / SKF library ${m.path}\n`);
      if (m.error) io.stdout.write(`  错误 [${m.error.code}]: ${m.error.message}\n`);
      if (!m.error && m.devices.length === 0) io.stdout.write('  未插入 USB Key / no key present\n');
      for (const d of m.devices as Array<{ name: string; info?: { label: string; serial: string; manufacturer: string }; error?: ErrorInfo; applications: Array<{ name: string; pin: PinState; identities: Array<{ identityId: string; label: string; certificate: Record<string, unknown> }> }> }>) {
        io.stdout.write(`  设备 / device ${d.name}: ${d.info ? `${d.info.label}  ${d.info.manufacturer} #${d.info.serial}` : ''}\n`);
        if (d.error) io.stdout.write(`    错误 [${d.error.code}]: ${d.error.message}\n`);
        for (const a of d.applications) {
          io.stdout.write(`    应用 / application ${a.name}  PIN: ${pinText(a.pin)}${a.pin.retriesLeft !== null ? `（剩余 ${a.pin.retriesLeft} 次 / ${a.pin.retriesLeft} left）` : ''}\n`);
          for (const i of a.identities) {
            const c = i.certificate;
            io.stdout.write(`      证书 / cert ${i.identityId} ${i.label}: ${String(c['subject'] ?? '?')}  ${String(c['keyAlgorithm'] ?? '')}  至 / until ${String(c['notAfter'] ?? '?').slice(0, 10)}\n`);
          }
        }
      }
    }
    if (windowsOut) {
      io.stdout.write(`Windows 证书存储 / certificate store ${windowsOut.stores.join(', ')}\n`);
      if (windowsOut.error) io.stdout.write(`  错误 [${windowsOut.error.code}]: ${windowsOut.error.message}\n`);
      if (!windowsOut.error && windowsOut.identities.length === 0) io.stdout.write('  没有带私钥的 RSA 证书 / no RSA certificate with a private key\n');
      for (const i of windowsOut.identities as Array<{ identityId: string; label: string; store?: string; certificate: Record<string, unknown> }>) {
        const c = i.certificate;
        io.stdout.write(`  证书 / cert ${i.label}: ${String(c['subject'] ?? '?')}  至 / until ${String(c['notAfter'] ?? '?').slice(0, 10)}\n    SHA-256 ${i.identityId}${i.store ? `  (${i.store})` : ''}\n`);
      }
    }
  }
  return failed ? EXIT_FAIL : EXIT_OK;
}
