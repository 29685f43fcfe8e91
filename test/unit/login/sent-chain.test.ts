// Which CA certificates a login token (and a bridge PKCS#7) carries: the path the assistant
// validated itself (issue 11 item 7). The relying party is the real verifier configured with
// the CA root only, as portal operators configure it; keys are the test PKI's (OpenSSL-made).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCertificateService, type RegisteredStore } from '../../../main/assistant/certificates.ts';
import type { LogFields } from '../../../main/assistant/world.ts';
import { Pkcs12KeyStore } from '../../../main/keystores/pkcs12/index.ts';
import type { KeyStore } from '../../../main/keystores/types.ts';
import { chainToSend } from '../../../main/login/sent-chain.ts';
import { createSigningPath } from '../../../main/login/signing-path.ts';
import { parseJsonToken, TOKEN_FORMAT } from '../../../main/login/token-format.ts';
import { MemoryChallengeStore, verifyLoginToken } from '../../../main/login/verify.ts';
import { readSignedMessage } from '../../../main/bridge/formats/pkcs7.ts';
import type { ParsedCertificate } from '../../../main/pki/certificate.ts';
import { loadTrustAnchors } from '../../../main/pki/trust.ts';
import { readCertificateFile } from '../../../main/pki/read.ts';
import { craftedCaseSpecs, generateCraftedChains } from '../../fixtures/generate-crafted-chains.ts';
import { getTestPki, type TestPki } from '../../fixtures/pki.ts';
import { certDer, PemKeyStore, TEST_PIN } from '../../support/key-store.ts';

const ORIGIN = 'https://www.hbzwfw.gov.cn';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-sent-chain-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const fingerprints = (ders: readonly Uint8Array[]): string[] => ders.map((d) => readCertificateFile(Buffer.from(d), { fileName: 'c.der' }).certificates[0]!.fingerprintSha256);
const fingerprintOf = (pki: TestPki, id: string): string => fingerprints([certDer(pki, id)])[0]!;

/** A trust folder as an admin fills certs/trust/ or a policy trustAnchorDirs entry. */
function trustFolder(pki: TestPki, name: string, ids: string[]): ParsedCertificate[] {
  const folder = path.join(dir, name);
  fs.mkdirSync(folder);
  for (const id of ids) fs.copyFileSync(pki.get(id).certPem, path.join(folder, `${id}.pem`));
  return loadTrustAnchors([folder], { includeBundled: false, systemRoots: null });
}

/** The assistant's certificate service over one USB-key store, its log kept. */
function assistant(store: KeyStore, anchors: ParsedCertificate[]) {
  const logged: { event: string; fields?: LogFields }[] = [];
  const reg: RegisteredStore = { storeId: 'skf-1', source: 'usb', label: 'skf.dll', store };
  const svc = createCertificateService({
    now: () => new Date(), appVersion: 't', usbStores: () => [reg], anchors: () => anchors,
    openPkcs12: () => Promise.reject(new Error('no files here')),
    log: (event, fields) => logged.push({ event, ...(fields ? { fields } : {}) }),
  });
  return { svc, logged };
}

/** What a portal that configured only the root says about a login the assistant made. */
async function rootOnlyPortal(pki: TestPki, svc: ReturnType<typeof assistant>['svc'], rootId: string) {
  const { certificates } = await svc.list();
  const card = certificates[0]!;
  const challenges = new MemoryChallengeStore();
  const { challenge } = await challenges.issue(new Date());
  const token = await svc.createToken({ certificateId: card.id, origin: ORIGIN, challenge, pin: TEST_PIN });
  const verdict = await verifyLoginToken(token, { origin: ORIGIN, trustAnchors: [certDer(pki, rootId)], challengeStore: challenges, now: new Date() });
  return { card, token, parsed: parseJsonToken(token), verdict };
}

