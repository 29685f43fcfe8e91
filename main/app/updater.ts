/**
 * Applies the update plan (main/updates/plan.ts decides) to electron-updater. Nothing here decides:
 * no plan, no updater — the module is not even asked to read its config.
 */
import { app } from 'electron';
import fs from 'node:fs';
import path from 'node:path';
import { autoUpdater } from 'electron-updater';
import { detectInstallKind, planUpdates, publisherNamesFromUpdateConfig, type UpdatePlan } from '../updates/plan.ts';
import type { Policy } from '../policy/policy.ts';

function readOrNull(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

export function updatePlanFor(policy: Policy, sources?: Partial<Record<'updateUrl' | 'updateChannel' | 'updatesEnabled', string>>): UpdatePlan {
  const exeDir = path.dirname(process.execPath);
  const installKind = detectInstallKind({
    packaged: app.isPackaged,
    productName: app.getName(),
    readBeside: (name) => readOrNull(path.join(exeDir, name)),
    existsBeside: (name) => fs.existsSync(path.join(exeDir, name)),
  });
  const publisherNames = publisherNamesFromUpdateConfig(app.isPackaged ? readOrNull(path.join(process.resourcesPath, 'app-update.yml')) : null);
  return planUpdates({ policy, ...(sources ? { sources } : {}), platform: process.platform, installKind, publisherNames });
}

export function startUpdates(plan: UpdatePlan, log: (line: string) => void): void {
  if (!plan.enabled) {
    log(`updates off: ${plan.reason}`);
    return;
  }
  autoUpdater.setFeedURL({ provider: 'generic', url: plan.feed.url, channel: plan.feed.channel });
  autoUpdater.channel = plan.feed.channel;
  autoUpdater.allowPrerelease = plan.feed.channel !== 'latest';
  autoUpdater.allowDowngrade = false;
  autoUpdater.autoDownload = true;
  autoUpdater.autoInstallOnAppQuit = true;
  autoUpdater.on('error', (e: Error) => log(`update error: ${e.message}`));
  void autoUpdater.checkForUpdates().catch((e: unknown) => log(`update check failed: ${e instanceof Error ? e.message : String(e)}`));
}
