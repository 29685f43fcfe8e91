// Expiry reminders in Chromium: a real certificate (the test PKI's 河北CA enterprise PFX) seven days
// before its notAfter shows a banner in the guide with the CA's renewal path; 知道了 silences it
// (kept in the state file, so a reload keeps it quiet) until the next threshold (1 day left); a
// tray entry or notice click (the app:show event main/app sends) brings the certificate screen.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getTestPki } from '../fixtures/pki.ts';
import { createCertificateService, type CertificateServiceHandle } from '../../main/assistant/certificates.ts';
import { createExpiryReminderService } from '../../main/assistant/expiry-reminder-service.ts';
import { reminderStateFile } from '../../main/assistant/expiry-reminders.ts';
import { Pkcs12KeyStore } from '../../main/keystores/pkcs12/index.ts';
import { loadTrustAnchors } from '../../main/pki/trust.ts';
import { chromiumMissingReason, startAssistantHost, type AssistantHost } from './host.ts';

const missing = chromiumMissingReason();
const DAY = 86_400_000;

describe('expiry reminders in Chromium', { skip: missing ?? false }, () => {
  let host: AssistantHost;
  let certs: CertificateServiceHandle;
  let now = new Date();
  let notAfter: Date;
  let enterprise: string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-e2e-reminders-'));
  before(async () => {
    const pki = await getTestPki();
    const ent = pki.get('hebca-ent');
    const anchors = loadTrustAnchors([pki.get('hebca-root').certPem], { includeBundled: false });
    certs = createCertificateService({
      now: () => now, appVersion: '0.1.0-e2e', usbStores: () => [], anchors: () => anchors,
      openPkcs12: (p, password) => Pkcs12KeyStore.open(p, { password }),
    });
    const [c] = (await certs.openPfx(ent.pfx!.modern!, ent.pfx!.password)).certificates;
    notAfter = new Date(c!.notAfter);
    enterprise = c!.enterpriseName;
    // Seven calendar days before the last valid day, in the clerk's morning.
    now = new Date(notAfter.getTime() - 7 * DAY - 3_600_000);
    const reminders = createExpiryReminderService({
      certificates: async () => (await certs.list()).certificates, now: () => now, enabled: true, stateFile: reminderStateFile(dir),
    });
    host = await startAssistantHost({ certificates: certs, guide: null, portalOrigins: ['https://www.hbzwfw.gov.cn'], reminders });
  });
  after(async () => {
    await host?.close();
    await certs?.closeAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the guide shows who, when and the renewal path; 知道了 holds until 1 day is left; app:show opens the certificates', async () => {
    const page = host.assistant;
    await page.getByTestId('nav-guide').click();
    const banner = page.getByTestId('expiry-reminder');
    await banner.waitFor();
    assert.equal(await banner.count(), 1);
    assert.equal(await banner.getAttribute('data-threshold'), '7');
    const text = (await banner.textContent()) ?? '';
    assert.match(text, new RegExp(`证书即将到期：${enterprise}`));
    assert.match(text, /（7天后），请尽快联系河北CA办理更新（https:\/\/www\.hebca\.com，可在线更新或到服务网点办理）/);
    await banner.getByTestId('reminder-renew').click();
    assert.deepEqual(host.opened, ['https://www.hebca.com/']);
    await page.getByTestId('lang-toggle').click();
    assert.match((await banner.textContent()) ?? '', /Certificate expiring: .*expires in 7 days.*renew it with HEBCA \(https:\/\/www\.hebca\.com/);
    assert.equal(await banner.getByTestId('reminder-dismiss').textContent(), 'Got it');
    await page.getByTestId('lang-toggle').click();

    await banner.getByTestId('reminder-dismiss').click();
    await page.getByTestId('expiry-banner').waitFor({ state: 'detached' });
    // Quiet after a reload too: the dismissal is in the state file, not in the page.
    await page.reload();
    await page.getByTestId('nav-guide').click();
    await page.getByTestId('guide-tab-browse').waitFor();
    assert.equal(await page.getByTestId('expiry-banner').count(), 0);
    // One day left: the next threshold, the banner is back (the list reloads on certs:changed).
    now = new Date(notAfter.getTime() - 1 * DAY - 3_600_000);
    await page.evaluate(() => (window as unknown as { __assistantEmit: (e: string, p: unknown) => void }).__assistantEmit('certs:changed', { reason: 'test' }));
    await banner.waitFor();
    assert.equal(await banner.getAttribute('data-threshold'), '1');
    assert.match((await banner.textContent()) ?? '', /（1天后）/);

    // What main/app sends when a tray entry or a notice is clicked.
    await page.evaluate(() => (window as unknown as { __assistantEmit: (e: string, p: unknown) => void }).__assistantEmit('app:show', { screen: 'certs' }));
    await page.getByTestId('cert-card').first().waitFor();
    assert.equal(await page.getByTestId('nav-certs').getAttribute('aria-current'), 'page');
    assert.match((await page.getByTestId('expiry').first().textContent()) ?? '', /1天后/);
  });
});

if (missing) test('expiry reminders in Chromium', (t) => t.skip(missing));
