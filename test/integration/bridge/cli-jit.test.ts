/**
 * `cert-assistant bridge --protocol jit` (JIT PNXClient, docs/compat.md §8) as a child process on
 * free ports, consents answered on stdin, a client written from the wire description
 * (test/support/jit-client.ts). P1 and P7 outputs for RSA and SM2 are checked by OpenSSL; the
 * consent lists both certificates and the one the user picks signs; https 10087 serves the same
 * loopback certificate as BJCA's wss; refused origins get nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JIT_ERR } from '../../../main/bridge/jit.ts';
import { issueLocalhostCertificate } from '../../../main/bridge/tls/localhost-certificate.ts';
import { main } from '../../../main/cli/main.ts';
import { getTestPki, type PkiEntry, type TestPki } from '../../fixtures/pki.ts';
import { startCliBridge, type BridgeEvent, type RunningCli } from '../../support/bridge.ts';
import { runCli } from '../../support/cli.ts';
import { httpRequest, JitClient } from '../../support/jit-client.ts';
import { opensslVerifiesP7, opensslVerifiesRaw } from '../../support/openssl-verify.ts';

const ORIGIN = 'http://127.0.0.1:8961';
const HTTPS_ORIGIN = 'https://portal.example.test';
let pki: TestPki;
let dir: string;
let cli: RunningCli;
let caPem: string;
/** How the next consent is answered; `choose N` picks the N-th listed certificate. */
let answer: (e: BridgeEvent) => string = () => 'allow 123456';

/** The certificate's position (1-based) in the consent's list. */
const position = (e: BridgeEvent, entry: PkiEntry): number => {
  const fp = createHash('sha256').update(fs.readFileSync(entry.certDer)).digest('hex');
  const choices = (e['choices'] as Array<{ fingerprintSha256: string }> | undefined) ?? [e['certificate'] as { fingerprintSha256: string }];
  return choices.findIndex((c) => c.fingerprintSha256 === fp) + 1;
};
const pick = (entry: PkiEntry) => (e: BridgeEvent) => `choose ${position(e, entry)} 123456`;

