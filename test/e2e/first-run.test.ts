// First run in Chromium: nothing listed → the certificate screen says what is missing (here: no
// USB-key driver on a Windows machine, so which CA's driver to install) and the portal's three steps.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CertificateServiceHandle } from '../../main/assistant/certificates.ts';
import { loadCaProfiles } from '../../main/pki/ca-profiles.ts';
import { chromiumMissingReason, noCertificatesService, startAssistantHost, type AssistantHost } from './host.ts';

const missing = chromiumMissingReason();

describe('first run in Chromium', { skip: missing ?? false }, () => {
  let host: AssistantHost;
  let certs: CertificateServiceHandle;
  before(async () => {
    // What a Windows machine without any CA driver gives: no driver to probe.
    certs = noCertificatesService({ probeDrivers: async () => [], platform: 'win32', profiles: loadCaProfiles() });
    host = await startAssistantHost({ certificates: certs, guide: null, portalOrigins: ['https://www.hbzwfw.gov.cn'] });
  });
  after(async () => {
    await host?.close();
    await certs?.closeAll();
  });

  test('no driver: says so, names the CAs whose driver to install, and shows 注册 → 绑定 → 登录', async () => {
    const page = host.assistant;
    const empty = page.getByTestId('first-run');
    await empty.waitFor();
    assert.equal(await empty.getAttribute('data-status'), 'no-driver');
    assert.match((await page.getByTestId('first-run-why').textContent()) ?? '', /本机没有找到 USB Key 驱动/);
    assert.match((await page.getByTestId('first-run-install').textContent()) ?? '', /河北CA/);
    // Driver file names are technical: folded until asked for.
    assert.equal(await page.getByTestId('first-run-tech').getByText(/HebcaP11X\.dll/).isVisible(), false);
    const steps = await page.getByTestId('portal-steps').locator('li strong').allTextContents();
    assert.deepEqual(steps, ['注册', '绑定', '登录']);
    assert.equal(await page.getByTestId('first-run-portal').count(), 1);
    for (const [w, h] of [[1366, 768], [1366, 697]] as const) {
      await page.setViewportSize({ width: w, height: h });
      const box = await page.getByTestId('first-run-portal').boundingBox();
      assert.ok(box && box.y + box.height <= h, `the portal button is on screen at ${w}x${h}: ${JSON.stringify(box)}`);
      await host.screenshot(page, `certificates-first-run-${w}x${h}`);
    }
    await page.getByTestId('lang-toggle').click();
    assert.match((await page.getByTestId('first-run-why').textContent()) ?? '', /^No USB key driver found/);
    assert.deepEqual(await page.getByTestId('portal-steps').locator('li strong').allTextContents(), ['Register', 'Bind', 'Log in']);
  });
});

if (missing) test('first run in Chromium', (t) => t.skip(missing));
