// The embedded portal's authenticate and the CA-assistant bridge share one consent slot
// (DESIGN.md "One consent-and-record path"): while one consent waits, the other is refused at
// once with CONSENT_BUSY, and the slot is free again when that consent ends.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { SignatureLog } from '../../../main/login/signature-log.ts';
import { createAssistantIpc } from '../../../main/assistant/ipc-handlers.ts';
import { createConsentSlot, createSigningPath, sha256Hex, signatureLogRecord, type ConsentView, type SignatureRecord, type SigningKey } from '../../../main/login/signing-path.ts';
import { createPortalOriginAllowList } from '../../../common/portal-origins.ts';
import type { AssistantWorld } from '../../../main/assistant/world.ts';
import type { AssistantEvents, CertificateView } from '../../../common/ipc-contract.ts';
import { getTestPki, type TestPki } from '../../fixtures/pki.ts';
import { PemKeyStore, algorithmFor, TEST_PIN } from '../../support/key-store.ts';
import { errorCode as code } from '../../support/assert-error.ts';

const PORTAL = { frameUrl: 'https://www.hbzwfw.gov.cn/hbzw/login' };
const APP = { frameUrl: 'app://assistant/index.html#/consent' };
const challenge = () => randomBytes(32).toString('base64');

let pki: TestPki;
before(async () => { pki = await getTestPki(); });

const tick = () => new Promise((r) => setImmediate(r));

function setup(listed?: CertificateView[]) {
  const slot = createConsentSlot();
  const events: { name: keyof AssistantEvents; payload: unknown }[] = [];
  const cert = { id: 'file-1/0', canLogin: true, fingerprintSha256: 'ab'.repeat(32), uscc: null } as unknown as CertificateView;
  const certificates = listed ?? [cert];
  let n = 0;
  const world: AssistantWorld = {
    now: () => new Date(), randomId: () => `id${++n}`, appVersion: '0.1.0', assistantOrigin: 'app://assistant',
    portal: { home: 'https://www.hbzwfw.gov.cn/', origins: createPortalOriginAllowList(['https://www.hbzwfw.gov.cn']) },
    certificates: {
      list: async () => ({ certificates, problems: [] }),
      openPfx: async () => ({ certificates: [], problems: [] }), closePfx: async () => true, removeFile: async () => '/tmp/x.pfx',
      pinState: async () => ({ retriesLeft: 3, low: false, finalTry: false, locked: false }),
      createToken: async () => 'token',
    },
    guide: null,
    portalView: { open: async () => {}, setBounds: () => {}, close: () => {}, setConsentActive: () => {} },
    pickPfxFile: async () => null, openExternal: async () => {},
    emit: (name, payload) => { events.push({ name, payload }); },
    diagnostics: async () => { throw new Error('unused'); },
    consentTimeoutMs: 60_000,
    consentSlot: slot,
  };
  const ipc = createAssistantIpc(world);
  const asks: { view: ConsentView; answer: (a: { allow: true; secret: string } | { allow: false }) => void }[] = [];
  const records: SignatureRecord[] = [];
  const path = createSigningPath({
    ask: (view) => new Promise((answer) => asks.push({ view, answer })),
    record: (r) => records.push(r), now: () => new Date(), randomId: () => `b${++n}`, slot,
  });
  const entry = pki.get('hebca-ent');
  const key: SigningKey = {
    certificate: new Uint8Array(readFileSync(entry.certDer)), intermediates: [], algorithm: algorithmFor(entry),
    store: new PemKeyStore(entry), identityId: '0',
  };
  const bridgeSign = () => path.sign({ origin: 'https://www.hbzwfw.gov.cn', protocol: 'bjca', key, data: new TextEncoder().encode('合同第1页'), output: 'raw' });
  return { ipc, events, asks, records, bridgeSign, slot };
}

