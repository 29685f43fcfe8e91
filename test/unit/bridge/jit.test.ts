/**
 * JIT PNXClient (docs/compat.md §8) against the in-process bridge server: the session handshake,
 * the Origin check on every request, CORS and Local Network Access preflights, limits, and the
 * handler table — each answered call, each refused one (the protocol's error shape: "" or a
 * non-zero number, the reason in GetLastError), what reaches the host's one signing path.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { createJitHttp, JIT_SESSION_IDLE_MS } from '../../../main/bridge/jit-http.ts';
import { JIT_ERR, JIT_VERSION, parseJitCall } from '../../../main/bridge/jit.ts';
import { NAMED_REFUSALS } from '../../../main/bridge/refused.ts';
import { startBridgeServer, type BridgeServer } from '../../../main/bridge/server.ts';
import { CertificateCache, DEFAULT_LIMITS, parsedCertificate } from '../../../main/bridge/session.ts';
import type { BridgeCertificate, BridgeHost, BridgeNote, BridgeSignRequest } from '../../../main/bridge/types.ts';
import { AssistantError } from '../../../main/errors.ts';
import { getTestPki } from '../../fixtures/pki.ts';
import { httpRequest, JitClient } from '../../support/jit-client.ts';

const ORIGIN = 'http://127.0.0.1:8951';
const OTHER_ALLOWED = 'http://127.0.0.1:8952';
const SIGNATURE = new Uint8Array([1, 2, 3, 4, 5]);

let rsa: BridgeCertificate;
let sm2: BridgeCertificate;
let rsaTwin: BridgeCertificate;
let certs: BridgeCertificate[];
const signs: BridgeSignRequest[] = [];
const notes: BridgeNote[] = [];
let listed = 0;
let signAnswer: (req: BridgeSignRequest) => Promise<{ certificateId: string }> = async (req) => ({ certificateId: req.certificateId });
let server: BridgeServer;
let listener: string;

const host: BridgeHost = {
  certificates: async () => {
    listed++;
    return certs;
  },
  sign: async (req) => {
    signs.push(req);
    const { certificateId } = await signAnswer(req);
    const c = certs.find((x) => x.id === certificateId)!;
    return { signature: SIGNATURE, certificate: c.certificate, algorithm: c.algorithm };
  },
  decrypt: async () => {
    throw new AssistantError('USER_DENIED', '用户拒绝了该解密请求');
  },
  note: (n) => notes.push(n),
};

before(async () => {
  const pki = await getTestPki();
  const der = (id: string) => new Uint8Array(fs.readFileSync(pki.get(id).certDer));
  rsa = { id: 'RSA1', label: 'jit-ent', certificate: der('jit-ent'), algorithm: 'RS256', hardware: true, deviceSerial: 'K1', retriesLeft: null };
  sm2 = { id: 'SM21', label: 'hebca-sm2-ent', certificate: der('hebca-sm2-ent'), algorithm: 'SM2-SM3', hardware: true, deviceSerial: 'K2', retriesLeft: null };
  // The same subject DN on an SM2 key (dual-certificate keys carry both): what AddFilter(11, "2") picks between.
  rsaTwin = { id: 'SM2TWIN', label: 'jit-ent SM2', certificate: der('jit-ent'), algorithm: 'SM2-SM3', hardware: true, deviceSerial: 'K1', retriesLeft: null };
  server = await startBridgeServer({
    protocols: ['jit'], ports: { jit: 0 }, host,
    isAllowedOrigin: (o) => o === ORIGIN || o === OTHER_ALLOWED,
    limits: { framesPerSecond: 1000 },
    // The tests change what the host lists between calls: no cached list.
    certificateMaxAgeMs: 0,
  });
  listener = server.endpoints.find((e) => e.protocol === 'jit')!.url;
});
after(() => server.close());
beforeEach(() => {
  certs = [rsa, sm2];
  signs.length = 0;
  notes.length = 0;
  signAnswer = async (req) => ({ certificateId: req.certificateId });
});

describe('wire', () => {
  test('the listener is plain HTTP on loopback; no wss/https without a certificate', () => {
    const eps = server.endpoints.filter((e) => e.protocol === 'jit');
    assert.deepEqual(eps.map((e) => e.scheme), ['http']);
    assert.match(listener, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  test('QueryService hands out a random session URL of ours, per request, with CORS for the origin', async () => {
    const a = await httpRequest(listener, { body: 'QueryService', headers: { Origin: ORIGIN } });
    const b = await httpRequest(listener, { body: 'QueryService', headers: { Origin: ORIGIN } });
    assert.equal(a.status, 200);
    assert.equal(a.headers['access-control-allow-origin'], ORIGIN);
    assert.equal(a.headers['server'], 'CertAssistant-Bridge');
    const base = listener.replace(/\/$/, '');
    assert.ok(a.body.startsWith(`${base}/s/`), a.body);
    assert.match(a.body.slice(base.length + 3), /^[A-Za-z0-9_-]{24}$/);
    assert.notEqual(a.body, b.body);
    // Anything else at the root is not a session request.
    assert.equal((await httpRequest(listener, { body: 'GetVersion:', headers: { Origin: ORIGIN } })).status, 400);
  });

  test('a call is `<Func>:<json>` → {"value": …}', async () => {
    const c = await JitClient.open(listener, ORIGIN);
    const r = await c.raw('GetVersion:');
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], ORIGIN);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(r.body), { value: JIT_VERSION });
    assert.deepEqual(JSON.parse((await c.raw('GetVersion')).body), { value: JIT_VERSION });
  });

  test('parseJitCall', () => {
    assert.deepEqual(parseJitCall('P1SignString:{"strValue":"a:b"}'), { func: 'P1SignString', args: { strValue: 'a:b' } });
    assert.deepEqual(parseJitCall('ClearFilter:'), { func: 'ClearFilter', args: {} });
    assert.ok('error' in parseJitCall(':{}'));
    assert.ok('error' in parseJitCall('X:[1]'));
    assert.ok('error' in parseJitCall('X:{'));
    assert.ok('error' in parseJitCall('9abc:'));
    // The library JSON-encodes GetPinCode's empty arguments.
    assert.deepEqual(parseJitCall('GetPinCode:""'), { func: 'GetPinCode', args: {} });
    assert.ok('error' in parseJitCall('X:7'));
  });
});

describe('origin on every request', () => {
  test('no Origin, or one not allowed: 403 without CORS headers, noted as refused; nothing listed', async () => {
    const before = listed;
    const none = await httpRequest(listener, { body: 'QueryService' });
    assert.equal(none.status, 403);
    assert.equal(none.headers['access-control-allow-origin'], undefined);
    assert.equal(none.body, '');
    const evil = await httpRequest(listener, { body: 'QueryService', headers: { Origin: 'https://evil.example' } });
    assert.equal(evil.status, 403);
    assert.equal(evil.headers['access-control-allow-origin'], undefined);
    assert.deepEqual(notes.map((n) => n.event === 'refused' && [n.reason, n.protocol]), [['no-origin', 'jit'], ['origin-not-allowed', 'jit']]);
    // A session URL is no capability: the same URL from another origin is refused too.
    const c = await JitClient.open(listener, ORIGIN);
    const stolen = await httpRequest(c.sessionUrl, { body: 'P1SignString:{"strValue":"x"}', headers: { Origin: 'https://evil.example' } });
    assert.equal(stolen.status, 403);
    assert.equal(stolen.headers['access-control-allow-origin'], undefined);
    const noOrigin = await httpRequest(c.sessionUrl, { body: 'GetVersion:' });
    assert.equal(noOrigin.status, 403);
    assert.equal(listed, before);
    assert.equal(signs.length, 0);
  });

  test('a session belongs to the origin that made it: another allowed origin gets 404 (as for an unknown session)', async () => {
    const c = await JitClient.open(listener, ORIGIN);
    const r = await httpRequest(c.sessionUrl, { body: 'P1SignString:{"strValue":"x"}', headers: { Origin: OTHER_ALLOWED } });
    assert.equal(r.status, 404);
    assert.equal(r.body, '');
    assert.ok(notes.some((n) => n.event === 'refused' && n.reason === 'session-origin'));
    assert.equal(signs.length, 0);
    assert.equal((await httpRequest(listener.replace(/\/$/, '/s/nosuchsession'), { body: 'GetVersion:', headers: { Origin: ORIGIN } })).status, 404);
  });

  test('an unknown or foreign session gets 404 WITHOUT CORS headers: the library\'s XHR throws, so it forgets the URL and asks QueryService again', async () => {
    // The public pnxclient.js clears its session URL only when the synchronous XHR throws; a readable
    // empty body would keep the stale URL and make every later JSON.parse throw.
    const unknown = await httpRequest(listener.replace(/\/$/, '/s/nosuchsession'), { body: 'GetVersion:', headers: { Origin: ORIGIN } });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers['access-control-allow-origin'], undefined);
    const c = await JitClient.open(listener, ORIGIN);
    const foreign = await httpRequest(c.sessionUrl, { body: 'GetVersion:', headers: { Origin: OTHER_ALLOWED } });
    assert.equal(foreign.status, 404);
    assert.equal(foreign.headers['access-control-allow-origin'], undefined);
  });

  test('Host must be loopback (DNS rebinding): 403', async () => {
    const r = await httpRequest(listener, { body: 'QueryService', headers: { Origin: ORIGIN, Host: 'evil.example:10086' } });
    assert.equal(r.status, 403);
    assert.ok(notes.some((n) => n.event === 'refused' && n.reason === 'host'));
  });

  test('OPTIONS preflight: allowed origins get CORS and Private Network Access; others 403 without', async () => {
    const ok = await httpRequest(listener, { method: 'OPTIONS', headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Private-Network': 'true' } });
    assert.equal(ok.status, 204);
    assert.equal(ok.headers['access-control-allow-origin'], ORIGIN);
    assert.equal(ok.headers['access-control-allow-private-network'], 'true');
    assert.match(String(ok.headers['access-control-allow-methods']), /POST/);
    const plain = await httpRequest(listener, { method: 'OPTIONS', headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST' } });
    assert.equal(plain.headers['access-control-allow-private-network'], undefined);
    const bad = await httpRequest(listener, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Private-Network': 'true' } });
    assert.equal(bad.status, 403);
    assert.equal(bad.headers['access-control-allow-origin'], undefined);
    assert.equal(bad.headers['access-control-allow-private-network'], undefined);
  });

  test('other methods: 405 with the Server header (doctor tells our bridge by it)', async () => {
    const r = await httpRequest(listener, { method: 'GET' });
    assert.equal(r.status, 405);
    assert.equal(r.headers['server'], 'CertAssistant-Bridge');
  });
});

describe('handler table', () => {
  test('version calls, Initialize (DLL names never loaded), Finalize, language, PIN dialog', async () => {
    const c = await JitClient.open(listener, ORIGIN);
    assert.equal(await c.call('GetVersion'), JIT_VERSION);
    assert.equal(await c.call('GetClientVersion'), JIT_VERSION);
    assert.equal(await c.call('GetProtocolVersion'), '1.0');
    const aux = `<authinfo><liblist><lib type="SKF" version="1.0" dllname="${Buffer.from('mtoken_gm3000_JIT.dll').toString('base64')}"><algid val="SHA1" sm2_hashalg="SM3"/></lib></liblist></authinfo>`;
    const before = listed;
    assert.equal(await c.call('Initialize', { strAlgType: '', strAuxParam: aux }), 0);
    assert.equal(listed, before, 'Initialize touches no key store');
    assert.equal(await c.call('Initialize', { strAlgType: 1 }), 0);
    assert.equal(await c.call('Initialize', { strAuxParam: { x: 1 } }), JIT_ERR.BAD_PARAM);
    assert.equal(await c.call('SetLanguage', { strLanguage: 'zh_CN' }), 0);
    assert.equal(await c.call('SetForcePinDialog', { isForcePinDialog: true }), 0);
    assert.equal(await c.call('SetChooseSingleCert', { isChoose: 1 }), 0);
    assert.equal(await c.call('SetChooseSingleCert', { isChoose: 'maybe' }), JIT_ERR.BAD_PARAM);
    assert.equal(await c.call('Finalize'), 0);
    assert.equal(await c.call('DestoryAuth'), 0);
    assert.equal(await c.call('GetLastError'), 0);
  });

  test('P1SignString / P1Sign: raw signatures through the host with the UTF-8 or decoded bytes', async () => {
    const c = await JitClient.open(listener, ORIGIN);
    assert.equal(await c.call('P1SignString', { strValue: '登录随机数 123' }), Buffer.from(SIGNATURE).toString('base64'));
    assert.equal(await c.call('P1Sign', { strValueBase64: Buffer.from([0, 255, 7]).toString('base64') }), Buffer.from(SIGNATURE).toString('base64'));
    assert.equal(signs.length, 2);
    assert.deepEqual(signs.map((s) => [s.protocol, s.origin, s.format, s.call, s.certificateId, s.digest]), [
      ['jit', ORIGIN, 'raw', 'P1SignString', 'RSA1', undefined], ['jit', ORIGIN, 'raw', 'P1Sign', 'RSA1', undefined],
    ]);
    assert.deepEqual([...signs[0]!.data], [...Buffer.from('登录随机数 123')]);
    assert.deepEqual([...signs[1]!.data], [0, 255, 7]);
    assert.deepEqual(signs[0]!.alternatives, ['SM21'], 'the other certificate is offered in the consent');
    assert.equal(await c.call('P1Sign', { strValueBase64: '%%%' }), '');
    assert.equal(await c.call('GetLastError'), JIT_ERR.BAD_PARAM);
    assert.match(String(await c.call('GetLastErrorMessage')), /Base64/);
    assert.equal(await c.call('P1SignString', {}), '');
    assert.equal(await c.call('GetLastError'), JIT_ERR.BAD_PARAM);
    assert.equal(signs.length, 2);
  });

  test('P7SignString / P7Sign: detached or attached PKCS#7', async () => {
    const c = await JitClient.open(listener, ORIGIN);
    await c.call('P7SignString', { strValue: 'original', isDetach: true, isIncludeCert: true });
    await c.call('P7SignString', { strValue: 'original', isDetach: false, isIncludeCert: true });
    await c.call('P7Sign', { strValueBase64: 'AAEC', isDetach: 'true', isIncludeCert: 1 });
    await c.call('P7Sign', { strValueBase64: 'AAEC', isDetach: 0, isIncludeCert: false });
    assert.deepEqual(signs.map((s) => s.format), ['pkcs7-detached', 'pkcs7-attached', 'pkcs7-detached', 'pkcs7-attached']);
  });

  test('SetDigestAlg: SHA1 makes RSA raw signatures SHA-1 (PKCS#7 stays SHA-256); SM3 cannot sign with RSA; SM2 is always SM3', async () => {
    const c = await JitClient.open(listener, ORIGIN);
    assert.equal(await c.call('SetDigestAlg', { strDigestAlg: 'MD5' }), JIT_ERR.BAD_PARAM);
    assert.match(String(await c.call('GetLastErrorMessage')), /摘要算法/);
    assert.equal(await c.call('SetDigestAlg', { strDigestAlg: 'sha-1' }), 0);
    certs = [rsa];
    await c.call('P1SignString', { strValue: 'x' });
    await c.call('P7SignString', { strValue: 'x', isDetach: true, isIncludeCert: true });
    assert.deepEqual(signs.map((s) => s.digest), ['sha1', undefined]);
    assert.equal(await c.call('SetDigestAlg', { strDigestAlg: 'SM3' }), 0);
    assert.equal(await c.call('P1SignString', { strValue: 'x' }), '');
    assert.equal(await c.call('GetLastError'), JIT_ERR.ALGORITHM_MISMATCH);
    assert.equal(signs.length, 2, 'refused before any consent');
    // With an SM2 certificate too, SM3 leaves only it (no choice offered).
    certs = [rsa, sm2];
    await c.call('P1SignString', { strValue: 'x' });
    assert.deepEqual([signs.at(-1)!.certificateId, signs.at(-1)!.alternatives], ['SM21', undefined]);
    certs = [sm2];
    await c.call('P1SignString', { strValue: 'x' });
    assert.equal(signs.at(-1)!.digest, undefined);
    assert.equal(await c.call('GetSignCertType'), 'SM2');
  });

  test('AddFilter(11, "2") prefers the SM2 certificate of the same subject DN; ClearFilter undoes it; other types are refused', async () => {
    certs = [rsa, rsaTwin, sm2];
    const c = await JitClient.open(listener, ORIGIN);
    assert.equal(await c.call('ClearFilter'), 0);
    assert.equal(await c.call('AddFilter', { ulType: 11, strValue: '2' }), 0);
    await c.call('P7SignString', { strValue: 'x', isDetach: true, isIncludeCert: true });
    assert.equal(signs.at(-1)!.certificateId, 'SM2TWIN');
    assert.deepEqual(signs.at(-1)!.alternatives, ['SM21']);
    assert.equal(await c.call('AddFilter', { ulType: '11', strValue: '1' }), 0);
    await c.call('P7SignString', { strValue: 'x', isDetach: true, isIncludeCert: true });
    assert.equal(signs.at(-1)!.certificateId, 'RSA1');
    assert.equal(await c.call('ClearFilter'), 0);
    await c.call('P7SignString', { strValue: 'x', isDetach: true, isIncludeCert: true });
    assert.deepEqual(signs.at(-1)!.alternatives, ['SM2TWIN', 'SM21']);
    assert.equal(await c.call('AddFilter', { ulType: 3, strValue: 'CN=x' }), JIT_ERR.BAD_PARAM);
    assert.match(String(await c.call('GetLastErrorMessage')), /筛选类型 3/);
    assert.equal(await c.call('AddFilter', { ulType: 11, strValue: '7' }), JIT_ERR.BAD_PARAM);
    assert.equal(await c.call('AddFilter', { ulType: -1, strValue: '2' }), JIT_ERR.BAD_PARAM);
  });

  test('the user picks among candidates in the consent: GetSignCert / GetSignCertType / GetSignHash report the signer', async () => {
    const c = await JitClient.open(listener, ORIGIN);
    assert.equal(await c.call('GetSignHash'), '');
    assert.equal(await c.call('GetLastError'), JIT_ERR.NOT_SELECTED);
    // Before any signature: the default candidate.
    assert.equal(await c.call('GetSignCert'), Buffer.from(rsa.certificate).toString('base64'));
    signAnswer = async () => ({ certificateId: 'SM21' });
    await c.call('P1SignString', { strValue: 'pick me' });
    assert.equal(await c.call('GetSignCert'), Buffer.from(sm2.certificate).toString('base64'));
    assert.equal(await c.call('GetSignCertType'), 'SM2');
    const sm3 = await import('../../../main/pki/sm2.ts');
    assert.equal(await c.call('GetSignHash'), Buffer.from(sm3.sm3(new TextEncoder().encode('pick me'))).toString('base64'));
    assert.equal(await c.call('GetSignVersion'), '1');
    signAnswer = async () => ({ certificateId: 'RSA1' });
    await c.call('P7SignString', { strValue: 'rsa', isDetach: true, isIncludeCert: true });
    assert.equal(await c.call('GetSignCertType'), 'RSA');
    assert.equal(await c.call('GetSignHash'), createHash('sha256').update('rsa').digest('base64'));
  });

  test('no certificate: "" and NO_CERT; a denied consent: "" and USER_DENIED with the zh-CN reason', async () => {
    const c = await JitClient.open(listener, ORIGIN);
    certs = [];
    assert.equal(await c.call('P1SignString', { strValue: 'x' }), '');
    assert.equal(await c.call('GetLastError'), JIT_ERR.NO_CERT);
    assert.equal(await c.call('GetSignCert'), '');
    certs = [rsa];
    signAnswer = async () => {
      throw new AssistantError('USER_DENIED', '用户拒绝了该签名请求');
    };
    assert.equal(await c.call('P7SignString', { strValue: 'x', isDetach: true, isIncludeCert: true }), '');
    assert.equal(await c.call('GetLastError'), JIT_ERR.USER_DENIED);
    assert.equal(await c.call('GetLastErrorMessage'), '用户拒绝了该签名请求');
    // GetLastError itself does not clear the error; the next good call does.
    assert.equal(await c.call('GetLastError'), JIT_ERR.USER_DENIED);
    await c.call('GetVersion');
    assert.equal(await c.call('GetLastError'), 0);
  });

  test('the library\'s own GetPinCode frame (`GetPinCode:""`) is the refusal (1003), not a malformed frame', async () => {
    const c = await JitClient.open(listener, ORIGIN);
    assert.deepEqual(JSON.parse((await c.raw('GetPinCode:""')).body), { value: '' });
    assert.equal(await c.call('GetLastError'), 1003);
  });

  test('GetLastError uses the vendor numbers public pages compare: 3758096386 user cancelled, 3758096481 no certificate', async () => {
    const c = await JitClient.open(listener, ORIGIN);
    certs = [];
    assert.equal(await c.call('P7SignString', { strValue: 'x', isDetach: true, isIncludeCert: true }), '');
    assert.equal(await c.call('GetLastError'), 3758096481);
    certs = [rsa];
    signAnswer = async () => {
      throw new AssistantError('USER_CANCELLED', '用户取消了签名');
    };
    assert.equal(await c.call('P7SignString', { strValue: 'x', isDetach: true, isIncludeCert: true }), '');
    assert.equal(await c.call('GetLastError'), 3758096386);
    assert.equal(await c.call('GetLastErrorMessage'), '用户取消了签名');
  });

  test('AddFilter(1, serial) leaves only that certificate (hex, any case, colons or leading zeros); GetCertList lists "<DN> <SN>" lines', async () => {
    const c = await JitClient.open(listener, ORIGIN);
    certs = [rsa, sm2];
    const sn = (x: BridgeCertificate) => parsedCertificate(x).serialNumber.toUpperCase();
    const list = String(await c.call('GetCertList'));
    const lines = list.split('\r\n');
    assert.equal(lines.length, 2);
    // The public page's parsing: the serial after the last space, the DN before it.
    assert.deepEqual(lines.map((l) => l.slice(l.lastIndexOf(' ') + 1)), [sn(rsa), sn(sm2)]);
    assert.equal(lines[1]!.slice(0, lines[1]!.lastIndexOf(' ')), parsedCertificate(sm2).subject);
    assert.equal(await c.call('AddFilter', { ulType: 1, strValue: `00${sn(sm2).toLowerCase().replace(/(..)(?=.)/g, '$1:')}` }), 0);
    assert.equal(await c.call('GetCertList'), `${parsedCertificate(sm2).subject} ${sn(sm2)}`);
    await c.call('P7SignString', { strValue: 'x', isDetach: true, isIncludeCert: true });
    assert.equal(signs.at(-1)!.certificateId, sm2.id);
    assert.equal(signs.at(-1)!.alternatives, undefined, 'one certificate left: no choice');
    // A serial no certificate has: nothing to sign with.
    assert.equal(await c.call('AddFilter', { ulType: 1, strValue: sn(rsa) }), 0);
    assert.equal(await c.call('P1SignString', { strValue: 'x' }), '');
    assert.equal(await c.call('GetLastError'), JIT_ERR.NO_CERT);
    assert.equal(await c.call('AddFilter', { ulType: 1, strValue: 'not-hex' }), JIT_ERR.BAD_PARAM);
    assert.equal(await c.call('ClearFilter'), 0);
    assert.equal(String(await c.call('GetCertList')).split('\r\n').length, 2);
    // Initialize clears filters too.
    await c.call('AddFilter', { ulType: 1, strValue: sn(rsa) });
    await c.call('Initialize', { strAlgType: '', strAuxParam: '' });
    assert.equal(String(await c.call('GetCertList')).split('\r\n').length, 2);
  });

  test('P7Sign isIncludeCert: explicit false asks for a SignedData without certificates; true or absent keeps them', async () => {
    const c = await JitClient.open(listener, ORIGIN);
    certs = [rsa];
    await c.call('P7SignString', { strValue: 'x', isDetach: true, isIncludeCert: false });
    await c.call('P7Sign', { strValueBase64: 'AAEC', isDetach: false, isIncludeCert: '0' });
    await c.call('P7SignString', { strValue: 'x', isDetach: true, isIncludeCert: true });
    await c.call('P7SignString', { strValue: 'x', isDetach: true });
    assert.deepEqual(signs.map((s) => s.includeCertificates), [false, false, undefined, undefined]);
  });

  test('GetPinCode is always "" (the reason in GetLastError); the page never gets a PIN', async () => {
    const c = await JitClient.open(listener, ORIGIN);
    await c.call('P1SignString', { strValue: 'x' });
    assert.equal(await c.call('GetPinCode'), '');
    assert.equal(await c.call('GetLastError'), JIT_ERR.REFUSED);
    assert.match(String(await c.call('GetLastErrorMessage')), /PIN/);
  });

  test('every refused function answers the error shape ("" or our non-zero code) with its reason; unknown ones too', async () => {
    const c = await JitClient.open(listener, ORIGIN);
    const numbers = new Set(['SetupClient', 'RunSetup', 'GetDownloadProgress', 'IsInstallComplete', 'SetUpdatePolicy', 'ExecuteCS', 'NavigateURL', 'SetPolicy', 'WaitSetPolicyFinish', 'GWLogout', 'DoClientSecurityCheck', 'CallQueueEnable', 'CallQueueClear', 'ChangePinCode']);
    assert.ok(NAMED_REFUSALS.jit.length >= 21);
    for (const f of [...NAMED_REFUSALS.jit, 'NoSuchFunction', 'constructor', '__proto__', 'hasOwnProperty']) {
      const args = f === 'ExecuteCS' ? { strGatewayAddress: '1.2.3.4', strAppFlag: 'x', strAppPath: 'C:\\\\Windows\\\\System32\\\\calc.exe' } : f === 'ChangePinCode' ? { strCertSn: '1', lPinCodeType: 1, strCurPinCode: '111111', strNewPinCode: '222222' } : {};
      const r = await c.raw(`${f}:${JSON.stringify(args)}`);
      if (f === '__proto__') {
        assert.equal(r.status, 200);
        continue;
      }
      assert.deepEqual(JSON.parse(r.body), { value: numbers.has(f) ? JIT_ERR.REFUSED : '' }, f);
      assert.equal(await c.call('GetLastError'), JIT_ERR.REFUSED, f);
      assert.match(String(await c.call('GetLastErrorMessage')), /[\u4e00-\u9fff]/, f);
    }
    assert.equal(signs.length, 0);
  });

  test('malformed bodies: "" and BAD_FRAME; oversize bodies 413; too many calls per second: BUSY', async () => {
    const c = await JitClient.open(listener, ORIGIN);
    for (const body of ['', ':', '{"a":1}', 'P1Sign:{', 'P1Sign:[1,2]', 'P1Sign:"x"', '\u0000\u0001']) {
      const r = await c.raw(body);
      assert.equal(r.status, 200, body);
      assert.deepEqual(JSON.parse(r.body), { value: '' }, body);
      assert.equal(await c.call('GetLastError'), JIT_ERR.BAD_FRAME);
    }
    // Declared too large: answered before the body is read.
    const declared = await new Promise<number>((resolve, reject) => {
      const u = new URL(c.sessionUrl);
      const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false, headers: { Origin: ORIGIN, 'Content-Length': String(DEFAULT_LIMITS.maxFrameBytes + 10) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('P1SignString:');
    });
    assert.equal(declared, 413);
    // Chunked, no length: cut off once it passes the cap.
    const chunked = await new Promise<number>((resolve) => {
      const u = new URL(c.sessionUrl);
      const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false, headers: { Origin: ORIGIN } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve(-1));
      const chunk = Buffer.alloc(256 * 1024, 0x41);
      let sent = 0;
      const pump = (): void => {
        while (sent <= DEFAULT_LIMITS.maxFrameBytes + chunk.length) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
      };
      pump();
    });
    assert.ok(chunked === 413 || chunked === -1, `oversize chunked body cut off (${chunked})`);
    assert.equal(signs.length, 0);
  });
});

test('sessions expire when idle; the page library then asks QueryService again', async () => {
  let now = 1_000_000;
  const jit = createJitHttp({ isAllowedOrigin: (o) => o === ORIGIN, host, certificates: new CertificateCache(0), limits: { ...DEFAULT_LIMITS, framesPerSecond: 3 }, acceptPagePin: false, log: () => {}, now: () => now });
  const srv = http.createServer((req, res) => jit.handle(`http://127.0.0.1:${(srv.address() as { port: number }).port}`, req, res));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  try {
    const url = `http://127.0.0.1:${(srv.address() as { port: number }).port}/`;
    const c = await JitClient.open(url, ORIGIN);
    assert.equal(await c.call('GetVersion'), JIT_VERSION);
    assert.equal(await c.call('GetVersion'), JIT_VERSION);
    assert.equal(await c.call('GetVersion'), JIT_VERSION);
    // A fourth call in the same second: the error shape, BUSY.
    assert.equal(await c.call('GetVersion'), '');
    now += 1_000;
    assert.equal(await c.call('GetLastError'), JIT_ERR.BUSY);
    now += JIT_SESSION_IDLE_MS + 1;
    assert.equal((await c.raw('GetVersion:')).status, 404);
    const again = await JitClient.open(url, ORIGIN);
    assert.equal(await again.call('GetVersion'), JIT_VERSION);
    assert.equal(jit.sessions(), 1, 'the idle session was forgotten');
  } finally {
    jit.close();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});

test('a refused page retrying does not flood the diagnostics: at most 10 refused notes a second', async () => {
  let now = 5_000_000;
  const seen: BridgeNote[] = [];
  const jit = createJitHttp({ isAllowedOrigin: () => false, host: { ...host, note: (n) => seen.push(n) }, certificates: new CertificateCache(0), limits: DEFAULT_LIMITS, acceptPagePin: false, log: () => {}, now: () => now });
  const srv = http.createServer((req, res) => jit.handle('http://127.0.0.1', req, res));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  try {
    const url = `http://127.0.0.1:${(srv.address() as { port: number }).port}/`;
    for (let i = 0; i < 25; i++) assert.equal((await httpRequest(url, { body: 'QueryService', headers: { Origin: 'https://evil.example' } })).status, 403);
    assert.equal(seen.length, 10);
    now += 1_000;
    assert.equal((await httpRequest(url, { body: 'QueryService', headers: { Origin: 'https://evil.example' } })).status, 403);
    assert.equal(seen.length, 11);
  } finally {
    await new Promise<void>((r) => srv.close(() => r()));
  }
});