before(async () => {
  pki = await getTestPki();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-jit-'));
  const tls = await issueLocalhostCertificate();
  caPem = tls.caCertificatePem;
  fs.writeFileSync(path.join(dir, 'localhost.crt'), tls.certificatePem);
  fs.writeFileSync(path.join(dir, 'localhost.key'), tls.privateKeyPem);
  cli = await startCliBridge([
    '--pfx', pki.get('bjca-ent').pfx!.modern!, '--pfx', pki.get('hebca-sm2-ent').pfx!.modern!,
    '--allow-origin', ORIGIN, '--allow-origin', HTTPS_ORIGIN, '--protocol', 'jit',
    '--tls-cert', path.join(dir, 'localhost.crt'), '--tls-key', path.join(dir, 'localhost.key'),
  ], { answer: (e) => answer(e) });
});
after(async () => {
  await cli?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The public login pages' sequence (docs/compat.md §8), up to the signature. */
async function gatewayLogin(c: JitClient, original: string): Promise<string> {
  assert.equal(await c.call('GetVersion'), '3.0.0.1');
  assert.equal(await c.call('ClearFilter'), 0);
  assert.equal(await c.call('Initialize', { strAlgType: '', strAuxParam: '<authinfo><liblist><lib type="SKF" version="1.0" dllname="bXRva2VuX2dtMzAwMF9KSVQuZGxs"/></liblist></authinfo>' }), 0);
  assert.equal(await c.call('SetChooseSingleCert', { isChoose: 1 }), 0);
  assert.equal(await c.call('AddFilter', { ulType: 11, strValue: '2' }), 0);
  return String(await c.call('P7SignString', { strValue: original, isDetach: true, isIncludeCert: true }));
}

describe('cert-assistant bridge --protocol jit', () => {
  test('listening lists http and https endpoints for jit only', () => {
    const listening = cli.events.find((e) => e.event === 'listening')!;
    const eps = listening['endpoints'] as Array<{ protocol: string; url: string }>;
    assert.deepEqual(eps.map((e) => e.protocol), ['jit', 'jit']);
    assert.match(cli.jit, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.match(cli.jitHttps ?? '', /^https:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(cli.bjca, '');
  });

  for (const id of ['bjca-ent', 'hebca-sm2-ent']) {
    test(`gateway login with ${id}: the consent lists both certificates, the user picks; detached PKCS#7 verifies with OpenSSL`, async () => {
      const entry = pki.get(id);
      answer = pick(entry);
      const c = await JitClient.open(cli.jit, ORIGIN);
      const original = `jit-login-${id}-0001`;
      const p7 = await gatewayLogin(c, original);
      assert.ok(p7.length > 0, String(await c.call('GetLastErrorMessage')));
      const v = opensslVerifiesP7(pki, entry, Buffer.from(p7, 'base64'), Buffer.from(original), true, dir);
      assert.ok(v.ok, v.why);
      assert.equal(await c.call('GetSignCert'), fs.readFileSync(entry.certDer).toString('base64'));
      assert.equal(await c.call('GetSignCertType'), entry.keyAlg === 'sm2' ? 'SM2' : 'RSA');
      const consent = cli.events.filter((e) => e.event === 'consent').at(-1)!;
      assert.equal(consent['protocol'], 'jit');
      assert.equal(consent['origin'], ORIGIN);
      assert.equal((consent['choices'] as unknown[]).length, 2, 'both certificates are offered (different subjects)');
      const signed = cli.events.filter((e) => e.event === 'signed').at(-1)!;
      assert.equal(signed['protocol'], 'jit');
      assert.equal(signed['uscc'], entry.expect.uscc, 'the record names the certificate the user picked');
      assert.equal(await c.call('GetPinCode'), '');
    });
  }

  for (const id of ['bjca-ent', 'hebca-sm2-ent']) {
    test(`P1SignString / P1Sign / attached P7Sign with ${id}: OpenSSL verifies each`, async () => {
      const entry = pki.get(id);
      answer = pick(entry);
      const c = await JitClient.open(cli.jit, ORIGIN);
      const text = '网关登录随机数 RND-42';
      const p1 = Buffer.from(String(await c.call('P1SignString', { strValue: text })), 'base64');
      assert.ok(opensslVerifiesRaw(entry, Buffer.from(text), p1, dir), String(await c.call('GetLastErrorMessage')));
      const bin = Buffer.from([0, 1, 2, 250, 251, 252]);
      const p1b = Buffer.from(String(await c.call('P1Sign', { strValueBase64: bin.toString('base64') })), 'base64');
      assert.ok(opensslVerifiesRaw(entry, bin, p1b, dir));
      const p7 = Buffer.from(String(await c.call('P7Sign', { strValueBase64: bin.toString('base64'), isDetach: false, isIncludeCert: true })), 'base64');
      const v = opensslVerifiesP7(pki, entry, p7, bin, false, dir);
      assert.ok(v.ok, v.why);
    });
  }

  for (const id of ['bjca-ent', 'hebca-sm2-ent']) {
    test(`P7SignString isIncludeCert=false with ${id}: the SignedData carries no certificate; OpenSSL verifies with the signer's given separately`, async () => {
      const entry = pki.get(id);
      answer = pick(entry);
      const c = await JitClient.open(cli.jit, ORIGIN);
      const original = `jit-nocert-${id}`;
      const p7 = String(await c.call('P7SignString', { strValue: original, isDetach: true, isIncludeCert: false }));
      assert.ok(p7.length > 0, String(await c.call('GetLastErrorMessage')));
      const v = opensslVerifiesP7(pki, entry, Buffer.from(p7, 'base64'), Buffer.from(original), true, dir, { certificatesOmitted: true });
      assert.ok(v.ok, v.why);
      // Attached, and with the flag absent (the library drops an undefined argument): certificates stay in.
      const bin = Buffer.from('attached-nocert');
      const p7a = String(await c.call('P7Sign', { strValueBase64: bin.toString('base64'), isDetach: false, isIncludeCert: 0 }));
      const va = opensslVerifiesP7(pki, entry, Buffer.from(p7a, 'base64'), bin, false, dir, { certificatesOmitted: true });
      assert.ok(va.ok, va.why);
      const p7d = String(await c.call('P7SignString', { strValue: original, isDetach: true }));
      const vd = opensslVerifiesP7(pki, entry, Buffer.from(p7d, 'base64'), Buffer.from(original), true, dir);
      assert.ok(vd.ok, vd.why);
    });
  }

  test('SetDigestAlg SHA1: the RSA raw signature is over SHA-1 (openssl dgst -sha1 verifies); SM3 leaves only the SM2 certificate', async () => {
    const entry = pki.get('bjca-ent');
    answer = pick(entry);
    const c = await JitClient.open(cli.jit, ORIGIN);
    assert.equal(await c.call('SetDigestAlg', { strDigestAlg: 'SHA1' }), 0);
    const text = 'sha1-gateway-0001';
    const sig = Buffer.from(String(await c.call('P1SignString', { strValue: text })), 'base64');
    assert.ok(opensslVerifiesRaw(entry, Buffer.from(text), sig, dir, 'sha1'), String(await c.call('GetLastErrorMessage')));
    assert.equal(opensslVerifiesRaw(entry, Buffer.from(text), sig, dir, 'sha256'), false);
    assert.equal(await c.call('GetSignHash'), createHash('sha1').update(text).digest('base64'));
    // Still SHA1, the user picks the SM2 certificate: it signs as SM2 does (SM3 with Z_A).
    const sm2 = pki.get('hebca-sm2-ent');
    answer = pick(sm2);
    const s1 = Buffer.from(String(await c.call('P1SignString', { strValue: text })), 'base64');
    assert.ok(opensslVerifiesRaw(sm2, Buffer.from(text), s1, dir), String(await c.call('GetLastErrorMessage')));
    assert.equal(await c.call('SetDigestAlg', { strDigestAlg: 'SM3' }), 0);
    answer = () => 'allow 123456';
    const s2 = Buffer.from(String(await c.call('P1SignString', { strValue: text })), 'base64');
    assert.ok(opensslVerifiesRaw(sm2, Buffer.from(text), s2, dir), String(await c.call('GetLastErrorMessage')));
    const consent = cli.events.filter((e) => e.event === 'consent').at(-1)!;
    assert.equal(consent['choices'], undefined, 'only the SM2 certificate can sign with SM3: no list');
  });

  test('Deny reaches the page as "" with USER_DENIED; nothing signed', async () => {
    answer = () => 'deny';
    try {
      const c = await JitClient.open(cli.jit, ORIGIN);
      const signed = cli.events.filter((e) => e.event === 'signed').length;
      assert.equal(await c.call('P7SignString', { strValue: '投标文件\n第一标段', isDetach: true, isIncludeCert: true }), '');
      assert.equal(await c.call('GetLastError'), JIT_ERR.USER_DENIED);
      assert.match(String(await c.call('GetLastErrorMessage')), /拒绝/);
      assert.equal(cli.events.filter((e) => e.event === 'signed').length, signed);
      const consent = cli.events.filter((e) => e.event === 'consent').at(-1)!;
      assert.equal((consent['content'] as Record<string, string>)['kind'], 'content');
    } finally {
      answer = () => 'allow 123456';
    }
  });

  test('a refused origin sees nothing (403, no CORS), is noted; refused functions answer the error shape', async () => {
    const r = await httpRequest(cli.jit, { body: 'QueryService', headers: { Origin: 'https://evil.example' } });
    assert.equal(r.status, 403);
    assert.equal(r.headers['access-control-allow-origin'], undefined);
    assert.equal(r.body, '');
    const refused = await cli.waitFor('refused');
    assert.deepEqual([refused['origin'], refused['reason'], refused['protocol']], ['https://evil.example', 'origin-not-allowed', 'jit']);
    const c = await JitClient.open(cli.jit, ORIGIN);
    assert.equal(await c.call('ExecuteCS', { strGatewayAddress: '127.0.0.1', strAppFlag: 'x', strAppPath: 'C:\\Windows\\System32\\cmd.exe' }), JIT_ERR.REFUSED);
    assert.match(String(await c.call('GetLastErrorMessage')), /启动程序/);
    assert.equal(await c.call('GetFinger'), '');
    assert.equal(await c.call('GetLastError'), JIT_ERR.REFUSED);
  });

  test('https 10087 serves the same loopback certificate (a client trusting its one-time CA calls in; others fail TLS)', async () => {
    assert.ok(cli.jitHttps);
    await assert.rejects(httpRequest(cli.jitHttps!, { body: 'QueryService', headers: { Origin: HTTPS_ORIGIN } }));
    const c = await JitClient.open(cli.jitHttps!, HTTPS_ORIGIN, caPem);
    assert.match(c.sessionUrl, /^https:\/\/127\.0\.0\.1:\d+\/s\//);
    assert.equal(await c.call('GetVersion'), '3.0.0.1');
  });

  test('every JIT signature is in the signature log (protocol jit, via bridge)', async () => {
    const env = { ...process.env, CERT_ASSISTANT_HOME: cli.home };
    const listed = await runCli(main, ['log', '--json'], { env });
    assert.equal(listed.code, 0, listed.stderr);
    const { entries } = JSON.parse(listed.stdout) as { entries: Array<Record<string, unknown>> };
    await cli.waitFor('signed', entries.length - 1);
    assert.equal(entries.length, cli.events.filter((e) => e.event === 'signed').length);
    assert.ok(entries.length >= 9);
    for (const e of entries) {
      assert.equal(e['protocol'], 'jit');
      assert.equal(e['via'], 'bridge');
    }
    assert.ok(!fs.readFileSync(path.join(cli.home, 'signature-log.jsonl'), 'utf8').includes('"123456"'), 'no PIN in the log');
  });
});
