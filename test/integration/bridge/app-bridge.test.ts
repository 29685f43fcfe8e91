/**
 * The app serves the bridge (main/assistant/app-bridge.ts): the bridge process (forked here; a
 * utilityProcess in Electron — the same entry) answers a real WebSocket client, its consent
 * appears on the assistant's Consent screen through the IPC handler table (consent:requested,
 * consent:submit / consent:cancel), it shares the embedded portal's consent slot, and every
 * signature lands in the signature log. A real listener holds one port: the bridge leaves it
 * alone and says so. Ports are always 0 or taken by the test, never the CAs' standard ones.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createAssistantIpc, type AssistantIpc } from '../../../main/assistant/ipc-handlers.ts';
import { createCertificateService, type RegisteredStore } from '../../../main/assistant/certificates.ts';
import { bridgeStartOptions, bridgeStatusView, bridgeTlsDir, startAppBridge, type AppBridge, type BridgePolicy } from '../../../main/assistant/app-bridge.ts';
import { forkBridgeTransport } from '../../../main/bridge/process-host.ts';
import { SignatureLog } from '../../../main/login/signature-log.ts';
import { createConsentSlot, type ConsentSlot } from '../../../main/login/signing-path.ts';
import { createPortalOriginAllowList } from '../../../common/portal-origins.ts';
import type { AssistantEvents, ConsentRequestView } from '../../../common/ipc-contract.ts';
import type { AssistantWorld } from '../../../main/assistant/world.ts';
import { getTestPki, type PkiEntry } from '../../fixtures/pki.ts';
import { CountingPinKey, TEST_PIN } from '../../support/key-store.ts';
import { BjcaClient, HebcaClient } from '../../support/bridge.ts';
import { scratchDir } from '../../support/scratch.ts';

const ORIGIN = 'http://127.0.0.1:8941';
const APP = { frameUrl: 'app://assistant/index.html' };
const PORTAL = { frameUrl: `${ORIGIN}/login` };

const pki = await getTestPki();
const dir = scratchDir('ca-app-bridge-');

interface Rig {
  ipc: AssistantIpc;
  events: Array<{ name: keyof AssistantEvents; payload: unknown }>;
  bridge: AppBridge;
  key: CountingPinKey;
  log: SignatureLog;
  slot: ConsentSlot;
  entry: PkiEntry;
  nextConsent(): Promise<ConsentRequestView>;
  stop(): Promise<void>;
}

async function rig(policy: Partial<BridgePolicy>, ports: { bjcaWs?: number; hebca?: number } = {}): Promise<Rig> {
  const entry = pki.get('hebca-ent');
  const key = new CountingPinKey(entry);
  const reg: RegisteredStore = { storeId: 'usb-1', source: 'usb', label: 'softkey', store: key };
  const logDir = fs.mkdtempSync(path.join(dir, 'log-'));
  const log = new SignatureLog(logDir);
  const certificates = createCertificateService({
    now: () => new Date(), appVersion: '0.1.0', usbStores: () => [reg],
    openPkcs12: async () => { throw new Error('unused'); }, anchors: () => [],
  });
  const slot = createConsentSlot();
  const events: Rig['events'] = [];
  const waiters: Array<() => void> = [];
  let n = 0;
  const world: AssistantWorld = {
    now: () => new Date(), randomId: () => `r${++n}`, appVersion: '0.1.0', assistantOrigin: 'app://assistant',
    portal: { home: `${ORIGIN}/`, origins: createPortalOriginAllowList([ORIGIN]), siteName: (o) => (o === ORIGIN ? '测试门户' : null) },
    certificates, guide: null,
    portalView: { open: async () => {}, setBounds: () => {}, close: () => {}, setConsentActive: () => {} },
    pickPfxFile: async () => null, openExternal: async () => {},
    emit: (name, payload) => {
      events.push({ name, payload });
      for (const w of waiters.splice(0)) w();
    },
    diagnostics: async () => { throw new Error('unused'); },
    consentSlot: slot,
  };
  const ipc = createAssistantIpc(world);
  const full: BridgePolicy = { bridgeEnabled: true, bridgeProtocols: ['bjca', 'hebca'], bridgeAcceptPagePin: false, allowedOrigins: [ORIGIN], ...policy };
  const bridge = await startAppBridge({
    policy: full, tls: null, stores: () => certificates.stores(), presenter: ipc.bridgeConsent, slot,
    siteName: (o) => (o === ORIGIN ? '测试门户' : null), record: (r) => log.append(r),
    transport: () => forkBridgeTransport(), now: () => new Date(), randomId: () => `b${++n}`,
    ports: { bjcaWs: ports.bjcaWs ?? 0, bjcaWss: 0, hebca: ports.hebca ?? 0 },
  });
  world.bridge = bridge;
  let seen = 0;
  const nextConsent = (): Promise<ConsentRequestView> => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no consent:requested')), 20_000);
    const check = () => {
      const hits = events.filter((e) => e.name === 'consent:requested');
      if (hits.length > seen) {
        clearTimeout(t);
        resolve(hits[seen++]!.payload as ConsentRequestView);
      } else waiters.push(check);
    };
    check();
  });
  return { ipc, events, bridge, key, log, slot, entry, nextConsent, stop: () => bridge.stop() };
}

function bjcaUrl(r: Rig): string {
  const s = r.bridge.status();
  const url = s.endpoints.find((u) => u.startsWith('ws://127.0.0.1') && u.endsWith('/xtxapp/'));
  assert.ok(url, JSON.stringify(s));
  return url;
}

function verifiesRsa(entry: PkiEntry, data: string, sigB64: string): boolean {
  const pub = createPublicKey(fs.readFileSync(entry.certPem));
  return verify('sha256', Buffer.from(data), pub, Buffer.from(sigB64, 'base64'));
}

describe('the app serves the bridge', () => {
  test('a page signature: consent on the Consent screen, wrong PIN typed again in the same consent, then signed and logged', async () => {
    const r = await rig({});
    const c = await BjcaClient.open(bjcaUrl(r), ORIGIN);
    try {
      const users = String(await c.call('SOF_GetUserList'));
      const certId = users.split('&&&')[0]!.split('||')[1]!;
      // The page's PIN is dropped unread (policy default): the key is never tried with it.
      assert.equal(await c.call('SOF_Login', certId, 'page-typed-pin'), true);
      const random = randomBytes(24).toString('base64');
      const signing = c.call('SOF_SignData', certId, random);
      const view = await r.nextConsent();
      assert.equal(view.origin, ORIGIN);
      assert.equal(view.siteName, '测试门户');
      assert.equal(view.purpose, 'login');
      assert.equal(view.content, null);
      assert.equal(view.pinFromPage, undefined);
      assert.equal(view.candidates.length, 1);
      assert.equal(view.candidates[0]!.enterpriseName, r.entry.expect.enterpriseName);
      assert.deepEqual(await r.ipc.handlers['consent:current'](APP, undefined), view);
      // One consent at a time: the embedded portal's login is refused while this one waits.
      await assert.rejects(r.ipc.handlers['portal:authenticate'](PORTAL, { challenge: randomBytes(32).toString('base64') }), { code: 'CONSENT_BUSY' });
      // A second page call meanwhile is refused at once and does not close the open consent.
      const c2 = await BjcaClient.open(bjcaUrl(r), ORIGIN);
      assert.equal(await c2.call('SOF_SignData', certId, 'second request'), '');
      c2.close();
      assert.equal((await r.ipc.handlers['consent:current'](APP, undefined))?.requestId, view.requestId);
      // An empty PIN is refused when the page gave none.
      await assert.rejects(r.ipc.handlers['consent:submit'](APP, { requestId: view.requestId, certificateId: view.candidates[0]!.id, pin: '' }), { code: 'IPC_BAD_PAYLOAD' });

      const wrong = await r.ipc.handlers['consent:submit'](APP, { requestId: view.requestId, certificateId: view.candidates[0]!.id, pin: '000000' });
      assert.equal(wrong.status, 'pin-incorrect');
      assert.equal(wrong.status === 'pin-incorrect' && wrong.pin?.retriesLeft, 5);
      assert.ok(await r.ipc.handlers['consent:current'](APP, undefined), 'the same consent stays open');
      const ok = await r.ipc.handlers['consent:submit'](APP, { requestId: view.requestId, certificateId: view.candidates[0]!.id, pin: TEST_PIN });
      assert.deepEqual(ok, { status: 'signed' });
      const signature = String(await signing);
      assert.ok(verifiesRsa(r.entry, random, signature), 'OpenSSL-compatible PKCS#1 signature over the random');
      assert.deepEqual(r.key.signs, ['000000', TEST_PIN], 'the page PIN never reached the key; each try was typed by the user');
      assert.equal(await r.ipc.handlers['consent:current'](APP, undefined), null);
      assert.equal(r.slot.busy, false);
      const closed = r.events.filter((e) => e.name === 'consent:closed').map((e) => (e.payload as { outcome: string }).outcome);
      assert.deepEqual(closed, ['signed']);

      // Signature log: one entry, via the bridge, with the certificate's enterprise; never the content.
      for (let i = 0; i < 50 && r.log.entries().length === 0; i++) await new Promise((res) => setTimeout(res, 20));
      const entries = r.log.entries();
      assert.equal(entries.length, 1);
      assert.equal(entries[0]!.via, 'bridge');
      assert.equal(entries[0]!.origin, ORIGIN);
      assert.equal(entries[0]!.protocol, 'bjca');
      assert.equal(entries[0]!.operation, 'login');
      assert.equal(entries[0]!.fingerprintSha256, view.candidates[0]!.fingerprintSha256);
      assert.ok(!JSON.stringify(entries).includes(random));
      assert.equal(r.log.verify().ok, true);

      // Cancel on the Consent screen: the page gets BJCA's refusal (empty retVal), nothing is signed or logged.
      const content = '合同第1页\n金额：100元';
      const refused = c.call('SOF_SignData', certId, content);
      const v2 = await r.nextConsent();
      assert.equal(v2.purpose, 'sign');
      assert.equal(v2.content?.preview, content);
      assert.match(v2.content?.sha256 ?? '', /^[0-9a-f]{64}$/);
      await r.ipc.handlers['consent:cancel'](APP, { requestId: v2.requestId });
      assert.equal(await refused, '');
      assert.equal(r.key.signs.length, 2);
      assert.equal(r.log.entries().length, 1);
      assert.equal(r.slot.busy, false);
    } finally {
      c.close();
      await r.stop();
    }
  });

  test('policy bridgeAcceptPagePin: the page PIN unlocks the key, the consent is still asked', async () => {
    const r = await rig({ bridgeAcceptPagePin: true, bridgeProtocols: ['bjca'] });
    const c = await BjcaClient.open(bjcaUrl(r), ORIGIN);
    try {
      assert.deepEqual(r.bridge.status().protocols, ['bjca']);
      assert.ok(!r.bridge.status().endpoints.some((u) => u.endsWith('/test')), 'hebca not served');
      const certId = String(await c.call('SOF_GetUserList')).split('&&&')[0]!.split('||')[1]!;
      assert.equal(await c.call('SOF_Login', certId, TEST_PIN), true);
      const random = randomBytes(24).toString('base64');
      const signing = c.call('SOF_SignData', certId, random);
      const view = await r.nextConsent();
      assert.equal(view.pinFromPage, true);
      assert.equal(r.key.signs.length, 0, 'nothing signed before the consent');
      assert.deepEqual(await r.ipc.handlers['consent:submit'](APP, { requestId: view.requestId, certificateId: view.candidates[0]!.id, pin: '' }), { status: 'signed' });
      assert.ok(verifiesRsa(r.entry, random, String(await signing)));
      assert.deepEqual(r.key.signs, [TEST_PIN]);
    } finally {
      c.close();
      await r.stop();
    }
  });

  test('a port another program holds is left alone and said; the other protocol is still served', async () => {
    const holder = net.createServer((s) => s.destroy());
    await new Promise<void>((res) => holder.listen({ host: '127.0.0.1', port: 0 }, () => res()));
    const held = (holder.address() as net.AddressInfo).port;
    const r = await rig({}, { hebca: held });
    try {
      const s = r.bridge.status();
      assert.equal(s.state, 'serving');
      assert.deepEqual(s.busyPorts, [{ protocol: 'hebca', port: held }]);
      assert.match(s.message ?? '', new RegExp(`端口 ${held} 已被其他程序占用`));
      assert.match(s.messageEn ?? '', new RegExp(`Port ${held} is held by another program`));
      assert.ok(!s.endpoints.some((u) => u.includes(`:${held}/`)), 'neither 127.0.0.1 nor ::1 is taken on the held port');
      assert.deepEqual(await r.ipc.handlers['bridge:status'](APP, undefined), s);
      // BJCA still answers; a page from another origin is refused at the handshake.
      const c = await BjcaClient.open(bjcaUrl(r), ORIGIN);
      assert.match(String(await c.call('SOF_GetVersion')), /\S/);
      c.close();
      await assert.rejects(BjcaClient.open(bjcaUrl(r), 'https://evil.example'), /403/);
      await assert.rejects(HebcaClient.open(`ws://127.0.0.1:${held}/test`, ORIGIN));
    } finally {
      await r.stop();
      holder.close();
    }
  });

  test('bridgeEnabled false: nothing is started, the status says off', async () => {
    const r = await rig({ bridgeEnabled: false });
    assert.deepEqual(r.bridge.status(), { state: 'off', protocols: [], endpoints: [], busyPorts: [], message: null, messageEn: null });
    assert.equal(r.bridge.path, null);
    await r.stop();
  });
});

test('start options carry the policy: protocols, signing origins, the page-PIN rule; TLS when the installer issued it', () => {
  const o = bridgeStartOptions({ bridgeEnabled: true, bridgeProtocols: ['hebca', 'hebca'], bridgeAcceptPagePin: false, allowedOrigins: ['https://www.hbzwfw.gov.cn'] }, { cert: 'C', key: 'K' }, { bjcaWs: 0 });
  assert.deepEqual(o, { protocols: ['hebca'], allowedOrigins: ['https://www.hbzwfw.gov.cn'], acceptPagePin: false, tls: { cert: 'C', key: 'K' }, ports: { bjcaWs: 0 } });
  // The installer writes the leaf beside the machine policy; the app reads it from there.
  assert.equal(bridgeTlsDir('win32', { ProgramData: 'D:\\PD' }), 'D:\\PD\\CertAssistant\\bridge');
  assert.equal(bridgeTlsDir('linux', {}), '/etc/cert-assistant/bridge');
  const failed = bridgeStatusView({ enabled: true, protocols: ['bjca'], endpoints: [], busy: [], failed: 'BRIDGE_EXITED' });
  assert.equal(failed.state, 'failed');
  assert.match(failed.message ?? '', /未能启动/);
});
