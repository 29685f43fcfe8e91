import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AssistantError } from '../../../main/errors.ts';
import { createAssistantIpc } from '../../../main/assistant/ipc-handlers.ts';
import { createPortalOriginAllowList } from '../../../common/portal-origins.ts';
import type { AssistantWorld, CertificateService, LogFields } from '../../../main/assistant/world.ts';
import type { AssistantEvents, CertificateView, PinStateView } from '../../../common/ipc-contract.ts';
import { errorCode as code } from '../../support/assert-error.ts';

const APP = { frameUrl: 'app://assistant/index.html#/certs' };
const PORTAL = { frameUrl: 'https://www.hbzwfw.gov.cn/hbzw/login?next=/' };
const HOSTILE = { frameUrl: 'https://www.hbzwfw.gov.cn.evil.example/login' };
const USCC = '91130100MA0CXXXX1X';
const challenge = () => randomBytes(32).toString('base64');

function certView(over: Partial<CertificateView> = {}): CertificateView {
  return {
    id: 'file-1/0', source: 'file', sourceLabel: 'ent.pfx', label: '测试企业', subject: 'CN=测试企业', enterpriseName: '测试企业',
    issuer: 'CN=HEBCA', caProfile: { id: 'hebca', name: '河北CA' }, serialNumber: '01', notBefore: '2026-01-01T00:00:00Z',
    notAfter: '2027-01-01T00:00:00Z', keyAlgorithm: 'RSA-2048', fingerprintSha256: 'ab'.repeat(32),
    uscc: { value: USCC, valid: true, source: 'subject:1.2.156.112586.1.10', confidence: 'high' }, legalPersonKind: '企业法人', orgCode: null,
    checks: [], trusted: true, canLogin: true, pin: null, ...over,
  };
}

/** A key store world with a PIN counter, like a USB key: 3 tries, then locked. */
function makeWorld(opts: { certs?: CertificateView[]; timeoutMs?: number; signing?: string[] } = {}) {
  const logs: { event: string; fields?: LogFields }[] = [];
  const events: { name: keyof AssistantEvents; payload: unknown }[] = [];
  const signCalls: { certificateId: string; origin: string; challenge: string }[] = [];
  let retries = 3;
  const pin = (): PinStateView => ({ retriesLeft: retries, low: retries < 3, finalTry: retries === 1, locked: retries === 0 });
  const certificates: CertificateService = {
    list: async () => ({ certificates: opts.certs ?? [certView()], problems: [] }),
    openPfx: async () => ({ certificates: [], problems: [] }),
    closePfx: async () => true, removeFile: async () => '/tmp/x.pfx',
    pinState: async () => pin(),
    createToken: async ({ certificateId, origin, challenge, pin: p }) => {
      signCalls.push({ certificateId, origin, challenge });
      if (retries === 0) throw new AssistantError('PIN_LOCKED', 'USB Key 已锁定');
      if (p !== '123456') {
        retries--;
        throw new AssistantError(retries === 0 ? 'PIN_LOCKED' : 'PIN_INCORRECT', 'PIN 码错误', { details: { retriesLeft: retries } });
      }
      retries = 3;
      return JSON.stringify({ format: 'cert-login:1', origin, challenge });
    },
  };
  let consentActive = false;
  let n = 0;
  const world: AssistantWorld = {
    now: () => new Date('2026-11-26T10:00:00Z'),
    randomId: () => `id${++n}`,
    appVersion: '0.1.0',
    assistantOrigin: 'app://assistant',
    portal: {
      home: 'https://www.hbzwfw.gov.cn/',
      origins: createPortalOriginAllowList(['https://www.hbzwfw.gov.cn', 'https://*.hbzwfw.gov.cn']),
      ...(opts.signing ? { signingOrigins: createPortalOriginAllowList(opts.signing) } : {}),
    },
    certificates,
    guide: null,
    portalView: { open: async () => {}, setBounds: () => {}, close: () => {}, setConsentActive: (a) => { consentActive = a; } },
    pickPfxFile: async () => '/tmp/x/企业.pfx',
    openExternal: async () => {},
    emit: (name, payload) => { events.push({ name, payload }); },
    diagnostics: async () => { throw new Error('unused'); },
    log: (event, fields) => { logs.push({ event, fields }); },
    consentTimeoutMs: opts.timeoutMs ?? 60_000,
  };
  const ipc = createAssistantIpc(world);
  return { ipc, logs, events, signCalls, consentActive: () => consentActive };
}


