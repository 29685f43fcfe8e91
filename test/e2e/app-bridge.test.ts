/**
 * The app's bridge in Chromium: a page from an allowed origin calls the BJCA protocol on the
 * bridge the app serves (main/assistant/app-bridge.ts, the bridge process forked as the app's
 * utilityProcess would be), and the consent comes up on the assistant's own Consent screen (the
 * built renderer on the same handler table main/app binds). A wrong PIN is typed again in the same
 * consent; the page gets a signature OpenSSL-compatible RSA verification accepts. A port held by
 * another program shows on the certificate screen. Ports: 0, or held by the test.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { createCertificateService, type RegisteredStore } from '../../main/assistant/certificates.ts';
import { startAppBridge, type AppBridge } from '../../main/assistant/app-bridge.ts';
import { forkBridgeTransport } from '../../main/bridge/process-host.ts';
import { createConsentSlot } from '../../main/login/signing-path.ts';
import { getTestPki, type PkiEntry } from '../fixtures/pki.ts';
import { CountingPinKey, TEST_PIN } from '../support/key-store.ts';
import { chromiumMissingReason, startAssistantHost, type AssistantHost } from './host.ts';
import { caCompatPage } from '../support/ca-page.ts';

const missing = chromiumMissingReason();

const PAGE = caCompatPage(`
async function login(url, random) {
  const call = await bjca(url);
  const user = (await call('SOF_GetUserList')).split('&&&').filter(Boolean).map((u) => u.split('||'))[0];
  await call('SOF_Login', user[1], '111111');
  const cert = await call('SOF_ExportUserCert', user[1]);
  const signed = await call('SOF_SignData', user[1], random);
  return signed ? { UserCert: cert, UserSignedData: signed } : { error: await call('SOF_GetLastError') };
}
`);

describe('the app serves the bridge: the consent is on the assistant\'s own screen', { skip: missing ?? false }, () => {
  let host: AssistantHost;
  let bridge: AppBridge;
  let entry: PkiEntry;
  let page: { origin: string; close(): void };
  let holder: net.Server;
  let held: number;

  before(async () => {
    entry = (await getTestPki()).get('bjca-ent');
    const reg: RegisteredStore = { storeId: 'usb-1', source: 'usb', label: 'softkey', store: new CountingPinKey(entry) };
    const certificates = createCertificateService({
      now: () => new Date(), appVersion: '0.1.0-e2e', usbStores: () => [reg],
      openPkcs12: async () => { throw new Error('unused'); }, anchors: () => [],
    });
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    });
    page = await new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
      const a = server.address() as net.AddressInfo;
      resolve({ origin: `http://127.0.0.1:${a.port}`, close: () => server.close() });
    }));
    holder = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => holder.listen({ host: '127.0.0.1', port: 0 }, () => r()));
    held = (holder.address() as net.AddressInfo).port;
    const slot = createConsentSlot();
    let current: AppBridge | null = null;
    host = await startAssistantHost({
      certificates, guide: null, portalOrigins: [page.origin], consentSlot: slot,
      bridge: { status: () => current!.status() },
    });
    bridge = await startAppBridge({
      policy: { bridgeEnabled: true, bridgeProtocols: ['bjca', 'hebca'], bridgeAcceptPagePin: false, allowedOrigins: [page.origin] },
      tls: null, stores: () => certificates.stores(), presenter: host.ipc.bridgeConsent, slot,
      siteName: () => '测试门户', record: async () => {}, transport: () => forkBridgeTransport(),
      now: () => new Date(), randomId: () => `b${randomBytes(6).toString('hex')}`,
      ports: { bjcaWs: 0, bjcaWss: 0, hebca: held },
    });
    current = bridge;
  });
  after(async () => {
    await host?.close();
    await bridge?.stop();
    page?.close();
    holder?.close();
  });

  test('page login through the bridge: consent in the assistant, wrong PIN typed again, signature to the page', async () => {
    const url = bridge.status().endpoints.find((u) => u.endsWith('/xtxapp/'))!;
    const p = await host.context.newPage();
    await p.goto(`${page.origin}/`);
    const random = randomBytes(24).toString('base64');
    const result = p.evaluate(([u, r]) => (window as unknown as { login(u: string, r: string): Promise<Record<string, string>> }).login(u, r), [url, random] as [string, string]);
    const a = host.assistant;
    const consent = a.getByTestId('consent');
    await consent.waitFor();
    assert.match(await a.getByTestId('consent-origin').innerText(), /测试门户[\s\S]*127\.0\.0\.1/);
    assert.match(await a.locator('#consent-title').innerText(), /登录确认/);
    assert.equal(await a.getByTestId('consent-content').count(), 0, 'a login random shows no content preview');
    assert.equal(await a.getByTestId('consent-cert').count(), 1, 'the one certificate the page chose');
    await a.getByTestId('consent-pin').fill('000000');
    await a.getByTestId('consent-submit').click();
    await a.getByTestId('pin-status').filter({ hasText: 'PIN 码错误' }).waitFor();
    await a.getByTestId('consent-pin').fill(TEST_PIN);
    await a.getByTestId('consent-submit').click();
    await consent.waitFor({ state: 'detached' });
    const r = await result;
    assert.ok(r['UserSignedData'], JSON.stringify(r));
    assert.ok(verify('sha256', Buffer.from(random), createPublicKey(fs.readFileSync(entry.certPem)), Buffer.from(r['UserSignedData']!, 'base64')));
    await p.close();
  });

  test('the certificate screen says which port another program holds', async () => {
    const a = host.assistant;
    await a.getByTestId('nav-certs').click();
    const line = a.getByTestId('bridge-status');
    await line.waitFor();
    assert.match(await line.innerText(), new RegExp(`端口 ${held} 已被其他程序占用`));
  });
});
