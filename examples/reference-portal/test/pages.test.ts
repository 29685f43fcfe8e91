// The portal's pages in Chromium: register → password login → 认证统一社会信用代码 through
// window.certAssistant → logout → 企业数字证书登录, with no page errors and no CSP violations.
// window.certAssistant here is a stand-in that signs with the product's createLoginToken.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { buildPortal } from '../app.ts';
import { getTestPki, loginToken, repoGuideSource, testTrustAnchors, type TestPki } from '../../../test/support/portal-kit.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const missing = existsSync(CHROMIUM) ? null : `Chromium not found at ${CHROMIUM}`;

let pki: TestPki;
let app: FastifyInstance;
let browser: Browser;
let origin = '';

before(async () => {
  if (missing) return;
  pki = await getTestPki();
  app = await buildPortal({ dbFile: ':memory:', origin: () => origin, trustAnchors: testTrustAnchors(pki), guide: repoGuideSource() });
  await app.listen({ host: '127.0.0.1', port: 0 });
  origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
after(async () => {
  await browser?.close();
  await app?.close();
});

test('pages: register, sign in, bind with the assistant, certificate login', { skip: missing ?? false, timeout: 120_000 }, async () => {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  // API refusals (401 while signed out) are expected; anything else on the console (CSP!) is not.
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`); });
  page.on('response', (r) => { if (r.status() === 404) problems.push(`404: ${r.url()}`); });
  await page.exposeFunction('__portalTestSign', (challenge: string) => loginToken(pki, 'hebca-ent', { origin, challenge }));

  await page.goto(`${origin}/`);
  await page.waitForSelector('#items-title');
  await page.click('button[data-level=county]');
  await page.waitForFunction(() => !document.querySelector('#county-select')?.hasAttribute('hidden'));

  await page.goto(`${origin}/register.html`);
  const fields: Record<string, string> = {
    orgName: '河北冀信测试科技有限公司', uscc: '91130104ma0he3b82k', leaderName: '张三', leaderIdNumber: '11010519491231002X',
    legalPersonName: '李四', legalPersonIdNumber: '11010519491231002X', username: 'pageuser1', password: 'Qiye#2026pw', password2: 'Qiye#2026pw',
  };
  for (const [k, v] of Object.entries(fields)) await page.fill(`[name=${k}]`, v);
  await page.click('#register-form button[type=submit]');
  assert.match(await page.textContent('#register-msg') ?? '', /注册协议/, 'the agreement must be accepted');
  await page.check('#agree');
  await page.click('#register-form button[type=submit]');
  await page.waitForURL('**/login.html');

  await page.fill('[name=username]', 'pageuser1');
  await page.fill('[name=password]', 'wrong-Pass1');
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#login-msg.show');
  assert.match(await page.textContent('#login-msg') ?? '', /用户名或密码错误/);
  await page.fill('[name=password]', 'Qiye#2026pw');
  await page.click('#login-form button[type=submit]');
  await page.waitForURL('**/account.html');
  await page.waitForSelector('#account-card:not([hidden])');
  const info = await page.textContent('#account-info') ?? '';
  assert.ok(info.includes('91130104MA0HE3B82K') && info.includes('企业法人'));
  assert.ok(!info.includes('11010519491231002X'), 'ID numbers are masked');
  assert.ok(await page.isVisible('#bind-missing'), 'without the assistant the page says so');

  // Inside 证书助手 the embedded portal has window.certAssistant (a plain string: no test-runner helpers leak in).
  await page.addInitScript({ content: 'window.certAssistant = { authenticate: async (req) => ({ token: await window.__portalTestSign(req.challenge) }) };' });
  await page.reload();
  await page.click('#bind-button');
  await page.waitForSelector('#bind-msg.show');
  assert.match(await page.textContent('#bind-msg') ?? '', /绑定成功/);
  assert.equal(await page.locator('#cert-table tbody tr').count(), 1);

  await page.click('#user-area button');
  await page.waitForURL(`${origin}/`);
  await page.goto(`${origin}/login-cert.html`);
  await page.click('#cert-login');
  await page.waitForURL('**/account.html');
  await page.waitForSelector('#account-card:not([hidden])');
  assert.match(await page.textContent('#user-area') ?? '', /pageuser1/);

  const rows = app.portalDb.prepare("SELECT result FROM audit_log WHERE action = 'login' AND method = 'certificate'").all() as { result: string }[];
  assert.deepEqual(rows.map((r) => r.result), ['ok']);

  // A clerk who closes the assistant's consent sees a neutral 已取消登录: no red error, no code.
  await page.addInitScript({ content: 'window.certAssistant = { authenticate: async () => { throw { code: "USER_CANCELLED", message: "用户取消了操作" }; } };' });
  await page.click('#user-area button');
  await page.waitForURL(`${origin}/`);
  await page.goto(`${origin}/login-cert.html`);
  await page.click('#cert-login');
  await page.waitForSelector('#cert-msg.show');
  assert.equal(await page.textContent('#cert-msg'), '已取消登录');
  assert.match(await page.getAttribute('#cert-msg', 'class') ?? '', /\binfo\b/);
  assert.deepEqual(problems, []);
});
