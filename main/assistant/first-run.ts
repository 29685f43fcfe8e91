/**
 * The certificate screen's empty state: when no certificate is listed, say what is missing, most
 * basic first — no USB-key driver on this machine (and which CA's driver to install, from the CA
 * profiles), a driver that does not load, no key inserted, or a key inserted that holds no
 * certificate. The drivers are probed through the key-store worker (`probeDrivers`), so a vendor
 * DLL that crashes costs a worker restart, not the app.
 */
import { toErrorInfo } from '../errors.ts';
import type { CaProfile } from '../pki/ca-profiles.ts';
import type { FirstRunView } from '../../common/ipc-contract.ts';

/** What one configured driver saw: whether it loads, and how many keys (tokens / SKF devices) are present. */
export interface DriverProbe {
  kind: 'pkcs11' | 'skf';
  path: string;
  loads: boolean;
  /** Keys present now; null when the driver did not load. */
  keys: number | null;
  error?: { code: string; message: string; messageEn?: string };
}

/** The worker's cheap token listings (`pkcs11.tokens`, `skf.tokens`): one probe per configured driver, each bounded. */
export async function probeDrivers(
  tokens: (kind: 'pkcs11' | 'skf', module: string) => Promise<unknown[]>,
  drivers: { pkcs11: string[]; skf: string[] },
): Promise<DriverProbe[]> {
  const all = [...drivers.pkcs11.map((p) => ['pkcs11', p] as const), ...drivers.skf.map((p) => ['skf', p] as const)];
  return Promise.all(all.map(async ([kind, path]): Promise<DriverProbe> => {
    try {
      return { kind, path, loads: true, keys: (await tokens(kind, path)).length };
    } catch (e) {
      const info = toErrorInfo(e, 'MODULE_LOAD_FAILED');
      return { kind, path, loads: false, keys: null, error: { code: info.code, message: info.message, ...(info.messageEn ? { messageEn: info.messageEn } : {}) } };
    }
  }));
}

const baseName = (p: string): string => (p.split(/[\\/]/).pop() ?? p).toLowerCase();

/** The CA profiles that name this driver file for the platform (a driver may serve several CAs' keys). */
function casOfDriver(path: string, profiles: readonly CaProfile[], platform: NodeJS.Platform): CaProfile[] {
  const name = baseName(path);
  const plat = platform as keyof CaProfile['pkcs11Modules'];
  return profiles.filter((p) => [...(p.pkcs11Modules[plat] ?? []), ...(p.skfModules?.[plat] ?? [])].some((m) => baseName(m) === name));
}

const joinZh = (xs: string[]): string => xs.join('、');
const shortZh = (p: CaProfile): string => p.name.replace(/（.*$/, '');
const shortEn = (p: CaProfile): string => p.nameEn.replace(/ \(.*$/, '');

export function firstRunState(input: {
  probes: readonly DriverProbe[];
  profiles: readonly CaProfile[];
  platform: NodeJS.Platform;
  /** The Windows certificate store was searched too (win32). */
  windowsStore: boolean;
}): FirstRunView {
  const { probes, profiles, platform } = input;
  const plat = platform as keyof CaProfile['pkcs11Modules'];
  const drivers = probes.map((p) => {
    const cas = casOfDriver(p.path, profiles, platform);
    return { path: p.path, kind: p.kind, ca: cas.length ? joinZh(cas.map(shortZh)) : null, caEn: cas.length ? cas.map(shortEn).join(', ') : null, loads: p.loads, keys: p.keys, ...(p.error ? { errorCode: p.error.code } : {}) };
  });
  // Which CA's driver to install: every profile that names one for this platform, with its website.
  const install = profiles
    .map((p) => ({ p, files: [...(p.pkcs11Modules[plat] ?? []), ...(p.skfModules?.[plat] ?? [])] }))
    .filter((x) => x.files.length > 0)
    .map(({ p, files }) => ({ ca: shortZh(p), caEn: shortEn(p), drivers: files, website: p.website ?? null }));
  const store = input.windowsStore ? '；Windows 证书存储中也没有证书' : '';
  const storeEn = input.windowsStore ? '; the Windows certificate store holds none either' : '';

  const withKey = drivers.filter((d) => (d.keys ?? 0) > 0);
  if (withKey.length > 0) {
    const who = withKey.map((d) => d.ca).filter((x): x is string => x !== null);
    const whoEn = withKey.map((d) => d.caEn).filter((x): x is string => x !== null);
    return {
      status: 'key-empty', drivers, install: [],
      message: `已检测到 USB Key，但其中没有可用的证书。请确认插入的是单位（法人）数字证书 Key，或联系签发它的 CA${who.length ? `（${joinZh(who)}）` : ''}。`,
      messageEn: `A USB key is inserted but holds no usable certificate. Make sure it is your organisation's certificate key, or contact the CA that issued it${whoEn.length ? ` (${whoEn.join(', ')})` : ''}.`,
    };
  }
  const failed = drivers.filter((d) => !d.loads);
  if (failed.length > 0 && failed.length === drivers.length) {
    const one = failed[0]!;
    const err = probes.find((p) => p.path === one.path)?.error;
    const arch = err?.code === 'DRIVER_ARCH_MISMATCH';
    return {
      status: 'driver-failed', drivers, install: install.filter((i) => i.drivers.some((f) => failed.some((d) => baseName(d.path) === baseName(f)))),
      message: `找到了 USB Key 驱动 ${baseName(one.path)}${one.ca ? `（${one.ca}）` : ''}，但无法加载${arch ? '：驱动与证书助手的位数（32/64 位）不一致' : ''}。请重新安装该 CA 的 USB Key 驱动${arch ? '（与本程序相同位数的版本）' : ''}，仍不行请联系 IT 管理员${store}。`,
      messageEn: `The USB key driver ${baseName(one.path)}${one.caEn ? ` (${one.caEn})` : ''} was found but does not load${arch ? ': it is built for another architecture (32/64-bit) than this app' : ''}. Reinstall that CA's USB key driver${arch ? ' (the same architecture as this app)' : ''}; if that does not help, contact your IT administrator${storeEn}.`,
    };
  }
  const loaded = drivers.filter((d) => d.loads);
  if (loaded.length > 0) {
    const who = [...new Set(loaded.map((d) => d.ca).filter((x): x is string => x !== null))];
    const whoEn = [...new Set(loaded.map((d) => d.caEn).filter((x): x is string => x !== null))];
    return {
      status: 'no-key', drivers, install: [],
      message: `没有检测到 USB Key。请把 USB Key 插入电脑（已找到${who.length ? ` ${joinZh(who)} 的` : ''} USB Key 驱动）${store}。`,
      messageEn: `No USB key detected. Insert your USB key (the USB key driver${whoEn.length ? ` of ${whoEn.join(', ')}` : ''} is installed)${storeEn}.`,
    };
  }
  return {
    status: 'no-driver', drivers, install,
    message: `本机没有找到 USB Key 驱动${store}。请安装签发您证书的 CA 提供的 USB Key 驱动${install.length ? '（见下方）' : ''}，装好后插入 USB Key；使用证书文件（.pfx）的，请点“打开证书文件…”。`,
    messageEn: `No USB key driver found on this computer${storeEn}. Install the USB key driver of the CA that issued your certificate${install.length ? ' (see below)' : ''}, then insert the key; for a certificate file (.pfx), use "Open certificate file…".`,
  };
}
