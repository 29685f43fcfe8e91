// The Windows certificate store for real: a PFX imported into CurrentUser\My (Wine's crypt32 and
// rsaenh), listed and used for login by the bundled CLI through the key-store worker; the
// machine's Trusted Root store as a trust anchor; the app's certificate screen and consent flow over
// the same store (usbKeyStores → certificate service → IPC handlers → the bundled worker).
// One file on purpose: Wine keeps every imported PFX key in the same key container, so two files
// importing at once would swap each other's keys (our KEY_CERT_MISMATCH check catches that).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { constants, createHash, publicEncrypt, randomBytes, verify } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import WebSocket from 'ws';
import type { AssistantEvents } from '../../common/ipc-contract.ts';
import { createCertificateService, usbKeyStores } from '../../main/assistant/certificates.ts';
import { createAssistantIpc } from '../../main/assistant/ipc-handlers.ts';
import type { AssistantWorld } from '../../main/assistant/world.ts';
import { requestLogin, signingTestWorld } from '../support/assistant-world.ts';
import { KeyStoreWorkerClient } from '../../main/keystores/worker/client.ts';
import { forkWorkerSpawner } from '../../main/keystores/worker/fork-transport.ts';
import { WorkerKeyStore } from '../../main/keystores/worker/remote-store.ts';
import { MemoryChallengeStore, verifyLoginToken } from '../../main/login/verify.ts';
import { loadTrustAnchors } from '../../main/pki/trust.ts';
import { buildEnvelope, envelopeFor } from '../../main/bridge/formats/envelope.ts';
import { createSigningPath, type SignatureRecord } from '../../main/login/signing-path.ts';
import { addToStore, importPfx, removeFromStore } from './cert-store.ts';
import { runCli, testPki, winEnv } from './support.ts';

const PORTAL = { frameUrl: 'https://www.hbzwfw.gov.cn/hbzw/login' };
const APP = { frameUrl: 'app://assistant/index.html#/consent' };
const ORIGIN = 'https://www.hbzwfw.gov.cn';

const pki = testPki();
const leaf = pki.get('hebca-ent');
const rootDer = fs.readFileSync(pki.get('hebca-root').certDer);
const leafDer = fs.readFileSync(leaf.certDer);
const fingerprint = createHash('sha256').update(leafDer).digest('hex');
const imported = importPfx(fs.readFileSync(leaf.pfx!.legacy!), leaf.pfx!.password);
// A user profile of our own, so the CLI's signature log and settings stay out of the shared prefix.
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-winstore-'));
const env = { ...process.env, APPDATA: path.join(home, 'Roaming'), LOCALAPPDATA: path.join(home, 'Local'), USERPROFILE: home };

after(async () => {
  await client?.close();
  removeFromStore('CurrentUser\\My', imported.my);
  removeFromStore('CurrentUser\\CA', imported.ca);
  removeFromStore('LocalMachine\\Root', [rootDer]);
  fs.rmSync(home, { recursive: true, force: true });
});

interface Listed { identityId: string; fingerprintSha256: string; label: string; algorithm: string; store: string; certificate: { fingerprintSha256: string; identity: { uscc: { value: string; valid: boolean } | null }; checks: Array<{ id: string; status: string }> } }

function listWindowsStore(): Listed[] {
  const r = runCli(['tokens', '--windows-store', '--json'], { env });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const out = JSON.parse(r.stdout) as { modules: unknown[]; windowsStore: { stores: string[]; identities: Listed[]; error?: unknown } };
  assert.deepEqual(out.modules, [], 'only the Windows store was asked for');
  assert.equal(out.windowsStore.error, undefined);
  return out.windowsStore.identities;
}

test('the import put the end-entity certificate into My and its CA into CA', () => {
  assert.equal(imported.my.length, 1);
  assert.ok(imported.my[0]!.equals(leafDer));
  assert.ok(imported.ca.length >= 1);
});

test('tokens --windows-store --json lists the certificate with its SHA-256 fingerprint, USCC and store; its CA is not offered', () => {
  const ids = listWindowsStore();
  const mine = ids.filter((i) => i.fingerprintSha256 === fingerprint);
  assert.equal(mine.length, 1, JSON.stringify(ids.map((i) => i.label)));
  const id = mine[0]!;
  assert.equal(id.identityId, fingerprint);
  assert.equal(id.algorithm, 'RS256');
  assert.equal(id.store, 'CurrentUser\\My');
  assert.equal(id.certificate.fingerprintSha256, fingerprint);
  assert.equal(id.certificate.identity.uscc?.value, leaf.expect.uscc);
  assert.equal(id.certificate.identity.uscc?.valid, true);
  // Wine tags the PFX's CA certificate with the key too; a CA certificate is never a login identity.
  const caPrints = imported.ca.map((d) => createHash('sha256').update(d).digest('hex'));
  assert.ok(ids.every((i) => !caPrints.includes(i.fingerprintSha256)));
});

