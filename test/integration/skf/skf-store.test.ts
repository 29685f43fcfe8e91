/**
 * SkfKeyStore against a real SKF library: the gcc-built fake key (OpenSSL does the maths), once
 * as an SM2 container (the test PKI's hebca-sm2-ent) and once as an RSA container (bjca-ent, as
 * BJCA and 河北CA RSA keys sit in SKF RSA containers). Signatures are checked by the OpenSSL CLI
 * (and SM2 ones by our own verifier); a login token made with the store passes the verifier.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isAssistantError } from '../../../main/errors.ts';
import { SkfKeyStore } from '../../../main/keystores/skf/store.ts';
import { createLoginToken } from '../../../main/login/token.ts';
import { MemoryChallengeStore, verifyLoginToken } from '../../../main/login/verify.ts';
import { parseCertificate } from '../../../main/pki/certificate.ts';
import type { SignatureAlgorithm } from '../../../main/pki/signature-algorithm.ts';
import { bytesToHex, sm2MessageHash, sm2Verify } from '../../../main/pki/sm2.ts';
import { getTestPki, type PkiEntry } from '../../fixtures/pki.ts';
import { FAKE_SKF_PIN as PIN, makeFakeSkfKey, skipFakeSkf, verifyCalls, type FakeSkfKey } from '../../support/fake-skf.ts';
import { opensslVerifiesRaw } from '../../support/openssl-verify.ts';
import { rejectsWith } from '../../support/assert-error.ts';
import { pkiHourAfter } from '../../support/verifier-fixture.ts';

/** The fake reads its environment at call time; Node's process.env writes through to it. */
function useEnv(env: Record<string, string>, saved: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
}
function restoreEnv(saved: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}
/** A fake key for `entry`, its environment in place, and the store over it. */
function openFake(entry: PkiEntry, saved: Record<string, string | undefined>): { key: FakeSkfKey; store: SkfKeyStore } {
  const key = makeFakeSkfKey(entry, 'ca-skf-');
  useEnv(key.env, saved);
  return { key, store: SkfKeyStore.open(key.lib) };
}
async function closeFake(key: FakeSkfKey, store: SkfKeyStore | undefined, saved: Record<string, string | undefined>): Promise<void> {
  await store?.close();
  restoreEnv(saved);
  fs.rmSync(key.dir, { recursive: true, force: true });
}

const pki = await getTestPki();

const sm2PublicHex = (entry: PkiEntry) => bytesToHex((parseCertificate(fs.readFileSync(entry.certDer)).publicKey as { keyBytes: Uint8Array }).keyBytes);

interface Case {
  entry: string; algorithm: SignatureAlgorithm; other: SignatureAlgorithm; container: string; label: string;
  /** The SKF function that signs (where a pulled-out key shows). */
  signFn: string;
  /** Another key of the same type: a container holding it next to the certificate is a mismatch. */
  foreignKey: string;
  /** Precomputed digests signDigest takes, each with the hash OpenSSL checks the signature over the data with. */
  digests: (entry: PkiEntry, data: Uint8Array) => Array<{ hash: 'sha1' | 'sha256' | 'sm3'; digest: Uint8Array }>;
}

const CASES: Case[] = [
  {
    entry: 'hebca-sm2-ent', algorithm: 'SM2-SM3', other: 'RS256', container: 'SM2-Container-1', label: 'Fake SM2 Key', signFn: 'SKF_ECCSignData', foreignKey: 'hebca-sm2-ca',
    digests: (entry, data) => [{ hash: 'sm3', digest: sm2MessageHash(sm2PublicHex(entry), data) }],
  },
  {
    entry: 'bjca-ent', algorithm: 'RS256', other: 'SM2-SM3', container: 'RSA-Container-1', label: 'Fake RSA Key', signFn: 'SKF_RSASignData', foreignKey: 'hebca-ent',
    digests: (_entry, data) => (['sha1', 'sha256'] as const).map((hash) => ({ hash, digest: new Uint8Array(createHash(hash).update(data).digest()) })),
  },
];