test('a bridge consent waiting refuses an embedded authenticate; after it ends the portal may log in', async () => {
  const { ipc, events, asks, records, bridgeSign, slot } = setup();
  const signing = bridgeSign();
  await tick();
  assert.equal(asks.length, 1, 'the bridge consent is shown');
  assert.equal(await code(ipc.handlers['portal:authenticate'](PORTAL, { challenge: challenge() })), 'CONSENT_BUSY');
  assert.equal(events.filter((e) => e.name === 'consent:requested').length, 0, 'no second consent on screen');
  asks[0]!.answer({ allow: true, secret: TEST_PIN });
  assert.ok((await signing).length > 0);
  assert.equal(records.length, 1);
  assert.equal(slot.busy, false);
  // Each bridge signature goes into the signature log with its certificate's enterprise.
  const dir = mkdtempSync(join(os.tmpdir(), 'shared-consent-'));
  try {
    const log = new SignatureLog(dir);
    await log.append(signatureLogRecord(records[0]!, 'bridge'));
    const [entry] = log.entries();
    assert.equal(entry!.via, 'bridge');
    assert.equal(entry!.operation, 'sign');
    assert.equal(entry!.protocol, 'bjca');
    assert.equal(entry!.enterprise, asks[0]!.view.certificate.enterpriseName);
    assert.ok(entry!.enterprise, 'the test certificate names an enterprise');
    assert.equal(entry!.contentSha256, sha256Hex(new TextEncoder().encode('合同第1页')));
    assert.equal(log.verify().ok, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const auth = ipc.handlers['portal:authenticate'](PORTAL, { challenge: challenge() });
  await tick();
  const { requestId } = events.find((e) => e.name === 'consent:requested')!.payload as { requestId: string };
  assert.deepEqual(await ipc.handlers['consent:submit'](APP, { requestId, certificateId: 'file-1/0', pin: TEST_PIN }), { status: 'signed' });
  assert.deepEqual(await auth, { token: 'token' });
  assert.equal(slot.busy, false, 'a signed login frees the slot');
});

test('an embedded consent waiting (even before its certificate list returns) refuses a bridge signature', async () => {
  const { ipc, events, asks, bridgeSign, slot } = setup();
  const auth = ipc.handlers['portal:authenticate'](PORTAL, { challenge: challenge() });
  auth.catch(() => {});
  // Synchronous reservation: refused before the authenticate call has awaited anything.
  assert.equal(await code(bridgeSign()), 'CONSENT_BUSY');
  await tick();
  assert.equal(await code(bridgeSign()), 'CONSENT_BUSY');
  assert.equal(asks.length, 0, 'the key was never asked for');
  const { requestId } = events.find((e) => e.name === 'consent:requested')!.payload as { requestId: string };
  await ipc.handlers['consent:cancel'](APP, { requestId });
  assert.equal(await code(auth), 'USER_CANCELLED');
  assert.equal(slot.busy, false, 'a cancelled login frees the slot');
  const signing = bridgeSign();
  await tick();
  assert.equal(asks.length, 1);
  asks[0]!.answer({ allow: false });
  assert.equal(await code(signing), 'USER_DENIED');
});

test('an authenticate that fails before its consent opens frees the shared slot', async () => {
  const { ipc, slot } = setup();
  assert.equal(await code(ipc.handlers['portal:authenticate']({ frameUrl: 'https://evil.example/' }, { challenge: challenge() })), 'ORIGIN_NOT_ALLOWED');
  assert.equal(slot.busy, false);
  assert.equal(await code(ipc.handlers['portal:authenticate'](PORTAL, { challenge: 'x' })), 'IPC_BAD_PAYLOAD');
  assert.equal(slot.busy, false);
});

test('several candidates (JIT filters): the Consent screen lists them and the certificate the user submits is the one that signs', async () => {
  const ids = ['hebca-ent', 'hebca-sm2-ent'];
  const views = ids.map((id, i) => ({ id: `file-${i + 1}/0`, canLogin: true, fingerprintSha256: sha256Hex(readFileSync(pki.get(id).certDer)), uscc: null }) as unknown as CertificateView);
  const { ipc, events, slot } = setup(views);
  const keys: SigningKey[] = ids.map((id) => ({
    certificate: new Uint8Array(readFileSync(pki.get(id).certDer)), intermediates: [], algorithm: algorithmFor(pki.get(id)), store: new PemKeyStore(pki.get(id)), identityId: '0',
  }));
  const records: SignatureRecord[] = [];
  const path = createSigningPath({ ask: (v, signal) => ipc.bridgeConsent.ask(v, signal), record: (r) => records.push(r), now: () => new Date(), randomId: () => 'jit1', slot });
  const signing = path.signChoosing({ origin: 'https://www.hbzwfw.gov.cn', protocol: 'jit', key: keys[0]!, alternatives: [keys[1]!], data: new TextEncoder().encode('网关登录原文'), output: 'raw' });
  for (let i = 0; i < 20 && !events.some((e) => e.name === 'consent:requested'); i++) await tick();
  const view = events.find((e) => e.name === 'consent:requested')!.payload as { requestId: string; candidates: CertificateView[] };
  assert.deepEqual(view.candidates.map((c) => c.id), ['file-1/0', 'file-2/0'], 'both listed, the default first');
  const submitted = ipc.handlers['consent:submit'](APP, { requestId: view.requestId, certificateId: 'file-2/0', pin: TEST_PIN });
  const r = await signing;
  ipc.bridgeConsent.finish({ ok: true });
  assert.deepEqual(await submitted, { status: 'signed' });
  assert.equal(r.key, keys[1], 'the SM2 certificate the user picked signed');
  assert.equal(records[0]!.fingerprintSha256, views[1]!.fingerprintSha256);
});
