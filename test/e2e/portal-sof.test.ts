/**
 * The reference portal's 证书登录（CA 助手兼容） page in real Chromium over 127.0.0.1, logging in through
 * a real `cert-assistant bridge` process (ports bound to 0, consents answered on stdin): user list →
 * SOF_Login (the page's PIN, which is never used) → export → dates → SOF_VerifySignedData of the
 * portal's signature → SOF_SignData of the random → form post → the portal's session names the
 * enterprise. RSA and SM2 PFX files, and an RSA key on SoftHSM2; Deny → the page's error path and no
 * session; a portal origin not on the allow-list sees no certificate at all.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildPortal } from '../../examples/reference-portal/app.ts';
import { cookieOf, getTestPki, loginToken, residentId, testTrustAnchors, type TestPki } from '../support/portal-kit.ts';
import { startCliBridge, type BridgeEvent, type RunningCli } from '../support/bridge.ts';
import { createSoftHsmToken, softHsmAvailable, SOFTHSM_MODULE } from '../support/softhsm.ts';
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissingReason } from './host.ts';

const missing = chromiumMissingReason();
const PASSWORD = 'Qiye#2026pw';
const PAGE_PIN = 'page-typed-pin-000';
const ENTERPRISES = ['bjca-ent', 'hebca-sm2-ent'] as const;

interface Portal {
  app: FastifyInstance;
  origin: string;
}

/** A reference portal on 127.0.0.1:0 with the SOF page on (the portal's own certificate signs its randoms). */
async function startPortal(pki: TestPki): Promise<Portal> {
  const server = pki.get('gdca-ent');
  let origin = '';
  const app = await buildPortal({
    dbFile: ':memory:', origin: () => origin, trustAnchors: testTrustAnchors(pki), guide: null,
    intermediates: Object.values(pki.entries).filter((e) => e.kind === 'intermediate').map((e) => new Uint8Array(fs.readFileSync(e.certDer))),
    loginRateLimit: { max: 10_000, timeWindowMs: 60_000 },
    sofServer: { certificatePem: fs.readFileSync(server.certPem, 'utf8'), privateKeyPem: fs.readFileSync(server.keyPem, 'utf8') },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  return { app, origin };
}

/** Registers the entry's enterprise and binds its certificate (with a cert-login:1 token), as a clerk does once. */
async function registerAndBind(p: Portal, pki: TestPki, id: string, n: number): Promise<void> {
  const e = pki.get(id);
  const H = { origin: p.origin, 'x-requested-with': 'cert-portal' };
  const username = `sof${n}user`;
  const reg = await p.app.inject({ method: 'POST', url: '/api/accounts', headers: H, payload: {
    kind: 'legal', username, password: PASSWORD, orgName: e.expect.enterpriseName, uscc: e.expect.uscc,
    leaderName: '张三', leaderIdNumber: residentId(`1301021980010100${n}`), legalPersonName: '李四', legalPersonIdNumber: residentId(`1301041975061500${n}`),
  } });
  assert.equal(reg.statusCode, 201, reg.body);
  const signIn = await p.app.inject({ method: 'POST', url: '/api/session/password', headers: H, payload: { username, password: PASSWORD } });
  const issued = await p.app.inject({ method: 'GET', url: '/api/challenge' });
  const token = await loginToken(pki, id, { origin: p.origin, challenge: issued.json().challenge as string });
  const bind = await p.app.inject({
    method: 'POST', url: '/api/account/certificate', payload: { token },
    headers: { ...H, cookie: `${cookieOf(signIn, 'portal_session')}; ${cookieOf(issued, 'portal_presession')}` },
  });
  assert.equal(bind.statusCode, 200, bind.body);
}

const bridgePort = (cli: RunningCli): number => Number(new URL(cli.bjca).port);

/** The page as a clerk uses it: pick the certificate by its name, type a PIN in the page, press 登录. */
async function loginOnPage(page: Page, portal: Portal, cli: RunningCli, certificateName: string): Promise<void> {
  // No session left over from an earlier login: whatever session there is afterwards, this login made.
  await page.context().clearCookies();
  await page.goto(`${portal.origin}/login-sof.html?bridgePort=${bridgePort(cli)}`);
  await page.waitForFunction((name) => Array.from(document.querySelectorAll('#sof-cert option')).some((o) => o.textContent === name), certificateName);
  await page.selectOption('#sof-cert', { label: certificateName });
  await page.fill('#sof-pin', PAGE_PIN);
  await page.click('#sof-login');
}

const session = (page: Page) => page.evaluate(async () => {
  const r = await fetch('/api/session', { credentials: 'same-origin' });
  return { status: r.status, body: await r.json() as { method?: string; account?: { orgName: string; uscc: string } } };
});

describe('证书登录（CA 助手兼容） in Chromium through cert-assistant bridge', { skip: missing ?? false }, () => {
  let pki: TestPki;
  let tmp: string;
  let portal: Portal;
  let stranger: Portal;
  let cli: RunningCli;
  let context: BrowserContext;
  let answer: (e: BridgeEvent) => string = () => 'allow 123456';
  const problems: string[] = [];

  before(async () => {
    pki = await getTestPki();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-portal-sof-'));
    portal = await startPortal(pki);
    stranger = await startPortal(pki);
    for (const [i, id] of ENTERPRISES.entries()) await registerAndBind(portal, pki, id, i + 1);
    cli = await startCliBridge(['--pfx', pki.get('bjca-ent').pfx!.modern!, '--pfx', pki.get('hebca-sm2-ent').pfx!.modern!, '--allow-origin', portal.origin, '--protocol', 'bjca'], { answer: (e) => answer(e) });
    context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    context.on('page', (p) => p.on('pageerror', (e) => problems.push(e.message)));
  });
  after(async () => {
    await context?.close();
    await cli?.stop();
    await portal?.app.close();
    await stranger?.app.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const id of ENTERPRISES) {
    test(`${id}: the page logs in, the portal's session names the enterprise; one login consent, the page's PIN unused`, async () => {
      const entry = pki.get(id);
      const consentsBefore = cli.events.filter((e) => e.event === 'consent').length;
      const signedBefore = cli.events.filter((e) => e.event === 'signed').length;
      const page = await context.newPage();
      await loginOnPage(page, portal, cli, entry.expect.enterpriseName!);
      await page.waitForURL('**/account.html', { timeout: 30_000 });
      const s = await session(page);
      assert.equal(s.status, 200);
      assert.equal(s.body.method, 'sof');
      assert.equal(s.body.account?.orgName, entry.expect.enterpriseName);
      assert.equal(s.body.account?.uscc, entry.expect.uscc);

      const consents = cli.events.filter((e) => e.event === 'consent').slice(consentsBefore).filter((e) => e['operation'] !== 'open');
      assert.equal(consents.length, 1, 'exactly one consent: the login signature');
      assert.equal(consents[0]!['origin'], portal.origin);
      assert.equal(consents[0]!['operation'], 'login');
      assert.equal((consents[0]!['certificate'] as Record<string, unknown>)['uscc'], entry.expect.uscc);
      const signed = await cli.waitFor('signed', signedBefore);
      assert.equal(signed['origin'], portal.origin);
      assert.equal(signed['uscc'], entry.expect.uscc);
      assert.ok(!JSON.stringify(cli.events).includes(PAGE_PIN), 'the page PIN appears nowhere');
      await page.close();
    });
  }

  test('the PIN comes from the consent line, never from the page: a consent without a PIN fails even though the page typed the right one', async () => {
    const entry = pki.get('bjca-ent');
    answer = () => 'allow';
    try {
      await context.clearCookies();
      const page = await context.newPage();
      await page.goto(`${portal.origin}/login-sof.html?bridgePort=${bridgePort(cli)}`);
      await page.waitForFunction((name) => Array.from(document.querySelectorAll('#sof-cert option')).some((o) => o.textContent === name), entry.expect.enterpriseName!);
      await page.selectOption('#sof-cert', { label: entry.expect.enterpriseName! });
      await page.fill('#sof-pin', '123456');
      await page.click('#sof-login');
      await page.waitForSelector('#sof-msg.show.error');
      assert.match(await page.textContent('#sof-msg') ?? '', /签名失败或已被拒绝/);
      assert.match(page.url(), /login-sof\.html/);
      assert.equal((await session(page)).status, 401);
      await page.close();
    } finally {
      answer = () => 'allow 123456';
    }
  });

  test('Deny at the consent: the page shows its error and the portal has no session', async () => {
    const entry = pki.get('hebca-sm2-ent');
    answer = (e) => (e['operation'] === 'login' ? 'deny' : 'allow 123456');
    const signedBefore = cli.events.filter((e) => e.event === 'signed').length;
    try {
      const page = await context.newPage();
      await loginOnPage(page, portal, cli, entry.expect.enterpriseName!);
      await page.waitForSelector('#sof-msg.show.error');
      assert.match(await page.textContent('#sof-msg') ?? '', /签名失败或已被拒绝（错误码 184550145）/, 'SOF_GetLastError = 0x0B000301, user refused');
      assert.match(page.url(), /login-sof\.html/);
      assert.equal((await session(page)).status, 401);
      assert.equal(cli.events.filter((e) => e.event === 'signed').length, signedBefore, 'nothing was signed');
      await page.close();
    } finally {
      answer = () => 'allow 123456';
    }
  });

  test('a portal origin not on the allow-list sees no certificate: the socket is refused at the handshake', async () => {
    const refusedBefore = cli.events.filter((e) => e.event === 'refused').length;
    await context.clearCookies();
    const page = await context.newPage();
    const frames: string[] = [];
    page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(String(f.payload))));
    await page.goto(`${stranger.origin}/login-sof.html?bridgePort=${bridgePort(cli)}`);
    await page.waitForSelector('#sof-msg.show');
    assert.match(await page.textContent('#sof-msg') ?? '', /未检测到证书助手/);
    assert.equal(await page.locator('#sof-cert option').count(), 0);
    assert.deepEqual(frames, [], 'not one protocol frame reached the page');
    const refused = await cli.waitFor('refused', refusedBefore);
    assert.equal(refused['origin'], stranger.origin);
    assert.equal(refused['reason'], 'origin-not-allowed');
    await page.click('#sof-login');
    assert.equal((await session(page)).status, 401);
    await page.close();
  });

  test('the SoftHSM2 RSA key (PKCS#11) logs in through the page too', { skip: softHsmAvailable() ? false : 'SoftHSM2/OpenSC not installed' }, async () => {
    const entry = pki.get('bjca-ent');
    const token = createSoftHsmToken('portal-sof-rsa', [{ id: '01', label: 'bjca-ent', certDer: entry.certDer, keyPem: entry.keyPem }]);
    const hsm = await startCliBridge(['--module', SOFTHSM_MODULE, '--allow-origin', portal.origin, '--protocol', 'bjca'], { answer: () => 'allow 123456', env: token.env });
    try {
      await context.clearCookies();
      const page = await context.newPage();
      await page.goto(`${portal.origin}/login-sof.html?bridgePort=${bridgePort(hsm)}`);
      await page.waitForFunction(() => document.querySelectorAll('#sof-cert option').length > 0);
      await page.fill('#sof-pin', PAGE_PIN);
      await page.click('#sof-login');
      await page.waitForURL('**/account.html', { timeout: 30_000 });
      const s = await session(page);
      assert.equal(s.body.method, 'sof');
      assert.equal(s.body.account?.uscc, entry.expect.uscc);
      const consent = await hsm.waitFor('consent');
      assert.equal(consent['operation'], 'login');
      await page.close();
    } finally {
      await hsm.stop();
      token.cleanup();
    }
  });

  test('no page errors on the way', () => {
    assert.deepEqual(problems, []);
  });
});