test('sender frame: assistant channels only from app://assistant', async () => {
  const { ipc } = makeWorld();
  assert.deepEqual(await ipc.handlers['app:version'](APP, undefined), { version: '0.1.0', portalHome: 'https://www.hbzwfw.gov.cn/', language: 'zh' });
  for (const s of [PORTAL, HOSTILE, { frameUrl: 'app://evil/index.html' }, { frameUrl: 'file:///C:/x.html' }, { frameUrl: '' }, {} as never]) {
    assert.equal(await code(ipc.handlers['certs:list'](s, undefined)), 'IPC_FORBIDDEN_SENDER', JSON.stringify(s));
    assert.equal(await code(ipc.handlers['consent:current'](s, undefined)), 'IPC_FORBIDDEN_SENDER');
  }
});

test('sender frame: authenticate only from allowed portal origins; the app UI may not sign', async () => {
  const { ipc, events, signCalls } = makeWorld();
  for (const s of [HOSTILE, APP, { frameUrl: 'http://www.hbzwfw.gov.cn/' }, { frameUrl: 'about:blank' }, { frameUrl: 'data:text/html,x' }]) {
    assert.equal(await code(ipc.handlers['portal:authenticate'](s, { challenge: challenge() })), 'ORIGIN_NOT_ALLOWED', s.frameUrl);
  }
  assert.equal(events.length, 0);
  assert.equal(signCalls.length, 0);
  const r = await ipc.dispatch('portal:authenticate', HOSTILE, { challenge: challenge() });
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.error.code, 'ORIGIN_NOT_ALLOWED');
  assert.ok(!r.ok && /[\u4e00-\u9fff]/.test(r.error.message), 'zh-CN message');
});

test('payload validation at the boundary', async () => {
  const { ipc } = makeWorld();
  const badAuth: unknown[] = [undefined, null, 'x', [], 42, {}, { challenge: 'c2hvcnQ=' }, { challenge: 5 }, { challenge: challenge(), origin: 'https://evil' },
    { challenge: challenge(), expectedUscc: 7 }, { challenge: '!'.repeat(50) }, { challenge: 'A'.repeat(2000) }, JSON.parse(`{"challenge":"${challenge()}","__proto__":{"x":1}}`)];
  for (const p of badAuth) assert.equal(await code(ipc.handlers['portal:authenticate'](PORTAL, p)), 'IPC_BAD_PAYLOAD', JSON.stringify(p));
  const badApp: [keyof typeof ipc.handlers, unknown][] = [
    ['certs:list', { x: 1 }], ['consent:submit', { requestId: 'id1', certificateId: 'a' }], ['consent:submit', { requestId: 'id1', certificateId: 'a', pin: '' }],
    ['portal:open', { url: 'https://www.hbzwfw.gov.cn/', bounds: { x: -1, y: 0, width: 1, height: 1 } }], ['portal:open', { url: 'https://www.hbzwfw.gov.cn/' }],
    ['guide:search', { query: 'a', page: 0 }], ['guide:search', { query: 'a'.repeat(201) }], ['guide:browse', { site: '13', for: 'robot' }],
    ['guide:manualSection', { id: '../etc' }], ['app:openExternal', { url: 5 }],
  ];
  for (const [ch, p] of badApp) assert.equal(await code(ipc.handlers[ch](APP, p)), 'IPC_BAD_PAYLOAD', `${ch} ${JSON.stringify(p)}`);
  const r = await ipc.dispatch('no:such', APP, undefined);
  assert.equal(!r.ok && r.error.code, 'IPC_UNKNOWN_CHANNEL');
});

