/**
 * Digital envelopes opened by the fake SKF key (GM/T 0016 §7.6) through the key-store worker:
 * the container's encryption pair unwraps the session key (SKF_ImportSessionKey, the fake really
 * SM2-decrypts with OpenSSL) and SKF_DecryptInit/SKF_Decrypt(Update/Final) run SM4-CBC with it.
 * Envelopes come from our envelope code and from the OpenSSL CLI (pkeyutl -encrypt + enc -sm4-cbc).
 * An RSA container (bjca-ent with an RSA encryption pair) unwraps a PKCS#1 v1.5 block instead.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEnvelope, envelopeFor, publicKeyEncrypt } from '../../../main/bridge/formats/envelope.ts';
import { KeyStoreWorkerClient } from '../../../main/keystores/worker/client.ts';
import { forkWorkerSpawner } from '../../../main/keystores/worker/fork-transport.ts';
import { WorkerKeyStore } from '../../../main/keystores/worker/remote-store.ts';
import { OID } from '../../../main/pki/oids.ts';
import { getTestPki, type PkiEntry } from '../../fixtures/pki.ts';
import { buildFakeSkf, fakeSkfEnv, makeEncryptionPair, skipFakeSkf, verifyCalls, type FakeSkfFiles } from '../../support/fake-skf.ts';
import { rejectsWith } from '../../support/assert-error.ts';

const PIN = '12345678';

/** The fake key with an encryption pair, in a worker, for the whole file. */
interface Setup {
  dir: string; lib: string; files: FakeSkfFiles; env: NodeJS.ProcessEnv; entry: PkiEntry;
  enc: ReturnType<typeof makeEncryptionPair>; client: KeyStoreWorkerClient; store: WorkerKeyStore; identityId: string;
}

async function setUp(entryId = 'hebca-sm2-ent'): Promise<Setup> {
  const pki = await getTestPki();
  const entry = pki.get(entryId);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-skf-envelope-'));
  const lib = buildFakeSkf(dir);
  const enc = makeEncryptionPair(entry, pki.get(entry.chain[0]!), dir);
  const made = fakeSkfEnv(entry, dir, { FAKE_SKF_MAX: '3', ...enc.env });
  const env = { ...process.env, ...made.env };
  const client = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner({ env }) });
  const store = new WorkerKeyStore(client, { kind: 'skf', module: lib });
  return { dir, lib, files: made.files, env, entry, enc, client, store, identityId: (await store.listIdentities())[0]!.id };
}

const openssl = (args: string[], input?: Buffer): Buffer => execFileSync('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'], ...(input ? { input } : {}) });