for (const c of CASES) {
  const entry = pki.get(c.entry);

  describe(`SkfKeyStore with the fake SKF key (in process): ${c.algorithm} container ${c.entry}`, { skip: skipFakeSkf }, () => {
    let key: FakeSkfKey;
    let store: SkfKeyStore;
    const saved: Record<string, string | undefined> = {};
    const idOf = async () => (await store.listIdentities())[0]!.id;
    /** OpenSSL's verdict over the data (SM2 with the default ID; RSA PKCS#1 v1.5 with `hash`). */
    const verifies = (data: Uint8Array, sig: Uint8Array, hash: 'sha1' | 'sha256' | 'sm3' = 'sha256') => opensslVerifiesRaw(entry, data, sig, key.dir, hash === 'sm3' ? 'sha256' : hash);

    before(() => ({ key, store } = openFake(entry, saved)));
    after(() => closeFake(key, store, saved));

    test(`lists the container as an ${c.algorithm} identity with the certificate from the key`, async () => {
      const ids = await store.listIdentities();
      assert.equal(ids.length, 1);
      const id = ids[0]!;
      assert.equal(id.algorithm, c.algorithm);
      assert.deepEqual(Buffer.from(id.certificate), fs.readFileSync(entry.certDer));
      assert.equal(id.id, `FakeSKF-0/HEBCA_APP/${c.container}`);
      assert.deepEqual(id.location, {
        kind: 'skf', module: key.lib, device: 'FakeSKF-0', application: 'HEBCA_APP', container: c.container, deviceLabel: c.label, deviceSerial: 'FAKE0000000001',
      });
      assert.deepEqual(await store.pinState(id.id), { retriesLeft: 6, low: false, finalTry: false, locked: false });
    });

    test(`${c.algorithm} signature over data verifies with OpenSSL; other data does not`, async () => {
      const id = await idOf();
      const data = new TextEncoder().encode('河北政务服务网 login challenge ' + Date.now());
      const sig = await store.sign(id, data, c.algorithm, PIN);
      if (c.algorithm === 'SM2-SM3') assert.equal(sig[0], 0x30, 'DER SEQUENCE');
      else assert.equal(sig.length, 256, 'one 2048-bit RSA block');
      assert.ok(verifies(data, sig), 'openssl accepts the signature');
      assert.equal(verifies(Buffer.concat([data, Buffer.from('x')]), sig), false, 'the check can fail');
      if (c.algorithm === 'SM2-SM3') {
        assert.equal(sm2Verify(sm2PublicHex(entry), data, sig), true);
        assert.equal(sm2Verify(sm2PublicHex(entry), new TextEncoder().encode('other'), sig), false);
      }
      // The PIN check was cleared after signing: the counter is full again and no login lingers.
      assert.equal((await store.pinState(id)).retriesLeft, 6);
    });

    test(`signDigest over precomputed digests (${c.digests(entry, new Uint8Array()).map((d) => d.hash).join(', ')}) verifies with OpenSSL over the data`, async () => {
      const id = await idOf();
      const data = new TextEncoder().encode('预先计算摘要的签名 ' + Date.now());
      for (const { hash, digest } of c.digests(entry, data)) {
        const sig = await store.signDigest(id, digest, c.algorithm, PIN);
        assert.ok(verifies(data, sig, hash), `${hash}: openssl accepts the signature`);
        assert.equal(verifies(new TextEncoder().encode('其他数据'), sig, hash), false);
      }
      await rejectsWith(store.signDigest(id, new Uint8Array(21), c.algorithm, PIN), 'DIGEST_LENGTH');
    });

    test(`a login token made with the ${c.algorithm} SKF key is accepted by verifyLoginToken`, async () => {
      const id = await idOf();
      const challenges = new MemoryChallengeStore();
      const now = pkiHourAfter(pki);
      const { challenge } = await challenges.issue(now);
      const origin = 'https://www.hbzwfw.gov.cn';
      const made = await createLoginToken({ origin, challenge, store, identityId: id, pin: PIN, appVersion: '0.0.0-test', now });
      assert.equal(made.algorithm, c.algorithm);
      const [ca, root] = entry.chain as [string, string];
      const roots = [new Uint8Array(fs.readFileSync(pki.get(root).certDer))];
      const intermediates = [new Uint8Array(fs.readFileSync(pki.get(ca).certDer))];
      const r = await verifyLoginToken(made.token, { origin, trustAnchors: roots, intermediates, challengeStore: challenges, challenge, now });
      assert.equal(r.ok, true, r.ok ? '' : `${r.code}: ${r.message}`);
      if (r.ok) {
        assert.equal(r.algorithm, c.algorithm);
        assert.equal(r.uscc, entry.expect.uscc);
      }
    });

    test('the wrong algorithm is refused before a PIN try is spent', async () => {
      const id = await idOf();
      const calls = verifyCalls(key.files);
      assert.ok(calls > 0, 'earlier signs did call SKF_VerifyPIN');
      await assert.rejects(store.sign(id, new Uint8Array(8), c.other, 'wrong-pin'), (e) => isAssistantError(e) && e.code === 'ALGORITHM_MISMATCH');
      assert.equal(verifyCalls(key.files), calls);
      assert.equal((await store.pinState(id)).retriesLeft, 6);
    });

    test('a container whose key is not the certificate\'s is KEY_CERTIFICATE_MISMATCH before a PIN try is spent', async () => {
      const id = await idOf();
      const calls = verifyCalls(key.files);
      process.env['FAKE_SKF_KEY'] = pki.get(c.foreignKey).keyPem;
      try {
        await rejectsWith(store.sign(id, new Uint8Array(8), c.algorithm, PIN), 'KEY_CERTIFICATE_MISMATCH');
      } finally {
        process.env['FAKE_SKF_KEY'] = entry.keyPem;
      }
      assert.equal(verifyCalls(key.files), calls);
    });

    test('a PIN the key rejects by length is PIN_LEN_RANGE and costs no try; an empty PIN never reaches the key', async () => {
      const id = await idOf();
      const calls = verifyCalls(key.files);
      await assert.rejects(store.sign(id, new Uint8Array(4), c.algorithm, '123'), (e) => isAssistantError(e) && e.code === 'PIN_LEN_RANGE');
      assert.equal(verifyCalls(key.files), calls + 1);
      await assert.rejects(store.sign(id, new Uint8Array(4), c.algorithm, ''), (e) => isAssistantError(e) && e.code === 'PIN_LEN_RANGE');
      assert.equal(verifyCalls(key.files), calls + 1);
      assert.equal((await store.pinState(id)).retriesLeft, 6);
    });

    test('wrong PINs: PIN_INCORRECT with the tries left (final try flagged), then PIN_LOCKED, each tried once and a locked key not at all', async () => {
      const id = await idOf();
      fs.writeFileSync(key.files.state, '3\n'); // three tries left of six
      try {
        const start = verifyCalls(key.files);
        const d1 = await rejectsWith(store.sign(id, new Uint8Array(4), c.algorithm, '00000000'), 'PIN_INCORRECT');
        assert.deepEqual(d1['pin'], { retriesLeft: 2, low: true, finalTry: false, locked: false });
        const d2 = await rejectsWith(store.signDigest(id, new Uint8Array(32), c.algorithm, '00000000'), 'PIN_INCORRECT');
        assert.deepEqual(d2['pin'], { retriesLeft: 1, low: true, finalTry: true, locked: false });
        const d3 = await rejectsWith(store.sign(id, new Uint8Array(4), c.algorithm, '00000000'), 'PIN_LOCKED');
        assert.deepEqual(d3['pin'], { retriesLeft: 0, low: true, finalTry: false, locked: true });
        assert.equal(verifyCalls(key.files), start + 3, 'each wrong PIN tried once, never retried');
        await rejectsWith(store.sign(id, new Uint8Array(4), c.algorithm, PIN), 'PIN_LOCKED');
        assert.equal(verifyCalls(key.files), start + 3, 'a locked key is not tried, even with the right PIN');
        assert.deepEqual(await store.pinState(id), { retriesLeft: 0, low: true, finalTry: false, locked: true });
      } finally {
        fs.rmSync(key.files.state, { force: true }); // the CA "unlocks" the key
      }
      assert.ok(verifies(new Uint8Array([1, 2]), await store.sign(id, new Uint8Array([1, 2]), c.algorithm, PIN)));
    });

    test('a container that cannot be opened does not hide the others', async () => {
      process.env['FAKE_SKF_BROKEN'] = '1';
      try {
        const ids = await store.listIdentities();
        assert.deepEqual(ids.map((i) => i.id), [`FakeSKF-0/HEBCA_APP/${c.container}`]);
      } finally {
        delete process.env['FAKE_SKF_BROKEN'];
      }
    });

    test('a key pulled out in the middle of a signature is DEVICE_REMOVED, and the store recovers', async () => {
      const id = await idOf();
      process.env['FAKE_SKF_FAULT'] = 'removed';
      try {
        const d = await rejectsWith(store.sign(id, new Uint8Array(4), c.algorithm, PIN), 'DEVICE_REMOVED');
        assert.equal(d['function'], c.signFn);
      } finally {
        delete process.env['FAKE_SKF_FAULT'];
      }
      assert.ok(verifies(new Uint8Array(4), await store.sign(id, new Uint8Array(4), c.algorithm, PIN)));
    });
  });
}

