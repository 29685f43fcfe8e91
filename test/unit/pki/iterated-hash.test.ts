import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { compileIteratedHash, moduleSource } from '../../../scripts/build-wasm.ts';
import { iteratedHashWat } from '../../../scripts/iterated-hash-wat.ts';
import { iterateHash, iterateHashNode } from '../../../main/pki/iterated-hash.ts';
import { bmpPassword, pkcs12Kdf, DIGESTS } from '../../../main/pki/pbe.ts';
import { OID } from '../../../main/pki/oids.ts';
import fs from 'node:fs';

test('the WebAssembly loop gives node:crypto\'s answer for SHA-1 and SHA-256 at every count', () => {
  for (const [alg, len] of [['sha1', 20], ['sha256', 32]] as const) {
    for (const n of [0, 1, 2, 3, 63, 64, 1000, 65_537]) {
      const start = randomBytes(len);
      assert.deepEqual(iterateHash(alg, start, n), iterateHashNode(alg, start, n), `${alg} × ${n}`);
    }
  }
  // Other digests (and odd lengths) take the node:crypto loop.
  const s = randomBytes(48);
  assert.deepEqual(iterateHash('sha384', s, 100), iterateHashNode('sha384', s, 100));
});

test('PKCS#12 KDF equals OpenSSL\'s PKCS12KDF (RFC 7292 B.2) for SHA-1 and SHA-256, one and several blocks', () => {
  const salt = Buffer.from('0A58CF64530D823F', 'hex');
  for (const [oid, digest] of [[OID.sha1, 'SHA1'], [OID.sha256, 'SHA256']] as const) {
    for (const [id, iter, n] of [[1, 1, 24], [2, 2048, 8], [3, 100_000, 32], [1, 5000, 24]] as const) {
      const pw = bmpPassword('密码123');
      const out = execFileSync('openssl', ['kdf', '-keylen', String(n), '-kdfopt', `digest:${digest}`, '-kdfopt', `hexpass:${Buffer.from(pw).toString('hex')}`,
        '-kdfopt', `hexsalt:${salt.toString('hex')}`, '-kdfopt', `id:${id}`, '-kdfopt', `iter:${iter}`, 'PKCS12KDF'], { encoding: 'utf8' });
      assert.equal(pkcs12Kdf(DIGESTS[oid]!, pw, salt, id, iter, n).toString('hex'), out.trim().replace(/:/g, '').toLowerCase(), `${digest} id ${id} × ${iter} → ${n}`);
    }
  }
});

test('main/pki/wasm/iterated-hash.wat and iterated-hash-wasm.ts are what `npm run wasm` makes', async () => {
  assert.equal(fs.readFileSync(new URL('../../../main/pki/wasm/iterated-hash.wat', import.meta.url), 'utf8'), iteratedHashWat(), 'run `npm run wasm` after editing scripts/iterated-hash-wat.ts');
  const committed = fs.readFileSync(new URL('../../../main/pki/iterated-hash-wasm.ts', import.meta.url), 'utf8');
  assert.equal(committed, moduleSource(await compileIteratedHash()), 'run `npm run wasm`');
});
