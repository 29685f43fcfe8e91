/**
 * A gateway login page in Chromium talks to `cert-assistant bridge --protocol jit` the way the
 * JIT page library does (docs/compat.md §8; the page client below is written from that wire
 * description, not from any vendor code): synchronous XHR POSTs, `QueryService` for a session URL,
 * then `<Func>:<json>` calls reading `{"value": …}`, the URL dropped when a call throws. An allowed
 * page logs in with RSA and SM2 (OpenSSL checks the detached PKCS#7); Deny and refused functions
 * reach the page in the protocol's error shape; a page from another origin reads nothing at all.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { JIT_ERR } from '../../main/bridge/jit.ts';
import { getTestPki, type PkiEntry, type TestPki } from '../fixtures/pki.ts';
import { startCliBridge, type BridgeEvent, type RunningCli } from '../support/bridge.ts';
import { opensslVerifiesP7 } from '../support/openssl-verify.ts';
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissingReason } from './host.ts';

const missing = chromiumMissingReason();

const PAGE = `<!doctype html><meta charset="utf-8"><title>网关登录（吉大正元兼容）</title><script>
var gw = { listener: '', url: '' };
function post(url, body) {
  var x = new XMLHttpRequest();
  x.open('POST', url, false);
  x.setRequestHeader('Content-Type', 'text/plain;charset=UTF-8');
  x.send(body);
  return x.responseText;
}
function call(func, args) {
  try {
    if (!gw.url) {
      gw.url = post(gw.listener, 'QueryService');
      if (gw.url === '{"value":""}' || !gw.url) throw new Error('no client');
    }
    return JSON.parse(post(gw.url, func + ':' + (args === undefined ? '' : JSON.stringify(args)))).value;
  } catch (e) {
    gw.url = '';
    throw e;
  }
}
function gatewayLogin(listener, original) {
  gw.listener = listener; gw.url = '';
  try { call('GetVersion'); } catch (e) { return { error: '未安装控件' }; }
  call('ClearFilter');
  call('Initialize', { strAlgType: '', strAuxParam: '<authinfo><liblist><lib type="CSP" version="1.0" dllname="TWljcm9zb2Z0IEJhc2UgQ3J5cHRvZ3JhcGhpYyBQcm92aWRlcg=="/></liblist></authinfo>' });
  call('SetChooseSingleCert', { isChoose: 1 });
  call('AddFilter', { ulType: 11, strValue: '2' });
  var signed = call('P7SignString', { strValue: original, isDetach: true, isIncludeCert: true });
  if (!signed) return { error: call('GetLastErrorMessage'), code: call('GetLastError') };
  return { original: original, signed_data: signed, cert: call('GetSignCert'), key_pin: call('GetPinCode') };
}
function refusedCall(listener) {
  gw.listener = listener; gw.url = '';
  var v = call('ExecuteCS', { strGatewayAddress: '127.0.0.1', strAppFlag: 'app', strAppPath: 'C:\\\\Windows\\\\System32\\\\cmd.exe' });
  return { value: v, code: call('GetLastError'), message: call('GetLastErrorMessage'), setup: call('SetupClient', { strURL: 'http://127.0.0.1/x.exe', strHashValue: '', bSync: true, bOnlySSO: false }) };
}
// As the library does: it forgets its session URL only when the request itself throws, and parses outside that try.
function staleSession(listener) {
  gw.listener = listener; gw.url = (listener.slice(-1) === '/' ? listener.slice(0, -1) : listener) + '/s/00000000000000000000000000000000';
  var stale = gw.url; var values = [];
  for (var i = 0; i < 2; i++) {
    var text = '';
    try { if (!gw.url) gw.url = post(gw.listener, 'QueryService'); text = post(gw.url, 'GetVersion:'); } catch (e) { gw.url = ''; }
    try { values.push(text === '' ? '' : JSON.parse(text).value); } catch (e) { values.push('parse error: ' + e.message); }
  }
  return { values: values, url: gw.url, stale: stale };
}
function probe(listener) {
  gw.listener = listener; gw.url = '';
  var seen = [];
  try { seen.push(post(listener, 'QueryService')); } catch (e) { return { threw: true, seen: seen, error: String(e) }; }
  return { threw: false, seen: seen };
}
</script><body>网关登录</body>`;

describe('JIT gateway login page in Chromium against cert-assistant bridge --protocol jit', { skip: missing ?? false }, () => {
  let pki: TestPki;
  let tmp: string;
  let context: BrowserContext;
  let site: http.Server;
  let port: number;
  let cli: RunningCli;
  let answer: (e: BridgeEvent) => string = () => 'allow 123456';

  const choose = (entry: PkiEntry) => (e: BridgeEvent): string => {
    const fp = createHash('sha256').update(fs.readFileSync(entry.certDer)).digest('hex');
    const list = (e['choices'] as Array<{ fingerprintSha256: string }> | undefined) ?? [e['certificate'] as { fingerprintSha256: string }];
    return `choose ${list.findIndex((c) => c.fingerprintSha256 === fp) + 1} 123456`;
  };

  before(async () => {
    pki = await getTestPki();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-jit-e2e-'));
    // One page server; the allowed origin is http://127.0.0.1:port, http://localhost:port is another origin.
    site = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', () => r()));
    port = (site.address() as { port: number }).port;
    cli = await startCliBridge(['--pfx', pki.get('bjca-ent').pfx!.modern!, '--pfx', pki.get('hebca-sm2-ent').pfx!.modern!, '--allow-origin', `http://127.0.0.1:${port}`, '--protocol', 'jit'], { answer: (e) => answer(e) });
    context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  });
  after(async () => {
    await context?.close();
    await cli?.stop();
    site?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const open = async (host: string): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(`http://${host}:${port}/`);
    return page;
  };
  type Fn = (...a: string[]) => Record<string, unknown>;
  const run = (page: Page, fn: string, ...args: string[]) => page.evaluate(([f, a]) => ((globalThis as unknown as Record<string, Fn>)[f as string]!)(...(a as string[])), [fn, args] as const);

  for (const id of ['bjca-ent', 'hebca-sm2-ent']) {
    test(`gateway login with ${id}: original + detached PKCS#7 that OpenSSL verifies; GetPinCode gives nothing`, async () => {
      const entry = pki.get(id);
      answer = choose(entry);
      const page = await open('127.0.0.1');
      const original = `gw-random-${id}-7f3a`;
      const r = await run(page, 'gatewayLogin', cli.jit, original);
      assert.ok(r['signed_data'], JSON.stringify(r));
      assert.equal(r['key_pin'], '');
      assert.ok(Buffer.from(String(r['cert']), 'base64').equals(fs.readFileSync(entry.certDer)));
      const v = opensslVerifiesP7(pki, entry, Buffer.from(String(r['signed_data']), 'base64'), Buffer.from(original), true, tmp);
      assert.ok(v.ok, v.why);
      const consent = cli.events.filter((e) => e.event === 'consent').at(-1)!;
      assert.equal(consent['origin'], `http://127.0.0.1:${port}`);
      assert.equal(consent['protocol'], 'jit');
      await page.close();
    });
  }

  test('Deny reaches the page as an empty signature with USER_DENIED; refused functions answer the error shape', async () => {
    const page = await open('127.0.0.1');
    answer = () => 'deny';
    try {
      const r = await run(page, 'gatewayLogin', cli.jit, 'gw-random-denied');
      assert.equal(r['code'], JIT_ERR.USER_DENIED);
      assert.match(String(r['error']), /拒绝/);
    } finally {
      answer = () => 'allow 123456';
    }
    const refused = await run(page, 'refusedCall', cli.jit);
    assert.equal(refused['value'], JIT_ERR.REFUSED);
    assert.equal(refused['code'], JIT_ERR.REFUSED);
    assert.match(String(refused['message']), /[\u4e00-\u9fff]/);
    assert.equal(refused['setup'], JIT_ERR.REFUSED);
    await page.close();
  });

  test('an expired session URL: the XHR throws (404 without CORS), so the library drops it and its next call opens a new session', async () => {
    const page = await open('127.0.0.1');
    const r = await run(page, 'staleSession', cli.jit);
    const values = r['values'] as string[];
    assert.equal(values[0], '', JSON.stringify(r));
    assert.match(String(values[1]), /^\d+(\.\d+)+$/, JSON.stringify(r));
    assert.notEqual(r['url'], r['stale']);
    assert.ok(String(r['url']).startsWith(cli.jit.replace(/\/$/, '')), JSON.stringify(r));
    await page.close();
  });

  test('a page from another origin reads nothing: the XHR fails (no CORS header) and the refusal is noted', async () => {
    const page = await open('localhost');
    const r = await run(page, 'probe', cli.jit);
    assert.equal(r['threw'], true, JSON.stringify(r));
    assert.deepEqual(r['seen'], []);
    const gl = await run(page, 'gatewayLogin', cli.jit, 'gw-random-other');
    assert.equal(gl['error'], '未安装控件');
    // The note crosses the bridge process and the CLI's stdout: it may land just after the page saw the 403.
    const noted = () => cli.events.some((e) => e.event === 'refused' && e['origin'] === `http://localhost:${port}` && e['protocol'] === 'jit');
    for (let i = 0; i < 100 && !noted(); i++) await new Promise((res) => setTimeout(res, 50));
    assert.ok(noted());
    await page.close();
  });
});
