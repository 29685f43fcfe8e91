/**
 * Private-key decryption and digest signing through the one consent-and-record path (issue 9):
 * a consent 解密 for every decryption, recorded as a decryption; nothing asked for what a key or
 * store cannot do; PKCS#1 v1.5 padding checked byte by byte; SM2 ciphertext forms; envelope
 * errors with their own codes. Keys are the test PKI's PFX files (real Pkcs12KeyStore).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { buildEnvelope, envelopeFor, openEnvelopeContent, publicKeyEncrypt } from '../../../main/bridge/formats/envelope.ts';
import { Pkcs12KeyStore } from '../../../main/keystores/pkcs12/store.ts';
import type { KeyStore } from '../../../main/keystores/types.ts';
import { createSigningPath, type ConsentAnswer, type ConsentView, type SignatureRecord, type SigningKey } from '../../../main/login/signing-path.ts';
import { pkcs1v15Unpad } from '../../../main/pki/rsa-pkcs1.ts';
import { sm2CiphertextToC1C3C2 } from '../../../main/pki/sm2.ts';
import { getTestPki, type PkiEntry, type TestPki } from '../../fixtures/pki.ts';

let pki: TestPki;
before(async () => {
  pki = await getTestPki();
});

async function keyOf(entry: PkiEntry): Promise<SigningKey & { store: Pkcs12KeyStore }> {
  const store = await Pkcs12KeyStore.open(entry.pfx!.modern!, { password: entry.pfx!.password });
  const [id] = await store.listIdentities();
  return { certificate: id!.certificate, intermediates: [], algorithm: id!.algorithm, store, identityId: id!.id };
}

function world(answer: (v: ConsentView) => ConsentAnswer) {
  const asked: ConsentView[] = [];
  const records: SignatureRecord[] = [];
  let n = 0;
  const path = createSigningPath({
    ask: async (v) => {
      asked.push(v);
      return answer(v);
    },
    record: (r) => records.push(r), now: () => new Date('2026-12-02T04:00:00Z'), randomId: () => `c${++n}`,
  });
  return { path, asked, records };
}

const ORIGIN = 'https://www.hbzwfw.gov.cn';

describe('decryption through the signing path', () => {
  for (const id of ['bjca-ent', 'hebca-sm2-ent']) {
    test(`${id}: one consent 解密, then the key decrypts; recorded as a decryption with the ciphertext's SHA-256`, async () => {
      const entry = pki.get(id);
      const key = await keyOf(entry);
      const { path, asked, records } = world(() => ({ allow: true, secret: entry.pfx!.password }));
      const ct = publicKeyEncrypt(key.certificate, new TextEncoder().encode('会话密钥'));
      const plain = await path.decrypt({ origin: ORIGIN, protocol: 'bjca', key, ciphertext: ct });
      assert.equal(new TextDecoder().decode(plain), '会话密钥');
      assert.equal(asked.length, 1);
      assert.equal(asked[0]!.operation, 'decrypt');
      assert.deepEqual({ kind: asked[0]!.content.kind, preview: asked[0]!.content.preview }, { kind: 'decrypt', preview: '解密' });
      assert.equal(asked[0]!.certificate.uscc, entry.expect.uscc);
      assert.equal(records.length, 1);
      assert.equal(records[0]!.operation, 'decrypt');
      assert.equal(records[0]!.contentSha256, createHash('sha256').update(ct).digest('hex'));
      assert.deepEqual(Object.keys(records[0]!).sort(), ['at', 'contentSha256', 'enterprise', 'event', 'fingerprintSha256', 'operation', 'origin', 'protocol', 'uscc'], 'no PIN, no content in the record');
    });
  }

  test('Deny: USER_DENIED, the key is never used, nothing recorded', async () => {
    const key = await keyOf(pki.get('bjca-ent'));
    let used = 0;
    const store: KeyStore = { ...key.store, kind: 'pkcs12', listIdentities: () => key.store.listIdentities(), pinState: (i) => key.store.pinState(i), sign: () => Promise.reject(new Error('no')), close: async () => {}, decrypt: async () => { used++; return new Uint8Array(); } };
    const { path, records } = world(() => ({ allow: false }));
    await assert.rejects(path.decrypt({ origin: ORIGIN, protocol: 'hebca', key: { ...key, store }, ciphertext: new Uint8Array(256) }), (e: { code?: string; message?: string }) => e.code === 'USER_DENIED' && /解密/.test(e.message ?? ''));
    assert.equal(used, 0);
    assert.equal(records.length, 0);
  });

  test('a store that cannot decrypt (or sign digests) is refused before anyone is asked', async () => {
    const key = await keyOf(pki.get('bjca-ent'));
    const store: KeyStore = { kind: 'skf', listIdentities: () => key.store.listIdentities(), pinState: (i) => key.store.pinState(i), sign: (...a) => key.store.sign(...a), close: async () => {} };
    const { path, asked } = world(() => ({ allow: true, secret: '123456' }));
    await assert.rejects(path.decrypt({ origin: ORIGIN, protocol: 'bjca', key: { ...key, store }, ciphertext: new Uint8Array(256) }), { code: 'OPERATION_NOT_SUPPORTED' });
    await assert.rejects(path.sign({ origin: ORIGIN, protocol: 'bjca', key: { ...key, store }, data: new Uint8Array(32), output: 'raw', digest: 'prehashed' }), { code: 'OPERATION_NOT_SUPPORTED' });
    const sm2 = await keyOf(pki.get('hebca-sm2-ent'));
    await assert.rejects(path.sign({ origin: ORIGIN, protocol: 'bjca', key: sm2, data: new TextEncoder().encode('abcdefgh12345678'), output: 'raw', digest: 'sha1' }), { code: 'SIGN_METHOD_MISMATCH' });
    assert.equal(asked.length, 0);
  });

  test('an envelope: a store that decrypts gives the session key and the path opens the content; a device store (decryptEnvelope) opens it itself, and content it cannot decrypt is refused before anyone is asked', async () => {
    const entry = pki.get('hebca-sm2-ent');
    const key = await keyOf(entry);
    const text = new TextEncoder().encode('投标报价（国密信封）');
    const env = envelopeFor(buildEnvelope(text, [key.certificate]), key.certificate);
    const soft = world(() => ({ allow: true, secret: entry.pfx!.password }));
    const opened = await soft.path.decrypt({ origin: ORIGIN, protocol: 'bjca', key, ciphertext: env.encryptedKey, content: env.content });
    assert.deepEqual(Buffer.from(opened), Buffer.from(text));
    assert.equal(soft.records.at(-1)!.contentSha256, createHash('sha256').update(env.encryptedKey).digest('hex'), 'recorded like any decryption');
    const handed: Array<[Uint8Array, string, string]> = [];
    const device: KeyStore = {
      kind: 'skf', listIdentities: () => key.store.listIdentities(), pinState: (i) => key.store.pinState(i), sign: (...a) => key.store.sign(...a), close: async () => {},
      envelopeCiphers: [env.content.cipher],
      decryptEnvelope: async (_id, wrapped, content, _alg, pin) => {
        handed.push([wrapped, content.cipher, pin]);
        return new TextEncoder().encode('device');
      },
    };
    const hw = world(() => ({ allow: true, secret: '12345678' }));
    const out = await hw.path.decrypt({ origin: ORIGIN, protocol: 'hebca', key: { ...key, store: device }, ciphertext: env.encryptedKey, content: env.content });
    assert.equal(new TextDecoder().decode(out), 'device');
    assert.deepEqual(handed, [[env.encryptedKey, env.content.cipher, '12345678']], 'the wrapped key, the content and the consent PIN go to the device');
    assert.equal(hw.asked.length, 1);
    assert.equal(hw.asked[0]!.operation, 'decrypt');
    assert.equal(hw.records.length, 1);
    await assert.rejects(hw.path.decrypt({ origin: ORIGIN, protocol: 'hebca', key: { ...key, store: device }, ciphertext: env.encryptedKey, content: { ...env.content, cipher: '2.16.840.1.101.3.4.1.2' } }), { code: 'OPERATION_NOT_SUPPORTED' });
    await assert.rejects(hw.path.decrypt({ origin: ORIGIN, protocol: 'hebca', key: { ...key, store: device }, ciphertext: env.encryptedKey }), { code: 'OPERATION_NOT_SUPPORTED' }, 'no raw decryption on a device store');
    assert.equal(hw.asked.length, 1, 'nothing asked for what the key cannot do');
  });

  test('SHA-1 and prehashed signatures: PKCS#1 v1.5 that node verifies; the consent shows the page digest in hex', async () => {
    const entry = pki.get('bjca-ent');
    const key = await keyOf(entry);
    const pub = createPublicKey(readFileSync(entry.certPem));
    const { path, asked } = world(() => ({ allow: true, secret: entry.pfx!.password }));
    const random = new TextEncoder().encode('bG9naW4tcmFuZG9tLXNoYTE=');
    const s1 = await path.sign({ origin: ORIGIN, protocol: 'bjca', key, data: random, output: 'raw', digest: 'sha1' });
    assert.ok(verify('sha1', random, pub, s1));
    assert.equal(asked.at(-1)!.operation, 'login');
    const h = createHash('sha256').update('原文').digest();
    const s2 = await path.sign({ origin: ORIGIN, protocol: 'bjca', key, data: h, output: 'raw', digest: 'prehashed' });
    assert.ok(verify('sha256', Buffer.from('原文'), pub, s2));
    assert.equal(asked.at(-1)!.operation, 'sign');
    assert.match(asked.at(-1)!.content.preview, new RegExp(`摘要.*${h.toString('hex')}`));
    await assert.rejects(path.sign({ origin: ORIGIN, protocol: 'bjca', key, data: new Uint8Array(31), output: 'raw', digest: 'prehashed' }), { code: 'DIGEST_LENGTH' });
  });
});

describe('formats', () => {
  test('PKCS#1 v1.5 unpadding: the standard block opens; a wrong type, a short PS or no separator fails alike', () => {
    const block = (head: number[], ps: number, sep = true) => new Uint8Array([...head, ...new Array(ps).fill(0x11), ...(sep ? [0] : []), 0x41, 0x42]);
    assert.deepEqual([...pkcs1v15Unpad(block([0, 2], 8))], [0x41, 0x42]);
    for (const b of [block([0, 1], 8), block([1, 2], 8), block([0, 2], 7), block([0, 2], 20, false), new Uint8Array(5)]) {
      assert.throws(() => pkcs1v15Unpad(b), { code: 'DECRYPT_FAILED' });
    }
  });

  test('SM2 ciphertexts: DER (GM/T 0009) turns into C1‖C3‖C2 with the 04 prefix; anything else is not SM2', () => {
    const cert = new Uint8Array(readFileSync(pki.get('hebca-sm2-ent').certDer));
    const der = publicKeyEncrypt(cert, new TextEncoder().encode('abc'), 'der');
    const raw = publicKeyEncrypt(cert, new TextEncoder().encode('abc'), 'c1c3c2');
    assert.equal(raw[0], 4);
    assert.equal(raw.length, 65 + 32 + 3);
    const converted = sm2CiphertextToC1C3C2(der)!;
    assert.equal(converted[0], 4);
    assert.equal(converted.length, 65 + 32 + 3);
    assert.equal(sm2CiphertextToC1C3C2(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])), null);
    assert.equal(sm2CiphertextToC1C3C2(new Uint8Array([1, 2, 3])), null);
  });

  test('envelopes: mixed RSA/SM2 recipients, none, a bad certificate, malformed DER and another recipient get their own codes', () => {
    const rsa = new Uint8Array(readFileSync(pki.get('bjca-ent').certDer));
    const sm2 = new Uint8Array(readFileSync(pki.get('hebca-sm2-ent').certDer));
    const other = new Uint8Array(readFileSync(pki.get('hebca-ent').certDer));
    const data = new TextEncoder().encode('x');
    assert.throws(() => buildEnvelope(data, [rsa, sm2]), { code: 'ENVELOPE_MIXED_RECIPIENTS' });
    assert.throws(() => buildEnvelope(data, []), { code: 'ENVELOPE_NO_RECIPIENT' });
    assert.throws(() => buildEnvelope(data, [new Uint8Array([0x30, 0])]), { code: 'CERT_MALFORMED' });
    assert.throws(() => envelopeFor(new Uint8Array([0x30, 0x80, 0x02]), rsa), { code: 'ENVELOPE_MALFORMED' });
    assert.throws(() => envelopeFor(new TextEncoder().encode('plain text'), rsa), { code: 'ENVELOPE_MALFORMED' });
    const env = buildEnvelope(data, [rsa, other]);
    assert.equal(envelopeFor(env, other).keyKind, 'RSA', 'either recipient finds its own info');
    assert.throws(() => envelopeFor(env, sm2), { code: 'ENVELOPE_NOT_FOR_RECIPIENT' });
    const opened = envelopeFor(env, rsa);
    assert.throws(() => openEnvelopeContent(opened.content, new Uint8Array(8)), { code: 'DECRYPT_FAILED' }, 'a session key of the wrong size');
  });
});
