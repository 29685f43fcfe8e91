// An SM2 USB key through an SKF library, as the app wires it: usbKeyStores() over the key-store
// worker, the certificate service, and the IPC handler table's consent flow from a portal frame
// to a token the relying party's verifier accepts. The key is the gcc-built fake SKF key.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCertificateService, usbKeyStores } from '../../../main/assistant/certificates.ts';
import { createAssistantIpc } from '../../../main/assistant/ipc-handlers.ts';
import type { AssistantWorld } from '../../../main/assistant/world.ts';
import { requestLogin, signingTestWorld } from '../../support/assistant-world.ts';
import type { AssistantEvents, ConsentSubmitResult } from '../../../common/ipc-contract.ts';
import { KeyStoreWorkerClient } from '../../../main/keystores/worker/client.ts';
import { forkWorkerSpawner } from '../../../main/keystores/worker/fork-transport.ts';
import { WorkerKeyStore } from '../../../main/keystores/worker/remote-store.ts';
import { MemoryChallengeStore, verifyLoginToken } from '../../../main/login/verify.ts';
import { loadTrustAnchors } from '../../../main/pki/trust.ts';
import { getTestPki, type TestPki } from '../../fixtures/pki.ts';
import { buildFakeSkf, fakeSkfEnv, skipFakeSkf, verifyCalls, type FakeSkfFiles } from '../../support/fake-skf.ts';

const PORTAL = { frameUrl: 'https://www.hbzwfw.gov.cn/hbzw/login' };
const APP = { frameUrl: 'app://assistant/index.html#/consent' };
const ORIGIN = 'https://www.hbzwfw.gov.cn';

test('usbKeyStores: one store per PKCS#11 module (usb-n) and per SKF library (skf-n)', () => {
  const specs: unknown[] = [];
  const regs = usbKeyStores((spec) => { specs.push(spec); return { kind: spec.kind } as never; }, { pkcs11: ['/usr/lib/a.so'], skf: ['C:\\Windows\\System32\\v_skf.dll', '/opt/b/libskf.so'] });
  assert.deepEqual(regs.map((r) => [r.storeId, r.source, r.label]), [['usb-1', 'usb', 'a.so'], ['skf-1', 'usb', 'v_skf.dll'], ['skf-2', 'usb', 'libskf.so']]);
  assert.deepEqual(specs, [{ kind: 'pkcs11', module: '/usr/lib/a.so' }, { kind: 'skf', module: 'C:\\Windows\\System32\\v_skf.dll' }, { kind: 'skf', module: '/opt/b/libskf.so' }]);
});

describe('SM2 USB key (fake SKF) on the certificate screen and in consent', { skip: skipFakeSkf }, () => {
  let pki: TestPki;
  let dir: string;
  let files: FakeSkfFiles;
  let client: KeyStoreWorkerClient;
  let world: AssistantWorld;
  let events: { name: keyof AssistantEvents; payload: unknown }[];
  let anchors: ReturnType<typeof loadTrustAnchors>;
  const challenges = new MemoryChallengeStore();

  before(async () => {
    pki = await getTestPki();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-app-skf-'));
    const lib = buildFakeSkf(dir);
    const made = fakeSkfEnv(pki.get('hebca-sm2-ent'), dir, { FAKE_SKF_MAX: '3' });
    files = made.files;
    client = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner({ env: { ...process.env, ...made.env } }) });
    // SKF containers hold no CA chain; the issuing CA is known to the machine, as the portal knows it.
    anchors = loadTrustAnchors(pki.get('hebca-sm2-ent').chain.map((id) => pki.get(id).certPem), { includeBundled: false });
    const usb = usbKeyStores((spec) => new WorkerKeyStore(client, spec), { pkcs11: [], skf: [lib] });
    const certificates = createCertificateService({
      now: () => new Date(), appVersion: '0.1.0-test', usbStores: () => usb,
      openPkcs12: async () => { throw new Error('unused'); }, anchors: () => anchors,
    });
    events = [];
    world = signingTestWorld(ORIGIN, certificates, events);
  });
  after(async () => {
    await client?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('certs:list shows the SM2 certificate from the USB key with its PIN state', async () => {
    const ipc = createAssistantIpc(world);
    const list = await ipc.handlers['certs:list'](APP, undefined);
    assert.deepEqual(list.problems, []);
    assert.equal(list.certificates.length, 1);
    const c = list.certificates[0]!;
    assert.equal(c.id, 'skf-1/FakeSKF-0/HEBCA_APP/SM2-Container-1');
    assert.equal(c.source, 'usb');
    assert.equal(c.sourceLabel, 'Fake SM2 Key');
    assert.match(c.keyAlgorithm, /SM2/);
    assert.equal(c.uscc?.value, pki.get('hebca-sm2-ent').expect.uscc);
    assert.equal(c.canLogin, true, JSON.stringify(c.checks));
    assert.deepEqual(c.pin, { retriesLeft: 3, low: false, finalTry: false, locked: false });
  });

  test('consent: a wrong PIN shows the tries left (one SKF_VerifyPIN), the right one signs a token the verifier accepts', async () => {
    const ipc = createAssistantIpc(world);
    const { challenge } = await challenges.issue(new Date());
    const { pending, req } = await requestLogin(ipc, PORTAL, challenge, events, 50);
    assert.ok(req, 'consent requested');
    assert.equal(req.origin, ORIGIN);
    const cert = req.candidates.find((c) => c.id.startsWith('skf-1/'));
    assert.ok(cert, 'the SKF certificate is offered');

    const calls = verifyCalls(files);
    const wrong = await ipc.dispatch('consent:submit', APP, { requestId: req.requestId, certificateId: cert.id, pin: '00000000' });
    assert.equal(wrong.ok, true, JSON.stringify(wrong));
    const w = (wrong as { ok: true; value: ConsentSubmitResult }).value;
    assert.equal(w.status, 'pin-incorrect', JSON.stringify(w));
    assert.equal(w.status === 'pin-incorrect' ? w.pin?.retriesLeft : null, 2);
    assert.equal(verifyCalls(files), calls + 1, 'never retried');

    const right = await ipc.dispatch('consent:submit', APP, { requestId: req.requestId, certificateId: cert.id, pin: '12345678' });
    assert.deepEqual(right, { ok: true, value: { status: 'signed' } });
    const answer = await pending;
    assert.equal(answer.ok, true, JSON.stringify(answer));
    const token = (answer as { ok: true; value: { token: string } }).value.token;
    assert.equal((JSON.parse(token) as { algorithm: string }).algorithm, 'SM2-SM3');
    const verdict = await verifyLoginToken(token, { origin: ORIGIN, trustAnchors: anchors.map((a) => a.der), challengeStore: challenges, challenge, now: new Date() });
    assert.equal(verdict.ok, true, JSON.stringify(verdict));
    assert.equal(verdict.ok && verdict.uscc, pki.get('hebca-sm2-ent').expect.uscc);
  });
});