describe('the login token carries the path validated here', () => {
  test('an SM2 USB key holding only the leaf, its intermediate in the trust folder: a root-only portal accepts the login', async () => {
    const pki = await getTestPki();
    const anchors = trustFolder(pki, 'sm2', ['hebca-sm2-root', 'hebca-sm2-ca']);
    const { svc, logged } = assistant(new PemKeyStore(pki.get('hebca-sm2-ent')), anchors);
    const { card, token, parsed, verdict } = await rootOnlyPortal(pki, svc, 'hebca-sm2-root');
    assert.equal(verdict.ok, true, JSON.stringify(verdict));
    assert.equal(verdict.ok && verdict.uscc, pki.get('hebca-sm2-ent').expect.uscc);
    assert.equal((JSON.parse(token) as { format: string }).format, TOKEN_FORMAT);
    assert.deepEqual(parsed.intermediates.map((c) => fingerprints([c.der!])[0]), [fingerprintOf(pki, 'hebca-sm2-ca')], 'the intermediate, not the root');
    assert.deepEqual(logged.filter((l) => l.event === 'token.chain').map((l) => [l.fields?.['source'], l.fields?.['intermediates']]), [['local-path', 1]]);
    const chainRow = card.checks.find((c) => c.id === 'chain')!;
    assert.equal(chainRow.status, 'pass');
    assert.match(chainRow.detail ?? '', /登录令牌随附本机验证的证书链中的 1 张中级证书：.*根证书不随附/);
    assert.match(chainRow.detailEn ?? '', /carries the 1 intermediate certificate of the chain verified here/);
  });

  test('only the intermediate trusted here (no root): it still goes, so a portal with the root follows', async () => {
    const pki = await getTestPki();
    const anchors = trustFolder(pki, 'ca-only', ['hebca-ca']);
    const { svc } = assistant(new PemKeyStore(pki.get('hebca-ent')), anchors);
    const { parsed, verdict } = await rootOnlyPortal(pki, svc, 'hebca-root');
    assert.equal(verdict.ok, true, JSON.stringify(verdict));
    assert.deepEqual(parsed.intermediates.map((c) => fingerprints([c.der!])[0]), [fingerprintOf(pki, 'hebca-ca')]);
  });

  test('a PFX with unrelated extra certificates: only the path\'s intermediate is sent, the root and the others stay home', async () => {
    const pki = await getTestPki();
    const ent = pki.get('hebca-ent');
    const extras = path.join(dir, 'extras.pem');
    fs.writeFileSync(extras, ['cfca-ca', 'hebca-root', 'bjca-root', 'hebca-ca', 'cfca-ec-ent'].map((id) => fs.readFileSync(pki.get(id).certPem, 'utf8')).join(''));
    const pfx = path.join(dir, 'extras.pfx');
    execFileSync('openssl', ['pkcs12', '-export', '-in', ent.certPem, '-inkey', ent.keyPem, '-certfile', extras, '-passout', `pass:${TEST_PIN}`, '-out', pfx], { stdio: 'pipe' });
    const store = await Pkcs12KeyStore.open(pfx, { password: TEST_PIN });
    assert.equal((await store.listIdentities())[0]!.intermediates.length, 5, 'the file holds all five');
    const { svc, logged } = assistant(store, trustFolder(pki, 'hebca', ['hebca-root']));
    const { parsed, verdict } = await rootOnlyPortal(pki, svc, 'hebca-root');
    assert.equal(verdict.ok, true, JSON.stringify(verdict));
    assert.deepEqual(parsed.intermediates.map((c) => fingerprints([c.der!])[0]), [fingerprintOf(pki, 'hebca-ca')]);
    assert.equal(logged.find((l) => l.event === 'token.chain')?.fields?.['source'], 'local-path');
    await store.close();
  });

  test('no path found here: the store\'s certificates go as before, and 技术信息 and the log say so', async () => {
    const pki = await getTestPki();
    const store = new PemKeyStore(pki.get('hebca-ent'), { intermediates: [certDer(pki, 'cfca-ca'), certDer(pki, 'hebca-ca')] });
    const { svc, logged } = assistant(store, []);
    const { card, parsed, verdict } = await rootOnlyPortal(pki, svc, 'hebca-root');
    assert.equal(verdict.ok, true, 'the portal still finds its way through what the store holds');
    assert.deepEqual(parsed.intermediates.map((c) => fingerprints([c.der!])[0]), [fingerprintOf(pki, 'cfca-ca'), fingerprintOf(pki, 'hebca-ca')], 'as the store gave them');
    assert.deepEqual(logged.filter((l) => l.event === 'token.chain').map((l) => [l.fields?.['source'], l.fields?.['intermediates']]), [['key-store', 2]]);
    assert.match(card.checks.find((c) => c.id === 'chain')!.detail ?? '', /本机未能验证证书链，登录令牌随附证书存储中的全部 2 张其他证书/);
  });
});