describe('SkfKeyStore: libraries and ids it refuses', { skip: skipFakeSkf }, () => {
  let key: FakeSkfKey;
  let store: SkfKeyStore;
  const saved: Record<string, string | undefined> = {};
  before(() => ({ key, store } = openFake(pki.get('hebca-sm2-ent'), saved)));
  after(() => closeFake(key, store, saved));

  test('a library that is not an SKF driver (SoftHSM2, a PKCS#11 module) is MODULE_NOT_SKF', { skip: fs.existsSync('/usr/lib/softhsm/libsofthsm2.so') ? false : 'softhsm2 not installed' }, () => {
    assert.throws(() => SkfKeyStore.open('/usr/lib/softhsm/libsofthsm2.so'), (e) => isAssistantError(e) && e.code === 'MODULE_NOT_SKF' && /[\u4e00-\u9fff]/u.test(e.message));
    assert.throws(() => SkfKeyStore.open(path.join(key.dir, 'absent.so')), (e) => isAssistantError(e) && e.code === 'MODULE_NOT_FOUND');
  });

  test('an unknown identity id is IDENTITY_NOT_FOUND or DEVICE_REMOVED, never a crash', async () => {
    await assert.rejects(store.pinState('nonsense'), (e) => isAssistantError(e) && e.code === 'IDENTITY_NOT_FOUND');
    await assert.rejects(store.pinState('OtherKey/HEBCA_APP/x'), (e) => isAssistantError(e) && e.code === 'DEVICE_REMOVED');
    await assert.rejects(store.pinState('FakeSKF-0/NO_APP/x'), (e) => isAssistantError(e) && e.code === 'SKF_APPLICATION_NOT_FOUND' && /[\u4e00-\u9fff]/u.test(e.message));
  });
});
