// Bridge benchmark: `cert-assistant bridge` as a user runs it (bridge process + host + key-store
// worker), driven over its real WebSocket. Baselines measured in the same run:
//   - non-signing calls vs a bare `ws` echo server round trip (same client, same machine);
//   - SOF_SignData (consent answered on stdin) vs the raw signature through the same kind of
//     key-store worker (WorkerKeyStore.sign, no bridge, no consent).
// Targets (issue 9): non-signing p99 ≤ 2 ms; signing overhead over the raw signature ≤ 5 ms.
//   node --import tsx scripts/bench/bridge.ts [--calls N] [--signs N]
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import WebSocket, { WebSocketServer } from 'ws';
import { Pkcs12KeyStore } from '../../main/keystores/pkcs12/index.ts';
import { KeyStoreWorkerClient } from '../../main/keystores/worker/client.ts';
import { forkWorkerSpawner } from '../../main/keystores/worker/fork-transport.ts';
import { WorkerKeyStore } from '../../main/keystores/worker/remote-store.ts';
import { getTestPki } from '../../test/fixtures/pki.ts';
import { CLI_BIN } from '../../test/support/bridge.ts';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '2000' }, signs: { type: 'string', default: '60' } } });
const CALLS = Number(values.calls);
const SIGNS = Number(values.signs);
const ORIGIN = 'http://127.0.0.1:8999';
const log = (s: string) => process.stderr.write(`[bench bridge] ${s}\n`);

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const stats = (xs: number[]) => ({ n: xs.length, p50: +pct(xs, 50).toFixed(3), p99: +pct(xs, 99).toFixed(3), max: +Math.max(...xs).toFixed(3) });

function client(url: string, origin?: string): Promise<(text: string) => Promise<string>> {
  const ws = new WebSocket(url, origin ? { origin } : {});
  let waiting: ((s: string) => void) | null = null;
  ws.on('message', (d) => {
    const w = waiting;
    waiting = null;
    w?.(String(d));
  });
  return new Promise((resolve) => ws.once('open', () => resolve((text) => new Promise((r) => {
    waiting = r;
    ws.send(text);
  }))));
}

async function time(n: number, f: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f(i);
    out.push(performance.now() - t);
  }
  return out;
}

const pki = await getTestPki();
const results: Record<string, unknown> = {};
for (const id of ['bjca-ent', 'hebca-sm2-ent']) {
  const pfx = pki.get(id).pfx!.modern!;
  // Baseline 1: a bare ws echo server.
  const echo = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  echo.on('connection', (s) => s.on('message', (d) => s.send(String(d))));
  await new Promise((r) => echo.once('listening', r));
  const echoCall = await client(`ws://127.0.0.1:${(echo.address() as { port: number }).port}/`);
  const frame = (i: number, f: string, ...p: string[]) => JSON.stringify({ call_cmd_id: `i_${i}`, xtx_func_name: f, ...Object.fromEntries(p.map((v, k) => [`param_${k + 1}`, v])) });
  await time(200, (i) => echoCall(frame(i, 'SOF_GetVersion')));
  const echoTimes = await time(CALLS, (i) => echoCall(frame(i, 'SOF_GetVersion')));
  echo.close();

  // The bridge as users run it.
  const child = spawn(process.execPath, [CLI_BIN, 'bridge', '--pfx', pfx, '--allow-origin', ORIGIN, '--consent', 'stdin', '--bjca-port', '0', '--hebca-port', '0', '--protocol', 'bjca'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let listening: (url: string) => void;
  const ready = new Promise<string>((r) => (listening = r));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const e = JSON.parse(line) as { event: string; endpoints?: Array<{ url: string }> };
    if (e.event === 'listening') listening(e.endpoints![0]!.url);
    if (e.event === 'consent') child.stdin!.write('allow 123456\n');
  });
  const url = await ready;
  const call = await client(url, ORIGIN);
  const userList = JSON.parse(await call(frame(0, 'SOF_GetUserList'))).retVal as string;
  const certId = userList.split('&&&')[0]!.split('||')[1]!;
  await time(200, (i) => call(frame(i, 'SOF_GetVersion')));
  const version = await time(CALLS, (i) => call(frame(i, 'SOF_GetVersion')));
  const exportCert = await time(CALLS, (i) => call(frame(i, 'SOF_ExportUserCert', certId)));
  log(`${id}: non-signing done`);

  // Baseline 2: the raw signature through a key-store worker of its own.
  const worker = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner() });
  const raw = new WorkerKeyStore(worker, { kind: 'pkcs12', file: pfx });
  const local = await Pkcs12KeyStore.open(pfx, { password: '123456' });
  const identity = (await local.listIdentities())[0]!;
  const data = new TextEncoder().encode('UmFuZG9tRnJvbVBvcnRhbDEyMzQ=');
  await raw.sign(identity.id, data, identity.algorithm, '123456');
  // Interleaved, so drifting load on the shared machine hits both sides alike.
  const rawTimes: number[] = [];
  const bridgeTimes: number[] = [];
  await call(frame(0, 'SOF_SignData', certId, 'UmFuZG9tRnJvbVBvcnRhbDEyMzQ='));
  for (let i = 0; i < SIGNS; i++) {
    rawTimes.push(...await time(1, () => raw.sign(identity.id, data, identity.algorithm, '123456')));
    bridgeTimes.push(...await time(1, (k) => call(frame(k + i, 'SOF_SignData', certId, 'UmFuZG9tRnJvbVBvcnRhbDEyMzQ='))));
  }
  await worker.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  const overheads = bridgeTimes.map((t, i) => t - rawTimes[i]!);
  results[id] = {
    baselineEchoRoundTripMs: stats(echoTimes),
    getVersionRoundTripMs: stats(version),
    exportUserCertRoundTripMs: stats(exportCert),
    rawSignatureMs: stats(rawTimes),
    bridgeSignDataMs: stats(bridgeTimes),
    signingOverheadMs: { p50: +(pct(bridgeTimes, 50) - pct(rawTimes, 50)).toFixed(3), pairedP50: +pct(overheads, 50).toFixed(3), pairedP99: +pct(overheads, 99).toFixed(3) },
    targets: {
      nonSigningP99Under2ms: pct(version, 99) <= 2 && pct(exportCert, 99) <= 2,
      signingOverheadUnder5ms: pct(bridgeTimes, 50) - pct(rawTimes, 50) <= 5,
    },
  };
  log(`${id}: done`);
}
process.stdout.write(JSON.stringify(results) + "\n", () => process.exit(0));
