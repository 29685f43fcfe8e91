// The clerk's screens at the portal's 1366×768 and a maximised 768 screen (1366×697 client area):
// certificates, guide (with an expiry reminder), consent, PIN (after a wrong PIN) and 签名记录, each
// checked for what must stay in view and for text cut off by its box. UPDATE_SCREENSHOTS=1 also
// writes them to docs/screenshots/<screen>-<w>x<h>.png (the committed copies the issue asks for);
// without it they go to the host's temporary folder only, so `npm test` leaves the checkout clean.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { getTestPki } from '../fixtures/pki.ts';
import { CountingPinKey, TEST_PIN } from '../support/key-store.ts';
import { createCertificateService, type CertificateServiceHandle, type RegisteredStore } from '../../main/assistant/certificates.ts';
import { createExpiryReminderService } from '../../main/assistant/expiry-reminder-service.ts';
import { reminderStateFile } from '../../main/assistant/expiry-reminders.ts';
import { createGuideService } from '../../main/assistant/guide-service.ts';
import { createSignatureLogService } from '../../main/assistant/signature-log-service.ts';
import { SignatureLog } from '../../main/login/signature-log.ts';
import { loadTrustAnchors } from '../../main/pki/trust.ts';
import { chromiumMissingReason, clipped, startAssistantHost, type AssistantHost } from './host.ts';
import { startMiniPortal, type MiniPortal } from './mini-portal.ts';

/** Without a Chinese font every character is the missing-glyph box: such screenshots show nothing. */
function cjkFontMissingReason(): string | null {
  const r = spawnSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === '' ? 'no Chinese font installed (apt-get install fonts-wqy-microhei or fonts-noto-cjk)' : null;
}

const missing = chromiumMissingReason() ?? cjkFontMissingReason();
const SIZES = [[1366, 768], [1366, 697]] as const;
const DOCS_DIR = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const save = process.env['UPDATE_SCREENSHOTS'] === '1';

/** Each test id's box lies inside the viewport (not scrolled away, not below the fold). */
async function assertInView(page: Page, ids: readonly string[], w: number, h: number, screen: string): Promise<void> {
  for (const id of ids) {
    const box = await page.getByTestId(id).first().boundingBox();
    assert.ok(box && box.x >= 0 && box.y >= 0 && box.x + box.width <= w && box.y + box.height <= h, `${screen}: ${id} in view at ${w}x${h}: ${JSON.stringify(box)}`);
  }
}