test('consent: nothing is signed until the user submits; origin comes from the sender frame', async () => {
  const { ipc, events, signCalls, consentActive } = makeWorld();
  const c = challenge();
  const auth = ipc.handlers['portal:authenticate']({ frameUrl: 'https://hd.hbzwfw.gov.cn/login?origin=https://evil.example' }, { challenge: c });
  await new Promise((r) => setImmediate(r));
  assert.equal(signCalls.length, 0);
  assert.equal(consentActive(), true, 'portal view steps aside during consent');
  const shown = events.find((e) => e.name === 'consent:requested')?.payload as AssistantEvents['consent:requested'];
  assert.equal(shown.origin, 'https://hd.hbzwfw.gov.cn');
  assert.equal(JSON.stringify(shown).includes(c), false, 'challenge not sent to the renderer');
  assert.deepEqual(await ipc.handlers['consent:current'](APP, undefined), shown);
  // The portal cannot answer its own consent.
  assert.equal(await code(ipc.handlers['consent:submit'](PORTAL, { requestId: shown.requestId, certificateId: 'file-1/0', pin: '123456' })), 'IPC_FORBIDDEN_SENDER');
  assert.equal(await code(ipc.handlers['consent:submit'](APP, { requestId: 'other', certificateId: 'file-1/0', pin: '123456' })), 'CONSENT_NOT_FOUND');
  assert.equal(await code(ipc.handlers['consent:submit'](APP, { requestId: shown.requestId, certificateId: 'usb/9', pin: '123456' })), 'CERTIFICATE_NOT_OFFERED');
  assert.equal(signCalls.length, 0);
  const res = await ipc.handlers['consent:submit'](APP, { requestId: shown.requestId, certificateId: 'file-1/0', pin: '123456' });
  assert.deepEqual(res, { status: 'signed' });
  const { token } = await auth;
  assert.deepEqual(JSON.parse(token), { format: 'cert-login:1', origin: 'https://hd.hbzwfw.gov.cn', challenge: c });
  assert.equal(consentActive(), false);
  assert.deepEqual(events.at(-1), { name: 'consent:closed', payload: { requestId: shown.requestId, outcome: 'signed' } });
  assert.equal(await ipc.handlers['consent:current'](APP, undefined), null);
});

test('wrong PIN: retries left shown, never retried automatically, then locked', async () => {
  const { ipc, events, signCalls, logs } = makeWorld();
  const auth = ipc.handlers['portal:authenticate'](PORTAL, { challenge: challenge() });
  auth.catch(() => {});
  await new Promise((r) => setImmediate(r));
  const { requestId } = events[0]!.payload as { requestId: string };
  const wrong = ['000001', '000002', '000003'];
  const r1 = await ipc.handlers['consent:submit'](APP, { requestId, certificateId: 'file-1/0', pin: wrong[0]! });
  assert.equal(r1.status, 'pin-incorrect');
  assert.equal(r1.status === 'pin-incorrect' && r1.pin?.retriesLeft, 2);
  assert.equal(signCalls.length, 1, 'one attempt per submit');
  const r2 = await ipc.handlers['consent:submit'](APP, { requestId, certificateId: 'file-1/0', pin: wrong[1]! });
  assert.equal(r2.status === 'pin-incorrect' && r2.pin?.finalTry, true);
  const r3 = await ipc.handlers['consent:submit'](APP, { requestId, certificateId: 'file-1/0', pin: wrong[2]! });
  assert.equal(r3.status, 'locked');
  assert.equal(r3.status === 'locked' && r3.pin?.locked, true);
  assert.equal(signCalls.length, 3);
  const r4 = await ipc.handlers['consent:submit'](APP, { requestId, certificateId: 'file-1/0', pin: '123456' });
  assert.equal(r4.status, 'locked');
  assert.deepEqual(await ipc.handlers['consent:cancel'](APP, { requestId }), { cancelled: true });
  assert.equal(await code(auth), 'USER_CANCELLED');
  // PINs never reach logs, events or results.
  const everything = JSON.stringify({ logs, events, r1, r2, r3, r4 });
  for (const p of [...wrong, '123456']) assert.equal(everything.includes(p), false, `PIN ${p} leaked`);
});

test('a PIN that fails validation is not echoed back', async () => {
  const { ipc, events } = makeWorld();
  const auth = ipc.handlers['portal:authenticate'](PORTAL, { challenge: challenge() });
  auth.catch(() => {});
  await new Promise((r) => setImmediate(r));
  const { requestId } = events[0]!.payload as { requestId: string };
  const secret = 'S3cret\u0007PIN';
  const r = await ipc.dispatch('consent:submit', APP, { requestId, certificateId: 'file-1/0', pin: secret });
  assert.equal(!r.ok && r.error.code, 'IPC_BAD_PAYLOAD');
  assert.equal(JSON.stringify(r).includes('S3cret'), false);
  ipc.cancelConsent('cancelled');
  assert.equal(await code(auth), 'USER_CANCELLED');
});

