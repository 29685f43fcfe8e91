/**
 * OpenSSL as the independent peer: tokens made by createLoginToken verify with the openssl CLI
 * over tbs recomputed here from the origin and challenge (not taken from our code).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { getTestPki } from '../../fixtures/pki.ts';
import { PemKeyStore, chainIntermediates } from '../../support/key-store.ts';
import { createLoginToken } from '../../../main/login/token.ts';
import { ecdsaP1363ToDer } from '../../../main/login/cms.ts';
import { scratchDir } from '../../support/scratch.ts';

const ORIGIN = 'https://www.hbzwfw.gov.cn';
const CHALLENGE = Buffer.from('interop-challenge-0123456789abcdef!').toString('base64');
const pki = await getTestPki();
const dir = scratchDir('ca-login-');

/** tbs computed by OpenSSL alone: dgst(origin) || dgst(challenge string). */
function opensslTbs(digest: 'sha256' | 'sm3'): Buffer {
  const h = (s: string): Buffer => execFileSync('openssl', ['dgst', `-${digest}`, '-binary'], { input: Buffer.from(s, 'utf8') });
  return Buffer.concat([h(ORIGIN), h(CHALLENGE)]);
}

function write(name: string, data: Uint8Array | string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, data);
  return p;
}

function pubKeyOf(id: string): string {
  const out = path.join(dir, `${id}.pub.pem`);
  execFileSync('openssl', ['x509', '-in', pki.get(id).certPem, '-pubkey', '-noout', '-out', out]);
  return out;
}

async function jsonToken(id: string): Promise<{ algorithm: string; signature: Buffer; certificate: Buffer; intermediates: string[] }> {
  const e = pki.get(id);
  const store = new PemKeyStore(e, { intermediates: chainIntermediates(pki, e) });
  const { token } = await createLoginToken({ origin: `${ORIGIN}/login?from=x`, challenge: CHALLENGE, store, identityId: '0', pin: '123456', appVersion: '0.1.0' });
  const j = JSON.parse(token) as { algorithm: string; signature: string; certificate: string; intermediates: string[] };
  return { algorithm: j.algorithm, signature: Buffer.from(j.signature, 'base64'), certificate: Buffer.from(j.certificate, 'base64'), intermediates: j.intermediates };
}

test('RS256 token verifies with openssl dgst -sha256 -verify over tbs', async () => {
  const t = await jsonToken('hebca-ent');
  assert.equal(t.algorithm, 'RS256');
  assert.deepEqual(t.certificate, fs.readFileSync(pki.get('hebca-ent').certDer));
  assert.equal(t.intermediates.length, 1, 'the intermediate the store holds travels with the token');
  const tbs = write('rs.tbs', opensslTbs('sha256'));
  const sig = write('rs.sig', t.signature);
  const r = spawnSync('openssl', ['dgst', '-sha256', '-verify', pubKeyOf('hebca-ent'), '-signature', sig, tbs], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Verified OK/);
  // Able to fail: another origin's tbs does not verify.
  const other = write('rs-other.tbs', Buffer.concat([execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: 'https://evil.example' }), opensslTbs('sha256').subarray(32)]));
  assert.notEqual(spawnSync('openssl', ['dgst', '-sha256', '-verify', pubKeyOf('hebca-ent'), '-signature', sig, other]).status, 0);
});

test('ES256 token: r||s (64 bytes), verifies with OpenSSL after conversion to DER', async () => {
  const t = await jsonToken('cfca-ec-ent');
  assert.equal(t.algorithm, 'ES256');
  assert.equal(t.signature.length, 64);
  const tbs = write('es.tbs', opensslTbs('sha256'));
  const sig = write('es.sig', ecdsaP1363ToDer(t.signature));
  const r = spawnSync('openssl', ['dgst', '-sha256', '-verify', pubKeyOf('cfca-ec-ent'), '-signature', sig, tbs], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Verified OK/);
});

test('SM2-SM3 token verifies with openssl pkeyutl -rawin -digest sm3 and distid 1234567812345678', async () => {
  const t = await jsonToken('hebca-sm2-ent');
  assert.equal(t.algorithm, 'SM2-SM3');
  assert.equal(t.signature[0], 0x30, 'DER SEQUENCE{r,s}');
  const tbs = write('sm2.tbs', opensslTbs('sm3'));
  const sig = write('sm2.sig', t.signature);
  const args = (id: string): string[] => ['pkeyutl', '-verify', '-pubin', '-inkey', pubKeyOf('hebca-sm2-ent'), '-rawin', '-digest', 'sm3', '-pkeyopt', `distid:${id}`, '-in', tbs, '-sigfile', sig];
  const r = spawnSync('openssl', args('1234567812345678'), { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Signature Verified Successfully/);
  // Z_A really enters: another signer ID fails.
  assert.notEqual(spawnSync('openssl', args('8765432187654321')).status, 0);
});

for (const id of ['hebca-ent', 'cfca-ec-ent']) {
  test(`cms token (${id}) passes openssl cms -verify -binary against the root`, async () => {
    const e = pki.get(id);
    const store = new PemKeyStore(e, { intermediates: chainIntermediates(pki, e) });
    const { token } = await createLoginToken({ origin: ORIGIN, challenge: CHALLENGE, store, identityId: '0', pin: '123456', appVersion: '0.1.0', format: 'cms', now: new Date() });
    const der = write(`${id}.p7s`, Buffer.from(token, 'base64'));
    const tbs = write(`${id}.cms.tbs`, opensslTbs('sha256'));
    const root = pki.get(e.chain[e.chain.length - 1]!).certPem;
    const verify = (content: string): ReturnType<typeof spawnSync> =>
      spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', der, '-content', content, '-CAfile', root, '-purpose', 'any', '-out', path.join(dir, 'out.bin')], { encoding: 'utf8' });
    const r = verify(tbs);
    assert.equal(r.status, 0, String(r.stderr));
    assert.match(String(r.stderr), /Verification successful/);
    const printed = execFileSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', der], { encoding: 'utf8' });
    assert.match(printed, /signingTime/);
    assert.match(printed, /messageDigest/);
    assert.doesNotMatch(printed, /eContent: <ABSENT>\s*\n\s*eContent: /); // detached
    // Able to fail: tbs for another challenge.
    const wrong = write(`${id}.wrong.tbs`, Buffer.concat([opensslTbs('sha256').subarray(0, 32), Buffer.alloc(32)]));
    assert.notEqual(verify(wrong).status, 0);
  });
}
