/**
 * Portal operators run plain Node: the verifier bundle (scripts/build-verifier.mjs) must load
 * without a TypeScript loader or Electron, and accept/reject real tokens exactly as the source does.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pkcs12KeyStore } from '../../../main/keystores/pkcs12/store.ts';
import { createLoginToken } from '../../../main/login/token.ts';
import { getTestPki, type TestPki } from '../../fixtures/pki.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
// Outside the repository, as a portal operator's install has it: the bundles and their data files in
// one folder, npm packages from a node_modules beside it (linked to ours), no source tree to fall back on.
const appDir = fs.mkdtempSync(path.join(os.tmpdir(), 'verifier-outside-'));
const outDir = path.join(appDir, 'verifier');
const ORIGIN = 'https://www.hbzwfw.gov.cn';
let pki: TestPki;

before(async () => {
  pki = await getTestPki();
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(appDir, 'node_modules'), 'dir');
  execFileSync(process.execPath, [path.join(root, 'scripts/build-verifier.mjs'), `--out=${outDir}`], { stdio: 'pipe' });
});
after(() => fs.rmSync(appDir, { recursive: true, force: true }));

/**
 * Runs `script` (an ES module) in a fresh `node` with no loader flags — no NODE_OPTIONS, so no tsx
 * loader — with `input` as JSON on its standard input; it must exit 0. Returns what it printed.
 */
function runPlainNode(script: string, input: unknown = null, cwd?: string): string {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { input: JSON.stringify(input), encoding: 'utf8', cwd, env: { PATH: process.env['PATH'] ?? '' } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** Script lines giving `verifier` (the bundle's exports), `fs`, `input` (read from standard input) and `store`, a MemoryChallengeStore holding `input[challengeKey]`. */
function verifierScript(challengeKey: string, body: string): string {
  return `
    const verifier = await import(${JSON.stringify(path.join(outDir, 'index.mjs'))});
    const fs = await import('node:fs');
    const input = JSON.parse(fs.readFileSync(0, 'utf8'));
    const store = new verifier.MemoryChallengeStore();
    store.register(input[${JSON.stringify(challengeKey)}], new Date());
    ${body}
  `;
}

/** Runs the bundle in a fresh `node` with no loader flags and returns the verifier's result. */
function verifyInPlainNode(token: string, challenge: string, origin: string): Record<string, unknown> {
  const script = verifierScript('challenge', `
    const anchors = input.anchors.map((p) => new Uint8Array(fs.readFileSync(p)));
    const r = await verifier.verifyLoginToken(input.token, { origin: input.origin, trustAnchors: anchors, challengeStore: store, challenge: input.challenge });
    process.stdout.write(JSON.stringify({ result: r, electronLoaded: Object.keys(globalThis.process.versions).includes('electron') }));
  `);
  const anchors = [pki.get('hebca-root').certDer, pki.get('hebca-sm2-root').certDer];
  const out = JSON.parse(runPlainNode(script, { token, challenge, origin, anchors })) as { result: Record<string, unknown>; electronLoaded: boolean };
  assert.equal(out.electronLoaded, false);
  return out.result;
}

async function tokenFor(id: string, challenge: string): Promise<string> {
  const store = await Pkcs12KeyStore.open(pki.get(id).pfx!.modern!, { password: '123456' });
  try {
    const [identity] = await store.listIdentities();
    const made = await createLoginToken({ origin: ORIGIN, challenge, store, identityId: identity!.id, pin: '123456', format: 'json', appVersion: 'test' });
    return made.token;
  } finally {
    await store.close();
  }
}

const challenge = (): string => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64');

for (const id of ['hebca-ent', 'hebca-sm2-ent']) {
  test(`plain-Node verifier accepts a ${id} token and returns its USCC`, async () => {
    const ch = challenge();
    const r = verifyInPlainNode(await tokenFor(id, ch), ch, ORIGIN);
    assert.equal(r['ok'], true, JSON.stringify(r));
    assert.equal(r['uscc'], pki.get(id).expect.uscc);
  });
}

test('plain-Node verifier refuses the same token at another origin', async () => {
  const ch = challenge();
  const r = verifyInPlainNode(await tokenFor('hebca-ent', ch), ch, 'https://evil.example');
  assert.equal(r['ok'], false);
  assert.equal(r['code'], 'ORIGIN_MISMATCH');
});

test('plain-Node `cert-assistant/uscc` bundle: USCC, resident ID and divisions from its own data files', () => {
  const script = `
    const u = await import(${JSON.stringify(path.join(outDir, 'uscc.mjs'))});
    const a = u.analyzeUscc('9113 0104 MA0H E3B8 2K');
    process.stdout.write(JSON.stringify({
      valid: u.isValidUscc(u.normalizeUscc('9113 0104 MA0H E3B8 2K')), kind: a.orgType?.legalPersonKind ?? null, region: a.region?.name ?? null,
      id: u.isValidResidentId(u.normalizeResidentId('11010519491231002x')), cities: u.hebeiDivisions().cities.length,
    }));
  `;
  const out = JSON.parse(runPlainNode(script, null, appDir)) as { valid: boolean; kind: string | null; region: string | null; id: boolean; cities: number };
  assert.equal(out.valid, true);
  assert.equal(out.kind, '企业法人');
  assert.ok(out.region, 'the region decodes from the bundled divisions');
  assert.equal(out.id, true);
  assert.equal(out.cities, 11);
});

test('plain-Node verifier exports verifySofLogin: a CA-assistant login (OpenSSL signature over the random) is accepted', () => {
  const random = challenge();
  const e = pki.get('hebca-ent');
  const sig = execFileSync('openssl', ['dgst', '-sha256', '-sign', e.keyPem], { input: random }).toString('base64');
  const script = verifierScript('random', `
    const r = await verifier.verifySofLogin({ certificate: input.cert, intermediates: [input.ca], signature: input.sig, random: input.random },
      { trustAnchors: [new Uint8Array(fs.readFileSync(input.root))], challengeStore: store, challenge: input.random });
    process.stdout.write(JSON.stringify(r));
  `);
  const stdout = runPlainNode(script, { random, sig, cert: fs.readFileSync(e.certDer).toString('base64'), ca: fs.readFileSync(pki.get('hebca-ca').certDer).toString('base64'), root: pki.get('hebca-root').certDer });
  const out = JSON.parse(stdout) as Record<string, unknown>;
  assert.equal(out['ok'], true, stdout);
  assert.equal(out['uscc'], e.expect.uscc);
});