describe('envelopes opened inside the fake SKF key, through the worker', { skip: skipFakeSkf }, () => {
  let t: Setup;
  before(async () => {
    t = await setUp();
  });
  after(async () => {
    await t?.client.close();
    if (t) fs.rmSync(t.dir, { recursive: true, force: true });
  });

  const encCert = () => new Uint8Array(fs.readFileSync(t.enc.certDer));

  test('the identity carries the container\'s encryption certificate next to the signing one', async () => {
    const [id] = await t.store.listIdentities();
    assert.deepEqual(Buffer.from(id!.certificate), fs.readFileSync(t.entry.certDer));
    assert.deepEqual(Buffer.from(id!.encryptionCertificate!), fs.readFileSync(t.enc.certDer));
    assert.ok(t.store.decryptEnvelope && !t.store.decrypt, 'SKF opens envelopes on the device; no raw private-key decryption');
    assert.deepEqual(t.store.envelopeCiphers, [OID.sm4Cbc]);
  });

  test('an envelope of ours (SM2 key transport, SM4-CBC) for the encryption certificate opens on the key: short, and long enough for SKF_DecryptUpdate pieces', async () => {
    for (const plain of [new TextEncoder().encode('投标文件：技术标'), new Uint8Array(randomBytes(10_000)), new Uint8Array(4096 - 1)]) {
      const e = envelopeFor(buildEnvelope(plain, [encCert()]), encCert());
      assert.equal(e.content.cipher, OID.sm4Cbc);
      const before = verifyCalls(t.files);
      const out = await t.store.decryptEnvelope!(t.identityId, e.encryptedKey, e.content, 'SM2-SM3', PIN);
      assert.deepEqual(Buffer.from(out), Buffer.from(plain));
      assert.equal(verifyCalls(t.files), before + 1, 'one SKF_VerifyPIN per envelope');
    }
  });

  test('an envelope made by the OpenSSL CLI (pkeyutl -encrypt SM2, enc -sm4-cbc) opens on the key', async () => {
    const key = randomBytes(16);
    const iv = randomBytes(16);
    const plain = Buffer.from('OpenSSL 做的信封内容\n'.repeat(300));
    const pub = path.join(t.dir, 'enc.pub');
    const wrapped = openssl(['pkeyutl', '-encrypt', '-pubin', '-inkey', pub], key);
    const ciphertext = openssl(['enc', '-sm4-cbc', '-K', key.toString('hex'), '-iv', iv.toString('hex')], plain);
    const out = await t.store.decryptEnvelope!(t.identityId, wrapped, { cipher: OID.sm4Cbc, iv, ciphertext }, 'SM2-SM3', PIN);
    assert.deepEqual(Buffer.from(out), plain);
  });

  test('a session key wrapped for the signing key, or damaged content, is DECRYPT_FAILED', async () => {
    const e = envelopeFor(buildEnvelope(new Uint8Array([1, 2, 3]), [encCert()]), encCert());
    const forSigningKey = publicKeyEncrypt(new Uint8Array(fs.readFileSync(t.entry.certDer)), randomBytes(16));
    await rejectsWith(t.store.decryptEnvelope!(t.identityId, forSigningKey, e.content, 'SM2-SM3', PIN), 'DECRYPT_FAILED');
    // The IV's last byte flipped turns the padding byte (1–16) into 0x44–0x55: never valid padding.
    const damaged = { ...e.content, iv: Uint8Array.from(e.content.iv, (b, i) => (i === 15 ? b ^ 0x55 : b)) };
    await rejectsWith(t.store.decryptEnvelope!(t.identityId, e.encryptedKey, damaged, 'SM2-SM3', PIN), 'DECRYPT_FAILED');
    await rejectsWith(t.store.decryptEnvelope!(t.identityId, new Uint8Array([0x30, 0x03, 1, 2, 3]), e.content, 'SM2-SM3', PIN), 'DECRYPT_FAILED');
  });

  test('content the key cannot decrypt (AES) is refused before a PIN try is spent', async () => {
    const before = verifyCalls(t.files);
    await rejectsWith(t.store.decryptEnvelope!(t.identityId, new Uint8Array(120), { cipher: OID.aes128Cbc, iv: new Uint8Array(16), ciphertext: new Uint8Array(16) }, 'SM2-SM3', PIN), 'OPERATION_NOT_SUPPORTED');
    assert.equal(verifyCalls(t.files), before);
  });

  test('a pulled-out key is DEVICE_REMOVED; wrong PINs count down once each, then PIN_LOCKED without a try', async () => {
    const e = envelopeFor(buildEnvelope(new Uint8Array([9]), [encCert()]), encCert());
    fs.writeFileSync(t.files.removed, '');
    try {
      await rejectsWith(t.store.decryptEnvelope!(t.identityId, e.encryptedKey, e.content, 'SM2-SM3', PIN), 'DEVICE_REMOVED');
    } finally {
      fs.rmSync(t.files.removed, { force: true });
    }
    const start = verifyCalls(t.files);
    await rejectsWith(t.store.decryptEnvelope!(t.identityId, e.encryptedKey, e.content, 'SM2-SM3', '87654321'), 'PIN_INCORRECT');
    await rejectsWith(t.store.decryptEnvelope!(t.identityId, e.encryptedKey, e.content, 'SM2-SM3', '87654321'), 'PIN_INCORRECT');
    await rejectsWith(t.store.decryptEnvelope!(t.identityId, e.encryptedKey, e.content, 'SM2-SM3', '87654321'), 'PIN_LOCKED');
    assert.equal(verifyCalls(t.files), start + 3, 'each wrong PIN tried once, never retried');
    await rejectsWith(t.store.decryptEnvelope!(t.identityId, e.encryptedKey, e.content, 'SM2-SM3', PIN), 'PIN_LOCKED');
    assert.equal(verifyCalls(t.files), start + 3, 'a locked key is not tried');
    fs.rmSync(t.files.state, { force: true });
  });

  test('a vendor library that hangs or crashes in SKF_ImportSessionKey costs a worker restart and a clear error', async () => {
    const e = envelopeFor(buildEnvelope(new Uint8Array([7]), [encCert()]), encCert());
    for (const [fault, code] of [['hang', 'DEVICE_TIMEOUT'], ['crash', 'WORKER_CRASHED']] as const) {
      const c = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner({ env: { ...t.env, FAKE_SKF_FAULT: fault } }), timeouts: { 'store.decryptEnvelope': 1_000 } });
      try {
        const s = new WorkerKeyStore(c, { kind: 'skf', module: t.lib });
        await rejectsWith(s.decryptEnvelope!(t.identityId, e.encryptedKey, e.content, 'SM2-SM3', PIN), code);
        assert.equal((await s.listIdentities()).length, 1, 'the next call runs in a fresh worker');
      } finally {
        await c.close();
      }
    }
  });
});