test('the machine Trusted Root store is a trust anchor: the chain verdict turns to pass once the CA root is in LocalMachine\\Root', () => {
  const chainStatus = () => listWindowsStore().find((i) => i.fingerprintSha256 === fingerprint)!.certificate.checks.find((c) => c.id === 'chain')!.status;
  // The intermediate comes from CurrentUser\CA, the root from nowhere yet.
  removeFromStore('LocalMachine\\Root', [rootDer]);
  assert.notEqual(chainStatus(), 'pass');
  addToStore('LocalMachine\\Root', rootDer);
  assert.equal(chainStatus(), 'pass');
});

test('login --windows-store --id <fingerprint> signs a token the verifier accepts (and it names the right USCC)', () => {
  const challenge = randomBytes(32).toString('base64');
  const origin = 'https://www.hbzwfw.gov.cn';
  // A software key has no PIN; without --pin-stdin the CSP would ask itself (rsaenh never does).
  const login = runCli(['login', '--windows-store', '--id', fingerprint.toUpperCase(), '--origin', origin, '--challenge', challenge], { env });
  assert.equal(login.status, 0, login.stderr);
  const token = JSON.parse(login.stdout) as { format: string; algorithm: string; certificate: string; intermediates?: string[] };
  assert.equal(token.format, 'cert-login:1');
  assert.equal(token.algorithm, 'RS256');
  assert.ok(Buffer.from(token.certificate, 'base64').equals(leafDer));
  assert.ok((token.intermediates ?? []).length >= 1, 'the intermediate from CurrentUser\\CA travels in the token');

  const tokenFile = path.join(home, 'token.json');
  fs.writeFileSync(tokenFile, login.stdout.trim());
  const verify = runCli(['verify', '--origin', origin, '--challenge', challenge, '--trust', pki.get('hebca-root').certPem, '--no-bundled', '--expect-uscc', leaf.expect.uscc!, tokenFile], { env });
  assert.equal(verify.status, 0, verify.stdout + verify.stderr);
  const verdict = JSON.parse(verify.stdout) as { ok: boolean; uscc: string };
  assert.equal(verdict.ok, true);
  assert.equal(verdict.uscc, leaf.expect.uscc);

  // The same token for another origin is refused: the origin is inside the signature.
  const other = runCli(['verify', '--origin', 'https://evil.example.com', '--challenge', challenge, '--trust', pki.get('hebca-root').certPem, '--no-bundled', tokenFile], { env });
  assert.equal(other.status, 1);
});

test('login --windows-store --pin-stdin hands the PIN over silently; a software key, which has none, still signs', () => {
  const challenge = randomBytes(32).toString('base64');
  const login = runCli(['login', '--windows-store', '--id', fingerprint, '--origin', 'https://www.hbzwfw.gov.cn', '--challenge', challenge, '--pin-stdin'], { env, input: '123456\r\n' });
  assert.equal(login.status, 0, login.stderr);
  assert.equal((JSON.parse(login.stdout) as { format: string }).format, 'cert-login:1');
});

test('login --windows-store with a fingerprint that is not in the store: NO_CERTIFICATE, exit 1; a malformed one is a usage error', () => {
  const challenge = randomBytes(32).toString('base64');
  const r = runCli(['login', '--windows-store', '--id', 'ab'.repeat(32), '--origin', 'https://www.hbzwfw.gov.cn', '--challenge', challenge], { env });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /NO_CERTIFICATE/);
  const bad = runCli(['login', '--windows-store', '--id', 'xyz', '--origin', 'https://www.hbzwfw.gov.cn', '--challenge', challenge], { env });
  assert.equal(bad.status, 2);
});

const anchors = loadTrustAnchors([pki.get(leaf.chain.at(-1)!).certPem], { includeBundled: false });
const challenges = new MemoryChallengeStore();
let client: KeyStoreWorkerClient;
let world: AssistantWorld;
const events: Array<{ name: keyof AssistantEvents; payload: unknown }> = [];

