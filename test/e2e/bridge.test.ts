/**
 * Real pages in Chromium talk to `cert-assistant bridge` with our own browser clients for both
 * protocols (written from docs/compat.md): an allowed page logs in (RSA and SM2), OpenSSL checks
 * what it received; a page from another origin sees no certificate at all; Deny reaches the
 * page's error path.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { getTestPki, type PkiEntry, type TestPki } from '../fixtures/pki.ts';
import { startCliBridge, type BridgeEvent, type RunningCli } from '../support/bridge.ts';
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissingReason } from './host.ts';
import { caCompatPage } from '../support/ca-page.ts';

const missing = chromiumMissingReason();

/** The page script: a tiny XTXApp and P11 client, the way the CA libraries use the sockets. */
const PAGE = caCompatPage(`
async function bjcaLogin(url, random, pick) {
  const call = await bjca(url);
  const list = (await call('SOF_GetUserList')).split('&&&').filter(Boolean).map((u) => u.split('||'));
  const user = list.find(([name]) => name === pick) || list[0];
  if (!user) return { error: 'no certificate' };
  await call('SOF_Login', user[1], '111111');
  const cert = await call('SOF_ExportUserCert', user[1]);
  const notAfter = await call('SOF_GetCertInfo', cert, 12);
  const signed = await call('SOF_SignData', user[1], random);
  if (!signed) return { error: await call('SOF_GetLastErrMsg'), code: await call('SOF_GetLastError') };
  return { UserCert: cert, UserSignedData: signed, notAfter };
}
function hebca(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url); const pend = {};
    ws.onerror = () => reject(new Error('socket error'));
    ws.onopen = () => ws.send('0|' + Date.now());
    ws.onmessage = (e) => {
      const s = e.data; const a = s.split('|');
      if (a[0] === '0' && a[1].indexOf('Welcome') !== -1) return resolve((f, p) => new Promise((r) => { (pend[f] = pend[f] || []).push(r); ws.send('1|' + f + (p ? '|' + JSON.stringify(p) : '')); }));
      const q = pend[a[1]]; if (q && q.length) q.shift()(JSON.parse(a.slice(2).join('|')));
    };
  });
}
async function hebcaLogin(url, text) {
  const call = await hebca(url);
  const sel = await call('SelectSignCert'); if (sel.ret !== 0) return { error: sel.msg };
  await call('Login', { pin: '111111' });
  const cert = await call('GetCertB64');
  const s = await call('SignText', { signText: text });
  return s.ret === 0 ? { cert: cert.cert, signature: s.signature } : { error: s.msg, ret: s.ret };
}
async function probe(url) {
  return new Promise((resolve) => { const ws = new WebSocket(url); const got = [];
    ws.onmessage = (e) => got.push(e.data); ws.onopen = () => ws.send(JSON.stringify({ call_cmd_id: 'i_1', xtx_func_name: 'SOF_GetUserList' }));
    ws.onclose = () => resolve({ opened: false, got }); setTimeout(() => resolve({ opened: ws.readyState === 1, got }), 3000); });
}
`);

function serve(): Promise<{ origin: string; close(): void }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.address() as { port: number };
    resolve({ origin: `http://127.0.0.1:${a.port}`, close: () => server.close() });
  }));
}

