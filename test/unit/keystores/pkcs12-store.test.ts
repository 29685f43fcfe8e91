import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getTestPki } from '../../fixtures/pki.ts';
import { Pkcs12KeyStore } from '../../../main/keystores/pkcs12/index.ts';
import { AssistantError } from '../../../main/errors.ts';
import type { SignatureAlgorithm } from '../../../main/pki/signature-algorithm.ts';

const pki = await getTestPki();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-pkcs12-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

function opensslVerify(certPem: string, alg: SignatureAlgorithm, data: Buffer, sig: Uint8Array): boolean {
  const base = path.join(tmp, `${alg}-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(`${base}.msg`, data);
  fs.writeFileSync(`${base}.sig`, sig);
  execFileSync('openssl', ['x509', '-in', certPem, '-pubkey', '-noout', '-out', `${base}.pub`]);
  const args =
    alg === 'SM2-SM3'
      ? ['pkeyutl', '-verify', '-pubin', '-inkey', `${base}.pub`, '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', `${base}.msg`, '-sigfile', `${base}.sig`]
      : ['dgst', '-sha256', '-verify', `${base}.pub`, '-signature', `${base}.sig`, `${base}.msg`];
  try {
    execFileSync('openssl', args, { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** IEEE P1363 r||s → DER, so OpenSSL can check ES256 output. */
function p1363ToDer(sig: Uint8Array): Buffer {
  const int = (b: Uint8Array): Buffer => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = Buffer.from(b.subarray(i));
    if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([int(sig.subarray(0, 32)), int(sig.subarray(32))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

for (const [id, alg] of [['hebca-ent', 'RS256'], ['cfca-ec-ent', 'ES256'], ['hebca-sm2-ent', 'SM2-SM3']] as const) {
  for (const enc of ['legacy', 'modern'] as const) {
    test(`${id} ${enc} PFX: lists the identity and signs ${alg}; OpenSSL verifies`, async () => {
      const e = pki.get(id);
      const file = e.pfx![enc]!;
      const store = await Pkcs12KeyStore.open(file, { password: e.pfx!.password });
      const ids = await store.listIdentities();
      assert.equal(ids.length, 1);
      const ident = ids[0]!;
      assert.equal(ident.algorithm, alg);
      assert.equal(ident.location.kind, 'pkcs12');
      assert.equal(Buffer.from(ident.certificate).equals(fs.readFileSync(e.certDer)), true);
      assert.equal(ident.intermediates.length, 1, 'the issuing CA from the file');
      if (e.pfx!.friendlyName) assert.equal(ident.label, e.pfx!.friendlyName);
      assert.deepEqual(await store.pinState(ident.id), { retriesLeft: null, low: false, finalTry: false, locked: false });
      const data = Buffer.from(`tbs for ${id} 河北`);
      const sig = await store.sign(ident.id, data, alg, e.pfx!.password);
      if (alg === 'ES256') {
        assert.equal(sig.length, 64, 'IEEE P1363 r||s');
        assert.equal(opensslVerify(e.certPem, alg, data, p1363ToDer(sig)), true);
      } else {
        if (alg === 'SM2-SM3') assert.equal(sig[0], 0x30, 'DER SEQUENCE');
        assert.equal(opensslVerify(e.certPem, alg, data, sig), true);
      }
      assert.equal(opensslVerify(e.certPem, alg, Buffer.from('other data'), alg === 'ES256' ? p1363ToDer(sig) : sig), false);
      await assert.rejects(store.sign(ident.id, data, alg, 'wrong-pin'), (err: AssistantError) => err.code === 'PIN_INCORRECT' && !JSON.stringify(err.toJSON()).includes('wrong-pin'));
      await store.close();
    });
  }
}

test('wrong password at open is PIN_INCORRECT; no password on an encrypted file asks for it', async () => {
  const e = pki.get('hebca-ent');
  await assert.rejects(Pkcs12KeyStore.open(e.pfx!.modern!, { password: 'nope' }), (err: AssistantError) => err.code === 'PIN_INCORRECT');
  await assert.rejects(new Pkcs12KeyStore(e.pfx!.modern!).listIdentities(), (err: AssistantError) => err.code === 'PFX_PASSWORD_REQUIRED');
});

test('clear-certificate PFX lists without the password; algorithm mismatch and unknown identity are refused', async () => {
  const odd = pki.pfxOddities.find((o) => o.id === 'nocerts-encryption');
  const e = pki.get('hebca-ent');
  const file = odd?.path ?? path.join(tmp, 'clear-certs.pfx');
  if (!odd) execFileSync('openssl', ['pkcs12', '-export', '-certpbe', 'NONE', '-in', e.certPem, '-inkey', e.keyPem, '-out', file, '-passout', 'pass:123456']);
  const store = new Pkcs12KeyStore(file);
  const ids = await store.listIdentities();
  assert.equal(ids.length, 1);
  await assert.rejects(store.sign(ids[0]!.id, Buffer.from('x'), 'SM2-SM3', '123456'), (err: AssistantError) => err.code === 'ALGORITHM_MISMATCH');
  await assert.rejects(store.sign('9', Buffer.from('x'), ids[0]!.algorithm, '123456'), (err: AssistantError) => err.code === 'IDENTITY_NOT_FOUND');
  const sig = await store.sign(ids[0]!.id, Buffer.from('x'), ids[0]!.algorithm, '123456');
  assert.ok(sig.length > 0);
});