function appWorld(): void {
  client = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner({ entry: path.join(path.dirname(winEnv.cli), 'keystore-worker.mjs') }) });
  const usb = usbKeyStores((spec) => new WorkerKeyStore(client, spec), { pkcs11: [], skf: [], windowsStore: { localMachine: false } });
  const certificates = createCertificateService({
    now: () => new Date(), appVersion: '0.1.0-test', usbStores: () => usb,
    openPkcs12: async () => { throw new Error('unused'); }, anchors: () => anchors,
  });
  world = signingTestWorld(ORIGIN, certificates, events);
}


test('app: certs:list shows the Windows-store certificate: source windows, the CSP as its place, trusted, can log in', async () => {
  if (!world) appWorld();
  const ipc = createAssistantIpc(world);
  const list = await ipc.handlers['certs:list'](APP, undefined);
  assert.deepEqual(list.problems, []);
  const c = list.certificates.find((x) => x.uscc?.value === leaf.expect.uscc);
  assert.ok(c, JSON.stringify(list.certificates.map((x) => x.subject)));
  assert.match(c.id, /^windows\/[0-9a-f]{64}$/);
  assert.equal(c.source, 'windows');
  assert.match(c.sourceLabel, /Cryptographic Provider/);
  assert.equal(c.trusted, true, JSON.stringify(c.checks));
  assert.equal(c.canLogin, true, JSON.stringify(c.checks));
  assert.equal(c.pin, null);
});

test('app consent: the PIN typed in our window goes to the CSP silently (a software key takes none) and the token verifies', async () => {
  if (!world) appWorld();
  const ipc = createAssistantIpc(world);
  const { challenge } = await challenges.issue(new Date());
  const { pending, req } = await requestLogin(ipc, PORTAL, challenge, events, 100);
  assert.ok(req, 'consent requested');
  const cert = req.candidates.find((c) => c.source === 'windows' && c.uscc?.value === leaf.expect.uscc);
  assert.ok(cert, 'the Windows-store certificate is offered');
  const r = await ipc.dispatch('consent:submit', APP, { requestId: req.requestId, certificateId: cert.id, pin: '1234' });
  assert.deepEqual(r, { ok: true, value: { status: 'signed' } });
  const answer = await pending;
  assert.equal(answer.ok, true, JSON.stringify(answer));
  const token = (answer as { ok: true; value: { token: string } }).value.token;
  const verdict = await verifyLoginToken(token, { origin: ORIGIN, trustAnchors: anchors.map((a) => a.der), challengeStore: challenges, challenge, now: new Date() });
  assert.equal(verdict.ok, true, JSON.stringify(verdict));
  assert.equal(verdict.ok && verdict.uscc, leaf.expect.uscc);
});

test('decryption: the imported key opens a CMS key-transport block (PKCS#1 v1.5) through the worker, and an envelope through the consent path (解密, recorded); a block for another key is DECRYPT_FAILED', async () => {
  if (!world) appWorld();
  const store = new WorkerKeyStore(client, { kind: 'windows', localMachine: false });
  assert.ok(store.decrypt, 'the Windows store decrypts');
  const sessionKey = randomBytes(16);
  const block = publicEncrypt({ key: fs.readFileSync(leaf.certPem), padding: constants.RSA_PKCS1_PADDING }, sessionKey);
  assert.ok(Buffer.from(await store.decrypt(fingerprint, block, 'RS256', '')).equals(sessionKey));
  const other = publicEncrypt({ key: fs.readFileSync(pki.get('bjca-ent').certPem), padding: constants.RSA_PKCS1_PADDING }, sessionKey);
  await assert.rejects(store.decrypt(fingerprint, other, 'RS256', ''), (e: { code?: string }) => e.code === 'DECRYPT_FAILED');
  await assert.rejects(store.decrypt(fingerprint, block.subarray(1), 'RS256', ''), (e: { code?: string }) => e.code === 'DECRYPT_FAILED');

  const records: SignatureRecord[] = [];
  const asked: string[] = [];
  const signingPath = createSigningPath({
    ask: async (v) => {
      asked.push(`${v.operation} ${v.content.preview}`);
      return { allow: true, secret: '1234' };
    },
    record: (r) => records.push(r), now: () => new Date(), randomId: () => 'c1',
  });
  const text = new TextEncoder().encode('投标报价（Windows 证书存储）');
  const env = envelopeFor(buildEnvelope(text, [new Uint8Array(leafDer)]), new Uint8Array(leafDer));
  const key = { certificate: new Uint8Array(leafDer), intermediates: [], algorithm: 'RS256' as const, store, identityId: fingerprint };
  const plain = await signingPath.decrypt({ origin: ORIGIN, protocol: 'bjca', key, ciphertext: env.encryptedKey, content: env.content });
  assert.equal(new TextDecoder().decode(plain), '投标报价（Windows 证书存储）');
  assert.deepEqual(asked, ['decrypt 解密']);
  assert.equal(records.length, 1);
  assert.equal(records[0]!.operation, 'decrypt');
});

