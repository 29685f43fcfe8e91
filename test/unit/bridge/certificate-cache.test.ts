/**
 * The bridge answers list/export calls from its own copy of the host's certificate list
 * (main/bridge/session.ts CertificateCache) instead of crossing to the host on every call: used
 * for its max age (asked again in the background past half of it), cleared when keys change —
 * a removed key's certificate is gone from the next list, never served from the copy — a
 * failed or outdated answer is never kept, and an unchanged certificate keeps its object (so it is
 * parsed once, not on every HEBCA call). Clocks are the test's own: nothing here is timed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { SOR } from '../../../main/bridge/bjca.ts';
import { CertificateCache, DEFAULT_LIMITS, parsedCertificate } from '../../../main/bridge/session.ts';
import { startBridgeServer, type BridgeServer } from '../../../main/bridge/server.ts';
import type { BridgeCertificate, BridgeHost } from '../../../main/bridge/types.ts';
import { AssistantError } from '../../../main/errors.ts';
import { getTestPki } from '../../fixtures/pki.ts';
import { BjcaClient } from '../../support/bridge.ts';

const ORIGIN = 'http://127.0.0.1:8951';

const cert = (id: string, der = new Uint8Array([0x30, 0x03, 0x02, 0x01, id.length])): BridgeCertificate => ({
  id, label: `证书 ${id}`, certificate: der, algorithm: 'RS256', hardware: true, deviceSerial: `SN-${id}`, retriesLeft: null,
});

/** A host whose list the test sets; each question waits until the test answers it (or answers at once). */
function countingHost(initial: BridgeCertificate[], opts: { manual?: boolean } = {}) {
  let list = initial;
  const asked: Array<{ origin: string; protocol: string }> = [];
  const open: Array<{ resolve: (l: BridgeCertificate[]) => void; reject: (e: unknown) => void; list: BridgeCertificate[] }> = [];
  const host: BridgeHost = {
    certificates: (ctx) => {
      asked.push(ctx);
      if (!opts.manual) return Promise.resolve(list);
      return new Promise((resolve, reject) => open.push({ resolve, reject, list }));
    },
    sign: async () => {
      throw new AssistantError('USER_DENIED', '用户拒绝了该签名请求');
    },
    decrypt: async () => {
      throw new AssistantError('USER_DENIED', '用户拒绝了该解密请求');
    },
    note: () => {},
  };
  return {
    host, asked,
    set: (l: BridgeCertificate[]) => (list = l),
    /** Answers the oldest open question with the list as it was when asked. */
    answer: () => {
      const q = open.shift()!;
      q.resolve(q.list);
    },
    fail: () => open.shift()!.reject(new AssistantError('DEVICE_TIMEOUT', '证书列表长时间无响应')),
    openQuestions: () => open.length,
  };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('CertificateCache', () => {
  const A = cert('A');
  const B = cert('B');
  const ctxOf = (host: BridgeHost, origin = ORIGIN) => ({ host, origin, protocol: 'bjca' as const, limits: DEFAULT_LIMITS });

  test('within its max age the copy answers and the host is not asked again', async () => {
    const h = countingHost([A]);
    let now = 0;
    const cache = new CertificateCache(1_000, () => now);
    assert.deepEqual(await cache.get(ctxOf(h.host)), [A]);
    h.set([B]);
    now = 400;
    for (let i = 0; i < 50; i++) assert.deepEqual(await cache.get(ctxOf(h.host)), [A]);
    assert.equal(h.asked.length, 1);
  });

  test('past half its age a call answers from the copy and the host is asked in the background; past its age a call waits for the host', async () => {
    const h = countingHost([A], { manual: true });
    let now = 0;
    const cache = new CertificateCache(1_000, () => now);
    const first = cache.get(ctxOf(h.host));
    h.answer();
    assert.deepEqual(await first, [A]);
    h.set([B]);
    now = 600;
    assert.deepEqual(await cache.get(ctxOf(h.host)), [A], 'answered from the copy');
    assert.equal(h.asked.length, 2, 'and the host asked once in the background');
    assert.deepEqual(await cache.get(ctxOf(h.host)), [A]);
    assert.equal(h.asked.length, 2, 'one background question at a time');
    h.answer();
    await flush();
    assert.deepEqual(await cache.get(ctxOf(h.host)), [B], 'the background answer replaces the copy');

    now = 600 + 1_001;
    h.set([A]);
    let settled = false;
    const late = cache.get(ctxOf(h.host)).then((l) => ((settled = true), l));
    await flush();
    assert.equal(settled, false, 'a copy past its age is not used');
    h.answer();
    assert.deepEqual(await late, [A]);
  });

  test('clear() (keys changed): the next call asks the host, and an answer asked for before the clear is never kept', async () => {
    const h = countingHost([A, B], { manual: true });
    const now = 0;
    const cache = new CertificateCache(60_000, () => now);
    const first = cache.get(ctxOf(h.host));
    h.answer();
    assert.deepEqual(await first, [A, B]);

    // A question goes out (another origin), the key is pulled and the change announced before it is answered.
    const before = cache.get(ctxOf(h.host, 'http://127.0.0.1:8952'));
    h.set([A]);
    cache.clear();
    h.answer();
    assert.deepEqual(await before, [A, B], 'the caller that asked before gets what it asked for');

    const after1 = cache.get(ctxOf(h.host));
    const after2 = cache.get(ctxOf(h.host, 'http://127.0.0.1:8952'));
    assert.equal(h.openQuestions(), 2, 'both contexts ask the host again');
    h.answer();
    h.answer();
    assert.deepEqual(await after1, [A]);
    assert.deepEqual(await after2, [A], 'the outdated answer was not kept for the other origin');
  });

  test('a failed question keeps nothing: the call fails and the next one asks again', async () => {
    const h = countingHost([A], { manual: true });
    const cache = new CertificateCache(60_000, () => 0);
    const first = cache.get(ctxOf(h.host));
    h.fail();
    await assert.rejects(first, /长时间无响应/);
    const second = cache.get(ctxOf(h.host));
    h.answer();
    assert.deepEqual(await second, [A]);
    assert.equal(h.asked.length, 2);
  });

  test('a certificate listed again unchanged keeps its object (parsed once); a changed one is new', async () => {
    const pki = await getTestPki();
    const der = new Uint8Array(fs.readFileSync(pki.get('hebca-sm2-ent').certDer));
    const h = countingHost([cert('SM2', der), A]);
    let now = 0;
    const cache = new CertificateCache(1_000, () => now);
    const [sm2, a] = await cache.get(ctxOf(h.host));
    assert.equal(parsedCertificate(sm2!), parsedCertificate(sm2!), 'parsed once per object');
    assert.equal(parsedCertificate(sm2!).fingerprintSha256, createHash('sha256').update(der).digest('hex'));
    // The host answers with new objects (structured clone over IPC); A's PIN count changed.
    h.set([cert('SM2', new Uint8Array(der)), { ...A, retriesLeft: 5 }]);
    now = 1_001;
    const [sm2Again, aAgain] = await cache.get(ctxOf(h.host));
    assert.equal(sm2Again, sm2, 'same certificate, same object');
    assert.notEqual(aAgain, a);
    assert.equal(aAgain!.retriesLeft, 5);
  });

  test('each origin and protocol has its own copy (the host is asked with them)', async () => {
    const h = countingHost([A]);
    const cache = new CertificateCache(60_000, () => 0);
    await cache.get(ctxOf(h.host));
    await cache.get(ctxOf(h.host, 'http://127.0.0.1:8953'));
    await cache.get({ ...ctxOf(h.host), protocol: 'hebca' });
    await cache.get(ctxOf(h.host));
    assert.deepEqual(h.asked, [{ origin: ORIGIN, protocol: 'bjca' }, { origin: 'http://127.0.0.1:8953', protocol: 'bjca' }, { origin: ORIGIN, protocol: 'hebca' }]);
  });
});

describe('the bridge server answers list and export calls from its copy', () => {
  let server: BridgeServer;
  let h: ReturnType<typeof countingHost>;
  let real: BridgeCertificate;
  let other: BridgeCertificate;
  before(async () => {
    const pki = await getTestPki();
    real = cert('REAL01', new Uint8Array(fs.readFileSync(pki.get('bjca-ent').certDer)));
    other = cert('OTHER2', new Uint8Array(fs.readFileSync(pki.get('hebca-sm2-ent').certDer)));
    h = countingHost([real, other]);
    // A max age no test run reaches: only keysChanged() may refresh the copy here.
    server = await startBridgeServer({ protocols: ['bjca'], ports: { bjcaWs: 0 }, host: h.host, isAllowedOrigin: (o) => o === ORIGIN, certificateMaxAgeMs: 3_600_000 });
  });
  after(() => server.close());

  test('many calls, one question to the host; keysChanged() empties the copy before the page hears onUsbkeyChange, so a removed key is gone from the next list', async () => {
    const c = await BjcaClient.open(server.endpoints[0]!.url, ORIGIN);
    try {
      const b64 = Buffer.from(real.certificate).toString('base64');
      for (let i = 0; i < 20; i++) {
        assert.equal(await c.call('SOF_ExportUserCert', 'REAL01'), b64);
        assert.match(String(await c.call('SOF_GetUserList')), /REAL01&&&.*OTHER2&&&/);
      }
      assert.equal(h.asked.length, 1, 'the host was asked once for 40 calls');

      // The USB key holding REAL01 is pulled: the host's list changes and it says keys changed.
      h.set([other]);
      server.keysChanged();
      assert.equal(await c.call('SOF_ExportUserCert', 'REAL01'), '', 'the removed certificate is not exported from the copy');
      assert.equal(await c.call('SOF_GetLastError'), SOR.CERT_NOT_FOUND);
      // Frames on one socket arrive in order: the event came before that answer.
      assert.ok(c.events.some((e) => String(e['call_cmd_id']).toLowerCase() === 'onusbkeychange'), 'onUsbkeyChange arrived first');
      assert.doesNotMatch(String(await c.call('SOF_GetUserList')), /REAL01/);
      assert.equal(h.asked.length, 2);
    } finally {
      c.close();
    }
  });
});
