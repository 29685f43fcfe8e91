/**
 * Whether and from where the app updates itself — every decision, as a pure function, so main/app
 * only applies the answer to electron-updater. Updates run only when all hold: a packaged Windows
 * build installed by our NSIS installer (MSI installs are IT's to update: they redeploy the MSI),
 * policy gives `updateUrl` and does not set `updatesEnabled: false`, and the installed app names
 * the publisher an update must be signed by (electron-updater skips the signature check when
 * app-update.yml has no publisherName — an unsigned build would take any file, so we refuse).
 */
import * as yaml from 'js-yaml';
import type { Policy } from '../policy/policy.ts';

export type InstallKind = 'nsis' | 'msi' | 'portable' | 'unpackaged';

export type UpdateRefusal =
  | 'UPDATES_NOT_PACKAGED'
  | 'UPDATES_PLATFORM'
  | 'UPDATES_MSI_MANAGED'
  | 'UPDATES_PORTABLE'
  | 'UPDATES_DISABLED_BY_POLICY'
  | 'UPDATES_NOT_CONFIGURED'
  | 'UPDATES_NO_PUBLISHER';

export type UpdatePlan =
  | { enabled: true; feed: { provider: 'generic'; url: string; channel: 'latest' | 'beta' }; publisherNames: string[]; source: { url: string; channel: string } }
  | { enabled: false; reason: UpdateRefusal; message: string; messageEn: string };

export interface UpdatePlanInput {
  policy: Pick<Policy, 'updateUrl' | 'updateChannel' | 'updatesEnabled'>;
  /** Where each update key came from (e.g. `registry:HKLM`, `file:C:\…\policy.json`, `default`). */
  sources?: Partial<Record<'updateUrl' | 'updateChannel' | 'updatesEnabled', string>>;
  platform: NodeJS.Platform;
  installKind: InstallKind;
  /** publisherName from the installed app's resources/app-update.yml (the signing certificate's CN). */
  publisherNames: string[];
}

const REFUSALS: Record<UpdateRefusal, [string, string]> = {
  UPDATES_NOT_PACKAGED: ['开发运行，不检查更新', 'not a packaged build; no update checks'],
  UPDATES_PLATFORM: ['只有 Windows 版本自动更新', 'only the Windows build updates itself'],
  UPDATES_MSI_MANAGED: ['MSI 安装由 IT 管理员部署新版本，程序不自行更新', 'MSI installation: IT deploys new versions, the app does not update itself'],
  UPDATES_PORTABLE: ['免安装版本不自动更新', 'portable copy; no automatic updates'],
  UPDATES_DISABLED_BY_POLICY: ['策略已关闭自动更新（updatesEnabled）', 'updates are switched off by policy (updatesEnabled)'],
  UPDATES_NOT_CONFIGURED: ['策略未设置更新服务器（updateUrl），不检查更新', 'no update server in policy (updateUrl); no update checks'],
  UPDATES_NO_PUBLISHER: ['安装的程序没有签名发布者，无法验证更新包，不检查更新', 'the installed app names no signing publisher, so updates could not be verified; no update checks'],
};

function refuse(reason: UpdateRefusal): UpdatePlan {
  const [message, messageEn] = REFUSALS[reason];
  return { enabled: false, reason, message, messageEn };
}

export function planUpdates(input: UpdatePlanInput): UpdatePlan {
  if (input.installKind === 'unpackaged') return refuse('UPDATES_NOT_PACKAGED');
  if (input.platform !== 'win32') return refuse('UPDATES_PLATFORM');
  if (input.installKind === 'msi') return refuse('UPDATES_MSI_MANAGED');
  if (input.installKind === 'portable') return refuse('UPDATES_PORTABLE');
  if (!input.policy.updatesEnabled) return refuse('UPDATES_DISABLED_BY_POLICY');
  if (!input.policy.updateUrl) return refuse('UPDATES_NOT_CONFIGURED');
  const publisherNames = input.publisherNames.filter((n) => n.trim().length > 0);
  if (publisherNames.length === 0) return refuse('UPDATES_NO_PUBLISHER');
  // electron-updater's generic provider resolves `<channel>.yml` against the URL as a folder.
  const url = input.policy.updateUrl.endsWith('/') ? input.policy.updateUrl : `${input.policy.updateUrl}/`;
  return {
    enabled: true,
    feed: { provider: 'generic', url, channel: input.policy.updateChannel },
    publisherNames,
    source: { url: input.sources?.updateUrl ?? 'default', channel: input.sources?.updateChannel ?? 'default' },
  };
}

/**
 * How this copy was installed, from the files beside the executable: our MSI writes
 * install.ini (`[CertAssistant] installer=msi`, build/msi-project.mjs); the NSIS installer leaves
 * its uninstaller `Uninstall <productName>.exe`; anything else is a portable copy.
 */
export function detectInstallKind(opts: { packaged: boolean; productName: string; readBeside: (name: string) => string | null; existsBeside: (name: string) => boolean }): InstallKind {
  if (!opts.packaged) return 'unpackaged';
  const ini = opts.readBeside('install.ini');
  if (ini !== null && /^\s*installer\s*=\s*msi\s*$/im.test(ini)) return 'msi';
  if (opts.existsBeside(`Uninstall ${opts.productName}.exe`)) return 'nsis';
  return 'portable';
}

/** publisherName from app-update.yml (a string or a list); [] when absent or unreadable. */
export function publisherNamesFromUpdateConfig(text: string | null): string[] {
  if (text === null) return [];
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: yaml.FAILSAFE_SCHEMA });
  } catch {
    return [];
  }
  if (!doc || typeof doc !== 'object') return [];
  const names = (doc as Record<string, unknown>)['publisherName'];
  if (typeof names === 'string') return [names];
  return Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
}
