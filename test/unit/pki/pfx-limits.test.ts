import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getTestPki } from '../../fixtures/pki.ts';
import { AssistantError } from '../../../main/errors.ts';
import { Pkcs12KeyStore } from '../../../main/keystores/pkcs12/index.ts';
import { KdfSession } from '../../../main/pki/pbe.ts';
import { decodePkcs12, decodePkcs12Async, PFX_LIMITS } from '../../../main/pki/pkcs12.ts';
import { readCertificatePath } from '../../../main/pki/read.ts';
import { loadTrustAnchors } from '../../../main/pki/trust.ts';

// PFX files OpenSSL writes with hostile parameters (issue 12, item 9): refused by a stable code
// before the key-derivation work is spent, everywhere a PFX is opened.
const pki = await getTestPki();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-pfx-limits-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const e = pki.get('hebca-ent');
const ca = pki.get('hebca-ca');

function exportPfx(name: string, args: string[]): string {
  const out = path.join(tmp, name);
  execFileSync('openssl', ['pkcs12', '-export', '-in', e.certPem, '-inkey', e.keyPem, '-passout', 'pass:123456', '-out', out, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return out;
}

function isCode(code: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof AssistantError, `expected AssistantError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, /[\u4e00-\u9fff]/, 'zh-CN message');
    assert.ok(err.messageEn, 'English message');
    return true;
  };
}

// NSS's parameters (PBES2/PBKDF2-HMAC-SHA256 + AES-256-CBC, MAC with the same count) at 700,000:
// 2,100,000 iterations of work in all, over the 2,000,000 cap.
const over = exportPfx('over.pfx', ['-keypbe', 'AES-256-CBC', '-certpbe', 'AES-256-CBC', '-macalg', 'sha256', '-iter', '700000', '-maciter']);
// The same at OpenSSL's default count: opens.
const nssLike = exportPfx('nss-like.pfx', ['-keypbe', 'AES-256-CBC', '-certpbe', 'AES-256-CBC', '-macalg', 'sha256', '-iter', '2048', '-maciter']);
// A MAC alone with 4,000,000 iterations (clear bags): ~12 s in the old JS loop.
const mac4m = exportPfx('mac4m.pfx', ['-keypbe', 'NONE', '-certpbe', 'NONE', '-macalg', 'sha256', '-iter', '4000000', '-maciter']);
// More bags than any certificate file holds: the leaf's issuer 70 times over.
const chain = path.join(tmp, 'many.pem');
fs.writeFileSync(chain, fs.readFileSync(ca.certPem, 'utf8').repeat(70));
const manyClear = exportPfx('many-clear.pfx', ['-keypbe', 'NONE', '-certpbe', 'NONE', '-certfile', chain]);
const manyEncrypted = exportPfx('many-encrypted.pfx', ['-certfile', chain]);

test('OpenSSL sees what the files declare (the limits are about real files)', () => {
  const r = spawnSync('openssl', ['pkcs12', '-info', '-noout', '-in', over, '-passin', 'pass:123456'], { encoding: 'utf8' });
  const info = r.stdout + r.stderr; // -info writes the parameters on stderr
  assert.match(info, /MAC: sha256, Iteration 700000/);
  assert.match(info, /PBES2, PBKDF2, AES-256-CBC, Iteration 700000, PRF hmacWithSHA256/);
  const bags = execFileSync('openssl', ['pkcs12', '-info', '-nokeys', '-in', manyClear, '-passin', 'pass:123456'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.ok((bags.match(/BEGIN CERTIFICATE/g) ?? []).length > PFX_LIMITS.maxBags, 'OpenSSL wrote every certificate');
});

test('too much KDF work: PFX_TOO_EXPENSIVE before any key is derived, in every reader', async () => {
  for (const file of [over, mac4m]) {
    const bytes = fs.readFileSync(file);
    const kdf = new KdfSession();
    assert.throws(() => decodePkcs12(bytes, '123456', { kdf }), isCode('PFX_TOO_EXPENSIVE'));
    assert.equal(kdf.derivations, 0, 'refused before deriving');
    await assert.rejects(decodePkcs12Async(bytes, '123456', { kdf }), isCode('PFX_TOO_EXPENSIVE'));
    assert.equal(kdf.derivations, 0);
    // Without a password (listing) and with a wrong one, the same answer: the cost is the file's.
    assert.throws(() => decodePkcs12(bytes, undefined, { kdf, listWithoutPassword: true }), isCode('PFX_TOO_EXPENSIVE'));
    assert.throws(() => decodePkcs12(bytes, 'wrong', { kdf }), isCode('PFX_TOO_EXPENSIVE'));
    assert.equal(kdf.derivations, 0);
    await assert.rejects(readCertificatePath(file, { password: '123456' }), isCode('PFX_TOO_EXPENSIVE'));
    await assert.rejects(Pkcs12KeyStore.open(file, { password: '123456' }), isCode('PFX_TOO_EXPENSIVE'));
    await assert.rejects(new Pkcs12KeyStore(file).sign('0', new Uint8Array(32), 'RS256', '123456'), isCode('PFX_TOO_EXPENSIVE'));
  }
  assert.throws(() => decodePkcs12(fs.readFileSync(over), '123456'), (err: AssistantError) => err.details?.['work'] === 2_100_000 && err.details?.['limit'] === 2_000_000);
});

test('too many bags: PFX_TOO_MANY_BAGS, clear ones before any derivation, encrypted ones before they are read', async () => {
  const kdf = new KdfSession();
  assert.throws(() => decodePkcs12(fs.readFileSync(manyClear), '123456', { kdf }), isCode('PFX_TOO_MANY_BAGS'));
  assert.equal(kdf.derivations, 0);
  await assert.rejects(readCertificatePath(manyClear, { password: '123456' }), isCode('PFX_TOO_MANY_BAGS'));
  await assert.rejects(readCertificatePath(manyEncrypted, { password: '123456' }), isCode('PFX_TOO_MANY_BAGS'));
  await assert.rejects(Pkcs12KeyStore.open(manyEncrypted, { password: '123456' }), isCode('PFX_TOO_MANY_BAGS'));
});

test('an NSS-style file within the limits opens, and one open derives each key once', async () => {
  const bytes = fs.readFileSync(nssLike);
  const kdf = new KdfSession();
  const contents = await decodePkcs12Async(bytes, '123456', { kdf });
  assert.equal(contents.certificates.length, 1);
  assert.equal(contents.keys.length, 1);
  assert.ok(contents.keys[0]!.pkcs8);
  assert.equal(kdf.derivations, 3, 'MAC, certificate container, key bag');
  // The synchronous path with the same session derives nothing more.
  decodePkcs12(bytes, '123456', { kdf });
  assert.equal(kdf.derivations, 3);
  kdf.wipe();
  assert.deepEqual(decodePkcs12(bytes, '123456').keys[0]!.pkcs8, contents.keys[0]!.pkcs8);
  await assert.rejects(decodePkcs12Async(bytes, '654321'), isCode('PFX_BAD_PASSWORD'));
  const store = await Pkcs12KeyStore.open(nssLike, { password: '123456' });
  const [ident] = await store.listIdentities();
  assert.equal((await store.sign(ident!.id, new Uint8Array(32), 'RS256', '123456')).length, 256);
  await assert.rejects(store.sign(ident!.id, new Uint8Array(32), 'RS256', '654321'), isCode('PIN_INCORRECT'));
});

test('trust files never open a PFX (they are read in the app\'s main process)', () => {
  // A PFX under a certificate's name: refused by content, before any key derivation.
  const dir = fs.mkdtempSync(path.join(tmp, 'trust-'));
  const file = path.join(dir, 'root.cer');
  fs.copyFileSync(mac4m, file);
  assert.throws(() => loadTrustAnchors([file], { includeBundled: false }), (err: AssistantError) => err.code === 'TRUST_FILE_INVALID' && err.details?.['cause'] === 'PFX_NOT_ALLOWED');
  const skipped: string[] = [];
  assert.equal(loadTrustAnchors([dir], { includeBundled: false, onSkipped: (f) => skipped.push(path.basename(f)) }).length, 0);
  assert.deepEqual(skipped, ['root.cer']);
});

test('a lone encrypted PKCS#8 key gets the same cap: KEY_TOO_EXPENSIVE', async () => {
  const pem = path.join(tmp, 'key-over.pem');
  // PBKDF2-HMAC-SHA1 for a 32-byte AES key runs two blocks: 2 × 1,000,001 iterations.
  execFileSync('openssl', ['pkcs8', '-topk8', '-in', e.keyPem, '-v2', 'aes-256-cbc', '-v2prf', 'hmacWithSHA1', '-iter', '1000001', '-passout', 'pass:123456', '-out', pem], { stdio: 'pipe' });
  await assert.rejects(readCertificatePath(pem, { password: '123456' }), isCode('KEY_TOO_EXPENSIVE'));
  const ok = path.join(tmp, 'key-ok.pem');
  execFileSync('openssl', ['pkcs8', '-topk8', '-in', e.keyPem, '-v2', 'aes-256-cbc', '-iter', '2048', '-passout', 'pass:123456', '-out', ok], { stdio: 'pipe' });
  assert.equal((await readCertificatePath(ok, { password: '123456' })).keys.length, 1);
});