/** The page never scrolls sideways, and no text inside `selector` is cut off by its box. */
async function assertFits(page: Page, selector: string, w: number, h: number, screen: string): Promise<void> {
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${screen}: no sideways scroll at ${w}x${h}`);
  assert.deepEqual(await clipped(page, selector), [], `${screen}: clipped text at ${w}x${h}`);
}

/** Two different characters drawn in the page's font differ: real glyphs, not the same .notdef box. */
async function assertChineseGlyphs(page: Page): Promise<void> {
  // Plain JS source: functions compiled by tsx carry `__name` helpers the page does not have.
  const same = await page.evaluate(`(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 48;
    canvas.height = 48;
    const g = canvas.getContext('2d');
    g.font = '32px ' + getComputedStyle(document.body).fontFamily;
    const draw = (ch) => {
      g.clearRect(0, 0, 48, 48);
      g.fillText(ch, 4, 36);
      return Array.from(g.getImageData(0, 0, 48, 48).data).join(',');
    };
    return draw('证') === draw('书');
  })()`);
  assert.equal(same, false, 'Chinese text renders as glyphs, not as boxes');
}

describe('the clerk\'s screens at 1366×768 and 1366×697', { skip: missing ?? false }, () => {
  let host: AssistantHost;
  let portal: MiniPortal;
  let certs: CertificateServiceHandle;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-e2e-shots-'));
  const keys: CountingPinKey[] = [];

  async function shoot(page: Page, screen: string, w: number, h: number): Promise<void> {
    const file = await host.screenshot(page, `${screen}-${w}x${h}`);
    if (save) {
      fs.mkdirSync(DOCS_DIR, { recursive: true });
      fs.copyFileSync(file, path.join(DOCS_DIR, `${screen}-${w}x${h}.png`));
    }
  }

  before(async () => {
    const pki = await getTestPki();
    // A USB key often holds only its own certificate: the trust folder carries the CA certificates.
    const anchors = loadTrustAnchors(['hebca', 'jit', 'cucca', 'bjca'].flatMap((ca) => [pki.get(`${ca}-root`).certPem, pki.get(`${ca}-ca`).certPem]), { includeBundled: false });
    // Four enterprises' USB keys (an agency's desk) and one whose certificate has expired.
    const stores: RegisteredStore[] = ['hebca-ent', 'jit-ent', 'cucca-ent', 'bjca-ent', 'neg-expired'].map((id, i) => {
      const key = new CountingPinKey(pki.get(id));
      keys.push(key);
      return { storeId: `usb-${i + 1}`, source: 'usb', label: `${id}.key`, store: key };
    });
    const log = new SignatureLog(path.join(dir, 'log'));
    certs = createCertificateService({
      now: () => new Date(), appVersion: '0.1.0-e2e', usbStores: () => stores, anchors: () => anchors,
      openPkcs12: async () => { throw new Error('no file in this test'); }, recordSignature: (r) => log.append(r),
    });
    portal = await startMiniPortal({ trustAnchors: anchors.map((a) => a.der) });
    const reminders = createExpiryReminderService({
      certificates: async () => (await certs.list()).certificates, now: () => new Date(), enabled: true, stateFile: reminderStateFile(dir),
    });
    host = await startAssistantHost({
      certificates: certs, guide: createGuideService(), portalOrigins: [portal.origin], reminders,
      signatures: createSignatureLogService(log, async () => null),
    });
  });
  after(async () => {
    await host?.close();
    await portal?.close();
    await certs?.closeAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('certificates, guide, consent, PIN and 签名记录: what matters in view, no text cut off', async () => {
    const page = host.assistant;
    const cards = page.getByTestId('cert-card');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="cert-card"]').length === 5);
    assert.equal(await cards.count(), 5);
    await assertChineseGlyphs(page);
    for (const [w, h] of SIZES) {
      await page.setViewportSize({ width: w, height: h });
      // Shot before the checks (here and below): a failing check still leaves the picture to look at.
      await shoot(page, 'certificates', w, h);
      await assertInView(page, ['open-pfx', 'expiry-notice'], w, h, 'certificates');
      // Every card's one line: name, USCC, CA, date, verdict, actions — all on screen in the list.
      for (let i = 0; i < 5; i++) {
        const box = await cards.nth(i).boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= w, `card ${i} fits sideways at ${w}: ${JSON.stringify(box)}`);
      }
      // A long name or DN may end in … on the one line when its full text is the title (shown on hover).
      await assertFits(page, '[data-testid="cert-card"] :is(h3, span, button, p):not([title])', w, h, 'certificates');
      assert.deepEqual(await clipped(page, '[data-testid="enterprise"]'), [], `certificates: every enterprise name whole at ${w}x${h}`);
    }

    // The guide, with the expired certificate's reminder and the CA's renewal path.
    await page.getByTestId('nav-guide').click();
    await page.getByTestId('expiry-reminder').first().waitFor();
    assert.match((await page.getByTestId('expiry-banner').textContent()) ?? '', /证书已过期：.*证书已于.*过期，请联系河北CA办理更新/);
    await page.getByTestId('guide-result').first().waitFor();
    for (const [w, h] of SIZES) {
      await page.setViewportSize({ width: w, height: h });
      await shoot(page, 'guide', w, h);
      await assertInView(page, ['expiry-reminder', 'reminder-dismiss', 'guide-search', 'guide-total'], w, h, 'guide');
      await assertFits(page, '.guide :is(h1, button, label, span, p, strong)', w, h, 'guide');
    }
    // The manual reads as paragraphs, not the source's hard-wrapped fragments.
    await page.getByTestId('guide-tab-manual').click();
    await page.getByTestId('manual').getByRole('button', { name: '3.1.1 用户基本信息填写' }).click();
    await page.getByTestId('manual').locator('.manual-text h2').filter({ hasText: '3.1.1' }).waitFor();
    const paragraphs = await page.locator('.manual-text p.prose').allTextContents();
    assert.equal(paragraphs.length, 2, paragraphs.join(' | '));
    assert.match(paragraphs[0]!, /系统发送验证码至您的手机，请将其填至“验证码”栏内。$/);
    await page.getByTestId('guide-tab-browse').click();

    // The consent with four candidates: the header (title, 预留信息, origin, enterprise) and the footer stay in view.
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('reserved-phrase').fill('春天的山楂树');
    await page.getByTestId('reserved-save').click();
    const portalPage = await host.openPortalPage(`${portal.origin}/`);
    await portalPage.click('#login');
    await page.getByTestId('consent').waitFor();
    assert.equal(await page.getByTestId('consent-cert').count(), 4, 'the expired certificate is not offered');
    const header = ['consent-title', 'consent-reserved', 'consent-origin', 'consent-chosen'];
    const footer = ['consent-pin', 'consent-submit', 'consent-cancel'];
    for (const [w, h] of SIZES) {
      await page.setViewportSize({ width: w, height: h });
      await shoot(page, 'consent', w, h);
      await assertInView(page, [...header, ...footer], w, h, 'consent');
      await assertFits(page, '[data-testid="consent"] :is(h2, p, span, strong, label, button, legend)', w, h, 'consent');
      assert.deepEqual(await clipped(page, '.consent .choice-name'), [], `consent: every candidate's name whole at ${w}x${h}`);
    }

    // A wrong PIN: the error, the tries left and 确认登录 are on screen, the PIN field has focus again.
    await page.getByTestId('consent-pin').fill('000000');
    await page.getByTestId('consent-submit').click();
    await page.getByTestId('pin-status').waitFor();
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'consent-pin');
    assert.match((await page.getByTestId('pin-status').textContent()) ?? '', /PIN 码错误.*还可以尝试 5 次/);
    for (const [w, h] of SIZES) {
      await page.setViewportSize({ width: w, height: h });
      await shoot(page, 'pin', w, h);
      await assertInView(page, [...header, 'pin-status', ...footer], w, h, 'pin');
      await assertFits(page, '[data-testid="consent"] :is(h2, p, span, strong, label, button, legend, div.note)', w, h, 'pin');
    }
    await page.getByTestId('consent-pin').fill(TEST_PIN);
    await page.getByTestId('consent-submit').click();
    await portalPage.locator('#result').filter({ hasText: '"ok":true' }).waitFor();

    // 签名记录 with that login.
    await page.getByTestId('nav-signatures').click();
    await page.getByTestId('sig-row').first().waitFor();
    for (const [w, h] of SIZES) {
      await page.setViewportSize({ width: w, height: h });
      await shoot(page, 'signature-log', w, h);
      await assertInView(page, ['sig-export', 'sig-filter-cert', 'sig-row'], w, h, 'signature-log');
      await assertFits(page, '[data-testid="signatures"] :is(h1, p, label, button, th)', w, h, 'signature-log');
    }
  });
});

if (missing) test('the clerk\'s screens at 1366×768 and 1366×697', (t) => t.skip(missing));