test('one consent at a time; timeout; no certificate; expected USCC filters', async () => {
  // Busy: the first consent's timeout is long, so a loaded machine cannot end it before the second call.
  const { ipc } = makeWorld({ timeoutMs: 60_000 });
  const a = ipc.handlers['portal:authenticate'](PORTAL, { challenge: challenge() });
  a.catch(() => {});
  await new Promise((r) => setImmediate(r));
  assert.equal(await code(ipc.handlers['portal:authenticate'](PORTAL, { challenge: challenge() })), 'CONSENT_BUSY');
  ipc.cancelConsent('cancelled');
  assert.equal(await code(a), 'USER_CANCELLED');
  // Timeout: a consent nobody answers ends by itself.
  const timed = makeWorld({ timeoutMs: 30 });
  const t = timed.ipc.handlers['portal:authenticate'](PORTAL, { challenge: challenge() });
  assert.equal(await code(t), 'CONSENT_TIMEOUT');
  assert.equal(await code(ipc.handlers['portal:authenticate'](PORTAL, { challenge: challenge(), expectedUscc: '91130100MA0CXXXX2X' })), 'NO_CERTIFICATE');

  const w2 = makeWorld({ certs: [certView({ canLogin: false })] });
  assert.equal(await code(w2.ipc.handlers['portal:authenticate'](PORTAL, { challenge: challenge() })), 'NO_CERTIFICATE');

  const w3 = makeWorld();
  const b = w3.ipc.handlers['portal:authenticate'](PORTAL, { challenge: challenge(), expectedUscc: ` ${USCC.toLowerCase()} ` });
  b.catch(() => {});
  await new Promise((r) => setImmediate(r));
  const req = w3.events[0]!.payload as AssistantEvents['consent:requested'];
  assert.equal(req.expectedUscc, USCC);
  assert.equal(req.candidates.length, 1);
  w3.ipc.cancelConsent('cancelled');
  await b.catch(() => {});
});

test('a portal passing the expected USCC printed in groups (spaces, hyphens, full-width) finds the certificate', async () => {
  for (const printed of [`${USCC.slice(0, 4)} ${USCC.slice(4, 8)} ${USCC.slice(8, 12)} ${USCC.slice(12)}`, `${USCC.slice(0, 8)}-${USCC.slice(8)}`, USCC.replace(/[0-9A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0))]) {
    const w = makeWorld();
    const auth = w.ipc.handlers['portal:authenticate'](PORTAL, { challenge: challenge(), expectedUscc: printed });
    auth.catch(() => {});
    await new Promise((r) => setImmediate(r));
    const req = w.events[0]?.payload as AssistantEvents['consent:requested'] | undefined;
    assert.equal(req?.expectedUscc, USCC, printed);
    assert.equal(req?.candidates.length, 1, printed);
    w.ipc.cancelConsent('cancelled');
    assert.equal(await code(auth), 'USER_CANCELLED');
  }
});

test('portal view: only allowed addresses open; external links only http/https', async () => {
  const { ipc } = makeWorld();
  const bounds = { x: 0, y: 48, width: 800, height: 600 };
  assert.deepEqual(await ipc.handlers['portal:open'](APP, { url: 'https://ts.hbzwfw.gov.cn/item/1', bounds }), { url: 'https://ts.hbzwfw.gov.cn/item/1' });
  assert.equal(await code(ipc.handlers['portal:open'](APP, { url: 'https://evil.example/', bounds })), 'ORIGIN_NOT_ALLOWED');
  assert.equal(await code(ipc.handlers['app:openExternal'](APP, { url: 'file:///etc/passwd' })), 'URL_NOT_ALLOWED');
  assert.equal(await code(ipc.handlers['app:openExternal'](APP, { url: 'javascript:alert(1)' })), 'URL_NOT_ALLOWED');
  assert.deepEqual(await ipc.handlers['app:openExternal'](APP, { url: 'https://www.gov.cn/' }), { opened: true });
});