describe('CA-compatible login pages in Chromium against cert-assistant bridge', { skip: missing ?? false }, () => {
  let pki: TestPki;
  let tmp: string;
  let context: BrowserContext;
  let allowed: { origin: string; close(): void };
  let other: { origin: string; close(): void };
  let cli: RunningCli;
  let answer = 'allow 123456';

  before(async () => {
    pki = await getTestPki();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-bridge-e2e-'));
    allowed = await serve();
    other = await serve();
    cli = await startCliBridge(['--pfx', pki.get('bjca-ent').pfx!.modern!, '--pfx', pki.get('hebca-sm2-ent').pfx!.modern!, '--allow-origin', allowed.origin], { answer: () => answer });
    context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  });
  after(async () => {
    await context?.close();
    await cli?.stop();
    allowed?.close();
    other?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const verifyWithOpenssl = (entry: PkiEntry, data: string, sigB64: string): boolean => {
    const pub = path.join(tmp, 'pub.pem');
    fs.writeFileSync(pub, execFileSync('openssl', ['x509', '-in', entry.certPem, '-pubkey', '-noout']));
    fs.writeFileSync(path.join(tmp, 'd'), data);
    fs.writeFileSync(path.join(tmp, 's'), Buffer.from(sigB64, 'base64'));
    const args = entry.keyAlg === 'sm2'
      ? ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', path.join(tmp, 'd'), '-sigfile', path.join(tmp, 's')]
      : ['dgst', '-sha256', '-verify', pub, '-signature', path.join(tmp, 's'), path.join(tmp, 'd')];
    try {
      execFileSync('openssl', args, { stdio: 'pipe' });
      return true;
    } catch {
      return false;
    }
  };

  for (const id of ['bjca-ent', 'hebca-sm2-ent']) {
    test(`BJCA form login in Chromium with ${id}: UserCert + UserSignedData verify with OpenSSL`, async () => {
      const entry = pki.get(id);
      const page = await context.newPage();
      await page.goto(allowed.origin + '/');
      const random = 'UmFuZG9tRnJvbVBvcnRhbDEyMzQ=';
      const r = await page.evaluate(([url, rnd, pick]) => (globalThis as unknown as { bjcaLogin: (a: string, b: string, c: string) => Promise<Record<string, string>> }).bjcaLogin(url!, rnd!, pick!), [cli.bjca, random, entry.expect.enterpriseName!]);
      assert.ok(r['UserSignedData'], JSON.stringify(r));
      assert.ok(Buffer.from(r['UserCert']!, 'base64').equals(fs.readFileSync(entry.certDer)));
      assert.ok(verifyWithOpenssl(entry, random, r['UserSignedData']!));
      const consent = cli.events.filter((e) => e.event === 'consent' && e['origin'] === allowed.origin).at(-1)!;
      assert.equal(consent['operation'], 'login');
      await page.close();
    });
  }

  test('HEBCA SignText in Chromium; Deny reaches the page as ret ≠ 0', async () => {
    const page = await context.newPage();
    await page.goto(allowed.origin + '/');
    const call = (text: string) => page.evaluate(([url, t]) => (globalThis as unknown as { hebcaLogin: (a: string, b: string) => Promise<Record<string, unknown>> }).hebcaLogin(url!, t!), [cli.hebca, text]);
    const ok = await call('hebca-login-random-0001');
    assert.ok(ok['signature'], JSON.stringify(ok));
    const first = pki.get(Buffer.from(String(ok['cert']), 'base64').equals(fs.readFileSync(pki.get('bjca-ent').certDer)) ? 'bjca-ent' : 'hebca-sm2-ent');
    assert.ok(verifyWithOpenssl(first, 'hebca-login-random-0001', String(ok['signature'])));
    answer = 'deny';
    try {
      const denied = await call('hebca-login-random-0002');
      assert.equal(denied['ret'], 1006);
      assert.match(String(denied['error']), /拒绝/);
    } finally {
      answer = 'allow 123456';
    }
    await page.close();
  });

  test('a page from another origin sees no certificate: the socket never opens', async () => {
    const page = await context.newPage();
    await page.goto(other.origin + '/');
    const r = await page.evaluate((url) => (globalThis as unknown as { probe: (u: string) => Promise<{ opened: boolean; got: string[] }> }).probe(url), cli.bjca);
    assert.equal(r.opened, false);
    assert.deepEqual(r.got, []);
    // The bridge notes the refusal on the CLI's event stream, which may reach us after the page saw the socket close.
    const isRefusal = (e: BridgeEvent) => e.event === 'refused' && e['origin'] === other.origin;
    for (let i = 0; i < 50 && !cli.events.some(isRefusal); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = cli.events.filter(isRefusal);
    assert.ok(refused.length >= 1);
    await page.close();
  });
});