test('bridge --windows-store on Windows: a BJCA page logs in with the store certificate (one consent on stdin, the signature verifies), the page PIN is dropped, another origin is refused at the handshake; SIGTERM ends it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-winbridge-'));
  const out = path.join(dir, 'stdout');
  const outFd = fs.openSync(out, 'w');
  // Standard output to a file (Wine's console pipes differ), standard input a pipe: the consent answers.
  const bridge = spawn(process.execPath, [winEnv.cli, 'bridge', '--windows-store', '--allow-origin', ORIGIN, '--consent', 'stdin', '--bjca-port', '0', '--protocol', 'bjca'], {
    env, cwd: winEnv.repo, stdio: ['pipe', outFd, 'inherit'],
  });
  fs.closeSync(outFd);
  const exited = new Promise<number | null>((r) => bridge.once('exit', (code) => r(code)));
  const events = (): Array<Record<string, unknown>> => fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const waitFor = async (pred: (e: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> => {
    for (const deadline = Date.now() + 90_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      const hit = events().find(pred);
      if (hit) return hit;
    }
    throw new Error(`no ${what} event; stdout: ${fs.readFileSync(out, 'utf8').slice(0, 2000)}`);
  };
  try {
    const listening = await waitFor((e) => e['event'] === 'listening', 'listening');
    const url = (listening['endpoints'] as Array<{ url: string }>)[0]!.url;
    const open = (origin: string) => new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url, { origin });
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
    await assert.rejects(open('https://evil.example'), /403/);
    const ws = await open(ORIGIN);
    let n = 0;
    const call = (func: string, ...params: unknown[]) => new Promise<unknown>((resolve) => {
      const id = `i_${++n}`;
      const onMessage = (d: WebSocket.RawData) => {
        const m = JSON.parse(String(d)) as { call_cmd_id: string; retVal: unknown };
        if (m.call_cmd_id !== id) return;
        ws.off('message', onMessage);
        resolve(m.retVal);
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ call_cmd_id: id, xtx_func_name: func, URL: `${ORIGIN}/login`, ...Object.fromEntries(params.map((p, i) => [`param_${i + 1}`, p])) }));
    });
    const users = String(await call('SOF_GetUserList')).split('&&&').filter(Boolean).map((u) => u.split('||'));
    const certId = users.map(([, id]) => id!).find(Boolean)!;
    const certs = await Promise.all(users.map(async ([, id]) => String(await call('SOF_ExportUserCert', id))));
    const mine = users[certs.indexOf(leafDer.toString('base64'))]?.[1];
    assert.ok(mine, `the store certificate is listed (${users.length} listed, first ${certId})`);
    assert.equal(await call('GetDeviceInfo', mine, 7), 'HARD', 'the Windows store counts as a device, not a file');
    assert.equal(await call('SOF_Login', mine, 'page-typed-pin'), 'true', 'XTXApp answers are strings on the wire');
    const random = randomBytes(24).toString('base64');
    const signing = call('SOF_SignData', mine, random);
    const consent = await waitFor((e) => e['event'] === 'consent', 'consent');
    assert.equal(consent['origin'], ORIGIN);
    assert.equal(consent['operation'], 'login');
    assert.equal((consent['certificate'] as Record<string, unknown>)['fingerprintSha256'], fingerprint);
    // A software key in Wine's CSP takes no PIN; a USB key's CSP would ask in its own dialog.
    bridge.stdin!.write('allow\n');
    const signature = String(await signing);
    assert.ok(signature.length > 0, `signed (last error ${String(await call('SOF_GetLastErrMsg'))})`);
    assert.ok(verify('sha256', Buffer.from(random), fs.readFileSync(leaf.certPem), Buffer.from(signature, 'base64')), 'PKCS#1 v1.5 SHA-256 by the store key');
    const signed = await waitFor((e) => e['event'] === 'signed', 'signed');
    assert.equal(signed['contentSha256'], createHash('sha256').update(random).digest('hex'));
    assert.equal(events().filter((e) => e['event'] === 'consent').length, 1, 'one consent for one signature');
    assert.ok(!fs.readFileSync(out, 'utf8').includes('page-typed-pin'), 'the page PIN appears nowhere');
    assert.ok(events().some((e) => e['event'] === 'refused' && e['origin'] === 'https://evil.example'));
    ws.close();
  } finally {
    bridge.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