describe('envelopes opened inside the fake SKF key: an RSA container', { skip: skipFakeSkf }, () => {
  let t: Setup;
  before(async () => {
    t = await setUp('bjca-ent');
  });
  after(async () => {
    await t?.client.close();
    if (t) fs.rmSync(t.dir, { recursive: true, force: true });
  });

  /** A session key wrapped RSA PKCS#1 v1.5 for `certDer` and SM4-CBC content: what SKF can open. */
  const envelope = (certDer: string, plain: Buffer) => {
    const key = randomBytes(16);
    const iv = randomBytes(16);
    const ciphertext = openssl(['enc', '-sm4-cbc', '-K', key.toString('hex'), '-iv', iv.toString('hex')], plain);
    return { wrapped: publicKeyEncrypt(new Uint8Array(fs.readFileSync(certDer)), key), content: { cipher: OID.sm4Cbc, iv, ciphertext } };
  };

  test('the identity is RS256 and carries the RSA encryption certificate', async () => {
    const [id] = await t.store.listIdentities();
    assert.equal(id!.algorithm, 'RS256');
    assert.deepEqual(Buffer.from(id!.encryptionCertificate!), fs.readFileSync(t.enc.certDer));
  });

  test('a session key RSA-wrapped for the encryption certificate (ours, and OpenSSL pkeyutl -encrypt) opens SM4 content on the key, one SKF_VerifyPIN each', async () => {
    const plain = Buffer.from('投标文件：商务标\n'.repeat(400));
    const ours = envelope(t.enc.certDer, plain);
    const before = verifyCalls(t.files);
    assert.deepEqual(Buffer.from(await t.store.decryptEnvelope!(t.identityId, ours.wrapped, ours.content, 'RS256', PIN)), plain);
    const key = randomBytes(16);
    const iv = randomBytes(16);
    const byCli = openssl(['pkeyutl', '-encrypt', '-pubin', '-inkey', path.join(t.dir, 'enc.pub')], key);
    const ciphertext = openssl(['enc', '-sm4-cbc', '-K', key.toString('hex'), '-iv', iv.toString('hex')], plain);
    assert.deepEqual(Buffer.from(await t.store.decryptEnvelope!(t.identityId, byCli, { cipher: OID.sm4Cbc, iv, ciphertext }, 'RS256', PIN)), plain);
    assert.equal(verifyCalls(t.files), before + 2);
  });

  test('a session key wrapped for the signing key is DECRYPT_FAILED; wrong PIN and lock as for SM2', async () => {
    const forSigning = envelope(t.entry.certDer, Buffer.from('x'));
    await rejectsWith(t.store.decryptEnvelope!(t.identityId, forSigning.wrapped, forSigning.content, 'RS256', PIN), 'DECRYPT_FAILED');
    const e = envelope(t.enc.certDer, Buffer.from('y'));
    const start = verifyCalls(t.files);
    const d = await rejectsWith(t.store.decryptEnvelope!(t.identityId, e.wrapped, e.content, 'RS256', '87654321'), 'PIN_INCORRECT');
    assert.equal((d['pin'] as { retriesLeft: number }).retriesLeft, 2);
    await rejectsWith(t.store.decryptEnvelope!(t.identityId, e.wrapped, e.content, 'RS256', '87654321'), 'PIN_INCORRECT');
    await rejectsWith(t.store.decryptEnvelope!(t.identityId, e.wrapped, e.content, 'RS256', '87654321'), 'PIN_LOCKED');
    await rejectsWith(t.store.decryptEnvelope!(t.identityId, e.wrapped, e.content, 'RS256', PIN), 'PIN_LOCKED');
    assert.equal(verifyCalls(t.files), start + 3, 'each wrong PIN tried once; a locked key not at all');
    fs.rmSync(t.files.state, { force: true });
  });
});
