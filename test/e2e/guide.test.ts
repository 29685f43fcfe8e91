// The guide's item page in Chromium at the portal's recommended 1366x768 and a maximised 768 screen
// (1366x697): unknown fields folded into 更多信息, no 可网办 claim the data does not make, and English
// labels that wrap or widen their column instead of being clipped.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CertificateServiceHandle } from '../../main/assistant/certificates.ts';
import { createGuideService } from '../../main/assistant/guide-service.ts';
import { chromiumMissingReason, clipped, noCertificatesService, startAssistantHost, type AssistantHost } from './host.ts';

const missing = chromiumMissingReason();

describe('guide item page in Chromium', { skip: missing ?? false }, () => {
  let host: AssistantHost;
  let certs: CertificateServiceHandle;
  before(async () => {
    certs = noCertificatesService();
    host = await startAssistantHost({ certificates: certs, guide: createGuideService(), portalOrigins: ['https://www.hbzwfw.gov.cn'] });
  });
  after(async () => {
    await host?.close();
    await certs?.closeAll();
  });

  test('unknown fields fold into 更多信息, no 可网办 claim, English labels unclipped at 1366x697', async () => {
    const page = host.assistant;
    await page.getByTestId('nav-guide').click();
    await page.getByTestId('guide-search').fill('营业执照');
    const row = page.getByTestId('guide-result').filter({ hasText: '企业设立登记' }).first();
    await row.waitFor();
    // The catalogue does not say whether it is online: no badge either way.
    assert.equal(await row.getByTestId('online-badge').count(), 0);
    await row.getByRole('button').click();
    const item = page.getByTestId('guide-item');
    await item.waitFor();
    const text = (await item.textContent()) ?? '';
    assert.doesNotMatch(text, /未知|可网办|在线办理/);
    assert.equal(await page.getByTestId('go-portal').count(), 1);
    assert.equal(await page.getByTestId('guide-more-info').count(), 1);
    assert.equal(await page.getByTestId('guide-more-info').getByText(/法定时限/).isVisible(), false, 'folded until asked for');
    assert.deepEqual(await item.locator('.guide-facts dt').allTextContents(), ['事项类型', '实施主体', '服务对象']);
    for (const [w, h] of [[1366, 768], [1366, 697]] as const) {
      await page.setViewportSize({ width: w, height: h });
      await host.screenshot(page, `guide-item-${w}x${h}`);
    }
    await page.getByTestId('guide-more-info').locator('summary').click();
    assert.equal(await page.getByTestId('guide-more-info').getByText(/法定时限/).isVisible(), true);

    await page.getByTestId('lang-toggle').click();
    await item.getByText('More information').waitFor();
    assert.deepEqual(await item.locator('.guide-facts dt').allTextContents(), ['Item type', 'Department', 'For']);
    assert.deepEqual(await clipped(page, '[data-testid="guide-item"] :is(dt, dd, h2, h3, summary, button, p)'), []);
    await host.screenshot(page, 'guide-item-en-1366x697');
    // The list and its filters in English: the long labels (For legal persons, By department) fit.
    await page.getByRole('button', { name: /Back/ }).click();
    await page.getByTestId('guide-search').waitFor();
    assert.deepEqual(await clipped(page, '.guide :is(button, label, span, h1, p, .segmented, .subtabs)'), []);
    await host.screenshot(page, 'guide-browse-en-1366x697');
    await page.getByTestId('lang-toggle').click();
    await page.setViewportSize({ width: 1200, height: 820 });
  });
});

if (missing) test('guide item page in Chromium', (t) => t.skip(missing));