test('chainToSend: two intermediates (one a key-rollover CA) in path order, whatever order the store holds them in', async () => {
  const pki = await getTestPki();
  const work = path.join(dir, 'crafted');
  fs.mkdirSync(work);
  const [c] = generateCraftedChains(work, 'rsa', craftedCaseSpecs().filter((s) => s.id === 'pathlen-self-issued-ok'));
  const pems = (file: string): ParsedCertificate[] => readCertificateFile(fs.readFileSync(file), { fileName: file }).certificates;
  const [leaf] = pems(c!.leaf);
  const [root] = pems(c!.root);
  const inters = pems(c!.untrusted); // leaf side first
  assert.equal(inters.length, 2);
  const store = [certDer(pki, 'cfca-ca'), inters[1]!.der, root!.der, inters[0]!.der];
  const sent = chainToSend(leaf!.der, store, { anchors: [root!], now: new Date() });
  assert.equal(sent.source, 'local-path');
  assert.deepEqual(fingerprints(sent.certificates), inters.map((i) => i.fingerprintSha256));
  // Nothing trusted here: the store's, untouched.
  assert.deepEqual(chainToSend(leaf!.der, store, { anchors: [], now: new Date() }), { certificates: store, source: 'key-store' });
  // Trusted, but not this CA: the store's too.
  const other = trustFolder(pki, 'other', ['bjca-root']);
  assert.equal(chainToSend(leaf!.der, store, { anchors: other, now: new Date() }).source, 'key-store');
});

test('the bridge\'s PKCS#7 carries the signer and the path validated here, not the store\'s extras', async () => {
  const pki = await getTestPki();
  const entry = pki.get('hebca-sm2-ent');
  const key = { certificate: certDer(pki, entry.id), intermediates: [certDer(pki, 'cfca-ca')], algorithm: 'SM2-SM3' as const, store: new PemKeyStore(entry), identityId: '0' };
  const anchors = trustFolder(pki, 'bridge', ['hebca-sm2-root', 'hebca-sm2-ca']);
  const signingPath = createSigningPath({ ask: async () => ({ allow: true, secret: TEST_PIN }), record: () => {}, now: () => new Date(), randomId: () => 'c1', anchors: () => anchors });
  const p7 = await signingPath.sign({ origin: ORIGIN, protocol: 'bjca', key, data: new TextEncoder().encode('申报表'), output: 'pkcs7-attached' });
  assert.deepEqual(readSignedMessage(p7).certificates.map((c) => c.fingerprintSha256), [fingerprintOf(pki, entry.id), fingerprintOf(pki, 'hebca-sm2-ca')]);
  // Without the assistant's anchors (as before): the store's.
  const bare = createSigningPath({ ask: async () => ({ allow: true, secret: TEST_PIN }), record: () => {}, now: () => new Date(), randomId: () => 'c2' });
  const p7b = await bare.sign({ origin: ORIGIN, protocol: 'bjca', key, data: new TextEncoder().encode('申报表'), output: 'pkcs7-attached' });
  assert.deepEqual(readSignedMessage(p7b).certificates.map((c) => c.fingerprintSha256), [fingerprintOf(pki, entry.id), fingerprintOf(pki, 'cfca-ca')]);
});