test('pfx files: the renderer gets an id and a name, never chooses the path', async () => {
  const { ipc } = makeWorld();
  const picked = await ipc.handlers['certs:pickPfx'](APP, undefined);
  assert.equal(picked?.fileName, '企业.pfx');
  assert.equal(await code(ipc.handlers['certs:openPfx'](APP, { fileId: '../../etc/passwd', password: 'x' })), 'FILE_NOT_FOUND');
  assert.ok(await ipc.handlers['certs:openPfx'](APP, { fileId: picked!.fileId, password: '123456' }));
});

test('signing origins may be narrower than where the portal can navigate', async () => {
  const { ipc, events } = makeWorld({ signing: ['https://www.hbzwfw.gov.cn'] });
  const bounds = { x: 0, y: 0, width: 10, height: 10 };
  assert.ok(await ipc.handlers['portal:open'](APP, { url: 'https://hd.hbzwfw.gov.cn/', bounds }));
  assert.equal(await code(ipc.handlers['portal:authenticate']({ frameUrl: 'https://hd.hbzwfw.gov.cn/login' }, { challenge: challenge() })), 'ORIGIN_NOT_ALLOWED');
  const ok = ipc.handlers['portal:authenticate'](PORTAL, { challenge: challenge() });
  ok.catch(() => {});
  await new Promise((r) => setImmediate(r));
  assert.equal(events.filter((e) => e.name === 'consent:requested').length, 1);
  ipc.cancelConsent('cancelled');
});

test('a second submit while the key is signing is refused, not queued', async () => {
  const { ipc, events, signCalls } = makeWorld();
  const auth = ipc.handlers['portal:authenticate'](PORTAL, { challenge: challenge() });
  await new Promise((r) => setImmediate(r));
  const { requestId } = events[0]!.payload as { requestId: string };
  const first = ipc.handlers['consent:submit'](APP, { requestId, certificateId: 'file-1/0', pin: '123456' });
  assert.equal(await code(ipc.handlers['consent:submit'](APP, { requestId, certificateId: 'file-1/0', pin: '123456' })), 'CONSENT_BUSY');
  assert.deepEqual(await first, { status: 'signed' });
  assert.ok((await auth).token);
  assert.equal(signCalls.length, 1);
});

test('two concurrent authenticate calls: the second is refused at once and the first consent stays the only one', async () => {
  const { ipc, events } = makeWorld();
  // Both calls start before either awaits the certificate list (the race the review found).
  const first = ipc.handlers['portal:authenticate'](PORTAL, { challenge: challenge() });
  const second = ipc.handlers['portal:authenticate'](PORTAL, { challenge: challenge() });
  first.catch(() => {});
  assert.equal(await code(second), 'CONSENT_BUSY');
  await new Promise((r) => setImmediate(r));
  const opened = events.filter((e) => e.name === 'consent:requested');
  assert.equal(opened.length, 1, 'exactly one consent opened');
  const firstId = (opened[0]!.payload as AssistantEvents['consent:requested']).requestId;
  // The first consent is cancelled; the next one opens and signs normally.
  await ipc.handlers['consent:cancel'](APP, { requestId: firstId });
  assert.equal(await code(first), 'USER_CANCELLED');
  const third = ipc.handlers['portal:authenticate'](PORTAL, { challenge: challenge() });
  await new Promise((r) => setImmediate(r));
  const thirdView = (await ipc.handlers['consent:current'](APP, undefined))!;
  assert.notEqual(thirdView.requestId, firstId);
  const r = await ipc.handlers['consent:submit'](APP, { requestId: thirdView.requestId, certificateId: 'file-1/0', pin: '123456' });
  assert.equal(r.status, 'signed');
  assert.match((await third).token, /cert-login:1/);
  // A failed call (no certificate) frees the reservation.
  const w = makeWorld({ certs: [] });
  assert.equal(await code(w.ipc.handlers['portal:authenticate'](PORTAL, { challenge: challenge() })), 'NO_CERTIFICATE');
  assert.equal(await code(w.ipc.handlers['portal:authenticate'](PORTAL, { challenge: challenge() })), 'NO_CERTIFICATE');
});
