/**
 * Malformed frames against all three protocols (JIT: HTTP requests) (in-process server, a host that lists one certificate
 * and denies every signature): ≥ 10,000 frames each, seeded so a failure replays. Every frame a
 * page could match gets an answer in the protocol's error shape; nothing crashes or hangs, and the
 * connection still answers a normal call afterwards.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import WebSocket from 'ws';
import { startBridgeServer, type BridgeServer } from '../../main/bridge/server.ts';
import type { BridgeCertificate, BridgeHost } from '../../main/bridge/types.ts';
import { AssistantError } from '../../main/errors.ts';
import { getTestPki } from '../fixtures/pki.ts';
import { seededRandom } from '../support/random.ts';

const ORIGIN = 'http://127.0.0.1:8941';
const FRAMES = 10_000;
let server: BridgeServer;


before(async () => {
  const pki = await getTestPki();
  const cert: BridgeCertificate = {
    id: 'FUZZ01', label: '模糊测试', certificate: new Uint8Array(fs.readFileSync(pki.get('bjca-ent').certDer)),
    algorithm: 'RS256', hardware: false, deviceSerial: 'SOFT-FUZZ', retriesLeft: null,
  };
  const host: BridgeHost = {
    certificates: async () => [cert],
    sign: async () => {

      throw new AssistantError('USER_DENIED', '用户拒绝了该签名请求');
    },
    decrypt: async () => {
      throw new AssistantError('USER_DENIED', '用户拒绝了该解密请求');
    },
    note: () => {},
  };
  server = await startBridgeServer({
    protocols: ['bjca', 'hebca', 'jit'], ports: { bjcaWs: 0, hebca: 0, jit: 0 }, host,
    isAllowedOrigin: (o) => o === ORIGIN,
    // The fuzzer sends far faster than a page: lift the per-second cap so frames reach the parser.
    limits: { framesPerSecond: 1_000_000, maxInFlight: 1_000_000 },
  });
});
after(() => server.close());

const FUNCS = ['SOF_GetUserList', 'SOF_SignData', 'SOF_GetCertInfo', 'SOF_VerifySignedData', 'SOF_SignMessage', 'SOF_HashData', 'SOF_GenRandom', 'SOF_Login', 'InitDevice', 'SOF_GetCertInfoByOid', 'GetDeviceInfo', 'SOF_SetSignMethod', 'SOF_SignHashData', 'SOF_EncryptData', 'SOF_DecryptData', 'SOF_PubKeyEncrypt', 'SOF_PriKeyDecrypt', '__proto__', 'constructor', 'toString', ''];
const HFUNCS = ['GetCertB64', 'SignText', 'SignB64', 'GetSignCert', 'GetSubjectItem', 'P7SignB64', 'P7VerifyB64', 'Login', 'UnUISign', 'ReadRegB64', 'Execute', '__proto__', 'hasOwnProperty', 'GetSignCertNotAfter', 'EnvelopB64', 'UnEnvelopB64', 'EncryptB64', 'DecryptB64', 'Digest'];

function junkValue(r: () => number): unknown {
  const k = Math.floor(r() * 12);
  switch (k) {
    case 0: return null;
    case 1: return Math.floor(r() * 2 ** 33) - 2 ** 32;
    case 2: return r() * 1e308;
    case 3: return 'A'.repeat(Math.floor(r() * 5000));
    case 4: return { a: [1, { b: null }] };
    case 5: return [1, 'x', null];
    case 6: return '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    case 7: return Buffer.from(Array.from({ length: Math.floor(r() * 300) }, () => Math.floor(r() * 256))).toString('base64');
    case 8: return '\u0000\ud800\uffff';
    case 9: return true;
    case 10: return '1.2.840.113549.1.1.' + Math.floor(r() * 99);
    default: return String(Math.floor(r() * 100));
  }
}

function bjcaFrame(r: () => number, i: number): { text: string; id: string | null } {
  const kind = Math.floor(r() * 6);
  const id = `f_${i}`;
  if (kind === 0) return { text: Buffer.from(Array.from({ length: Math.floor(r() * 200) }, () => Math.floor(r() * 256))).toString('latin1'), id: null };
  if (kind === 1) return { text: JSON.stringify([id, 'SOF_GetUserList']), id: null };
  const frame: Record<string, unknown> = { call_cmd_id: id, xtx_func_name: FUNCS[Math.floor(r() * FUNCS.length)] };
  const n = Math.floor(r() * 5);
  if (kind === 2) frame['param'] = Array.from({ length: n }, () => junkValue(r));
  else for (let p = 1; p <= n; p++) frame[`param_${p}`] = junkValue(r);
  if (kind === 3) frame['xtx_func_name'] = junkValue(r);
  const text = JSON.stringify(frame);
  if (kind === 3 && typeof frame['xtx_func_name'] !== 'string') return { text, id };
  return { text: kind === 5 && r() < 0.3 ? text.slice(0, Math.floor(text.length * r())) : text, id: kind === 5 ? null : id };
}

function hebcaFrame(r: () => number): { text: string; func: string | null } {
  const kind = Math.floor(r() * 6);
  const func = HFUNCS[Math.floor(r() * HFUNCS.length)]!;
  if (kind === 0) return { text: Buffer.from(Array.from({ length: Math.floor(r() * 100) }, () => Math.floor(r() * 256))).toString('latin1'), func: null };
  if (kind === 1) return { text: `1|${func}|{"signText":"${'"'.repeat(Math.floor(r() * 3))}x"}`, func };
  if (kind === 2) return { text: `1|${func}|${JSON.stringify({ index: junkValue(r), b64data: junkValue(r), signText: junkValue(r), pin: junkValue(r), certSN: junkValue(r), cn: junkValue(r), certs: r() < 0.5 ? [{ cert: junkValue(r) }] : junkValue(r), digestalg: junkValue(r) })}`, func };
  if (kind === 3) return { text: `1|${func}|${JSON.stringify(junkValue(r))}`, func };
  if (kind === 4) return { text: `${Math.floor(r() * 99999)}|${func}|||||`, func: null };
  return { text: `1|${func}`, func };
}

async function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { origin: ORIGIN });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

test(`BJCA: ${FRAMES} malformed frames, each answerable one answered, no crash or hang`, async () => {
  const url = server.endpoints.find((e) => e.protocol === 'bjca')!.url;
  const ws = await open(url);
  const r = seededRandom(20261202);
  const expect = new Set<string>();
  const answered = new Set<string>();
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as { call_cmd_id: string; retVal: unknown };
    answered.add(m.call_cmd_id);
  });
  for (let i = 0; i < FRAMES; i++) {
    const f = bjcaFrame(r, i);
    if (f.id) expect.add(f.id);
    ws.send(f.text);
    if (i % 500 === 0) await new Promise((res) => setImmediate(res));
  }
  const deadline = Date.now() + 60_000;
  while ([...expect].some((id) => !answered.has(id)) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
  const missing = [...expect].filter((id) => !answered.has(id));
  assert.deepEqual(missing.slice(0, 5), [], `${missing.length} frames unanswered`);
  // Still a working connection.
  const version = await new Promise((resolve) => {
    ws.once('message', (d) => resolve(JSON.parse(String(d)).retVal));
    ws.send(JSON.stringify({ call_cmd_id: 'last', xtx_func_name: 'SOF_GetVersion' }));
  });
  assert.equal(version, '2.20');
  ws.close();
});

test(`HEBCA: ${FRAMES} malformed frames answered with ret ≠ 0 (or a normal answer), no crash or hang`, async () => {
  const url = server.endpoints.find((e) => e.protocol === 'hebca' && e.host === '127.0.0.1')!.url;
  const ws = await open(url);
  const r = seededRandom(17212);
  let expected = 0;
  let got = 0;
  let badJson = 0;
  ws.on('message', (d) => {
    const s = String(d);
    got++;
    const parts = s.split('|');
    try {
      const body = JSON.parse(parts.slice(2).join('|')) as { ret: number; msg: string };
      if (body.ret !== 0) assert.match(body.msg, /[\u4e00-\u9fff]/);
    } catch {
      badJson++;
    }
  });
  for (let i = 0; i < FRAMES; i++) {
    const f = hebcaFrame(r);
    // Every frame that is not the 0| handshake gets exactly one answer.
    if (!f.text.startsWith('0|') && f.text !== '0') expected++;
    ws.send(f.text);
    if (i % 500 === 0) await new Promise((res) => setImmediate(res));
  }
  const deadline = Date.now() + 60_000;
  while (got < expected && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
  assert.equal(got, expected);
  assert.equal(badJson, 0);
  const v = await new Promise<string>((resolve) => {
    ws.once('message', (d) => resolve(String(d)));
    ws.send('1|GetAssistorVersion');
  });
  assert.match(v, /^1\|GetAssistorVersion\|\{"ret":0/);
  ws.close();
  assert.ok(server.connections() <= 1);
});

const JFUNCS = ['GetVersion', 'Initialize', 'SetDigestAlg', 'SetChooseSingleCert', 'AddFilter', 'ClearFilter', 'P1Sign', 'P1SignString', 'P7Sign', 'P7SignString',
  'GetSignCert', 'GetSignCertType', 'GetSignHash', 'GetLastError', 'GetLastErrorMessage', 'GetPinCode', 'SetupClient', 'ExecuteCS', 'ChangePinCode', 'Finalize',
  '__proto__', 'constructor', 'toString', 'hasOwnProperty', ''];
const JKEYS = ['strValue', 'strValueBase64', 'isDetach', 'isIncludeCert', 'ulType', 'strValue', 'strDigestAlg', 'isChoose', 'strAlgType', 'strAuxParam', '__proto__'];

function jitBody(r: () => number): string {
  const kind = Math.floor(r() * 6);
  const func = JFUNCS[Math.floor(r() * JFUNCS.length)]!;
  if (kind === 0) return Buffer.from(Array.from({ length: Math.floor(r() * 200) }, () => Math.floor(r() * 256))).toString('latin1');
  if (kind === 1) return `${func}:${JSON.stringify(junkValue(r))}`;
  if (kind === 2) return `${func}:{"strValue":"${'"'.repeat(Math.floor(r() * 3))}x"}`;
  if (kind === 3) return `${func}`;
  const args: Record<string, unknown> = {};
  for (let i = Math.floor(r() * 4); i > 0; i--) args[JKEYS[Math.floor(r() * JKEYS.length)]!] = junkValue(r);
  return `${func}:${JSON.stringify(args)}`;
}

test(`JIT: ${FRAMES} malformed HTTP requests, each answered (200 {"value"} or 403/404), no crash or hang`, async () => {
  const listener = server.endpoints.find((e) => e.protocol === 'jit')!.url;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const post = (url: string, body: string, origin: string | null): Promise<{ status: number; body: string }> => new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { 'Content-Type': 'text/plain;charset=UTF-8', ...(origin !== null ? { Origin: origin } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
  const session = (await post(listener, 'QueryService', ORIGIN)).body;
  assert.match(session, /\/s\/[A-Za-z0-9_-]+$/);
  const r = seededRandom(10086);
  const statuses = new Map<number, number>();
  let badJson = 0;
  let i = 0;
  const worker = async (): Promise<void> => {
    while (i < FRAMES) {
      i++;
      const k = r();
      // Mostly calls on the session; some from no / another origin, some on unknown session paths.
      const origin = k < 0.05 ? null : k < 0.1 ? 'https://evil.example' : ORIGIN;
      const url = k > 0.95 ? `${listener}s/${Math.floor(r() * 1e9)}` : session;
      const res = await post(url, jitBody(r), origin);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 200) {
        try {
          const v = (JSON.parse(res.body) as { value: unknown }).value;
          if (typeof v !== 'string' && typeof v !== 'number') badJson++;
        } catch {
          badJson++;
        }
      } else assert.ok(res.status === 403 || res.status === 404, `unexpected HTTP ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, () => worker()));
  assert.equal(badJson, 0);
  assert.equal([...statuses.values()].reduce((a, b) => a + b, 0), FRAMES);
  assert.ok((statuses.get(200) ?? 0) > FRAMES * 0.8, JSON.stringify([...statuses]));
  // The session still works, and its last error is one of ours with a zh-CN message.
  assert.deepEqual(JSON.parse((await post(session, 'GetVersion:', ORIGIN)).body), { value: '3.0.0.1' });
  await post(session, 'SetupClient:{}', ORIGIN);
  assert.match((JSON.parse((await post(session, 'GetLastErrorMessage:', ORIGIN)).body) as { value: string }).value, /[\u4e00-\u9fff]/);
  agent.destroy();
});
