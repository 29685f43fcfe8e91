/**
 * Envelopes, decryption, SHA-1 and hash signing through `cert-assistant bridge` (issue 9), with
 * OpenSSL as the real peer on the other side: `openssl cms -encrypt/-decrypt` for envelopes,
 * `openssl pkeyutl -encrypt/-decrypt` for raw public-key encryption (RSA PKCS#1 v1.5, SM2 DER),
 * `openssl dgst`/`pkeyutl -verify` for the signatures. PFX (RSA, SM2) and SoftHSM2 (RSA).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SOR } from '../../../main/bridge/bjca.ts';
import { HEBCA_ERR } from '../../../main/bridge/hebca.ts';
import { SGD } from '../../../main/bridge/formats/index.ts';
import { getTestPki, type PkiEntry, type TestPki } from '../../fixtures/pki.ts';
import { BjcaClient, HebcaClient, startCliBridge, type BridgeEvent, type RunningCli } from '../../support/bridge.ts';
import { createSoftHsmToken, softHsmAvailable, SOFTHSM_MODULE } from '../../support/softhsm.ts';
import { buildFakeSkf, fakeSkfEnv, makeEncryptionPair, skipFakeSkf, verifyCalls } from '../../support/fake-skf.ts';
import { bytesToHex, sm2MessageHash } from '../../../main/pki/sm2.ts';
import { parseCertificate } from '../../../main/pki/certificate.ts';

const ORIGIN = 'http://127.0.0.1:8941';
let pki: TestPki;
let dir: string;
let n = 0;

before(async () => {
  pki = await getTestPki();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-envelope-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const file = (data: Uint8Array | string): string => {
  const f = path.join(dir, `f${n++}`);
  fs.writeFileSync(f, data);
  return f;
};
const openssl = (args: string[]): Buffer => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
const b64 = (b: Uint8Array | string): string => Buffer.from(b).toString('base64');
const certB64 = (e: PkiEntry): string => fs.readFileSync(e.certDer).toString('base64');

async function certIdOf(c: BjcaClient, e: PkiEntry): Promise<string> {
  const users = String(await c.call('SOF_GetUserList')).split('&&&').filter(Boolean).map((u) => u.split('||'));
  const id = users.find(([name]) => name === e.expect.enterpriseName)?.[1];
  assert.ok(id, `${e.id} is listed`);
  return id!;
}

async function selectHebca(h: HebcaClient, e: PkiEntry): Promise<void> {
  const sns = String((await h.call('GetCertList'))['certSnList']).split(';');
  const serial = openssl(['x509', '-in', e.certPem, '-noout', '-serial']).toString().trim().toUpperCase();
  const index = sns.findIndex((sn) => serial.endsWith(sn.toUpperCase()));
  assert.ok(index >= 0);
  assert.equal((await h.call('GetSignCert', { index }))['ret'], 0);
}

const lastConsent = (cli: RunningCli): BridgeEvent => cli.events.filter((e) => e.event === 'consent').at(-1)!;
const lastSigned = (cli: RunningCli): BridgeEvent => cli.events.filter((e) => e.event === 'signed').at(-1)!;

describe('envelopes and decryption with PFX files (RSA, SM2)', () => {
  let cli: RunningCli;
  let answer: (e: BridgeEvent) => string = () => 'allow 123456';
  const rsa = () => pki.get('bjca-ent');
  const sm2 = () => pki.get('hebca-sm2-ent');
  /** A page client of the BJCA socket, and the id its certificate list gives `e`. */
  const openFor = async (e: PkiEntry): Promise<{ c: BjcaClient; id: string }> => {
    const c = await BjcaClient.open(cli.bjca, ORIGIN);
    return { c, id: await certIdOf(c, e) };
  };
  before(async () => {
    cli = await startCliBridge(['--pfx', rsa().pfx!.modern!, '--pfx', sm2().pfx!.modern!, '--allow-origin', ORIGIN], { answer: (e) => answer(e) });
  });
  after(async () => {
    await cli.stop();
  });

  test('BJCA SOF_EncryptData: a CMS EnvelopedData that openssl cms -decrypt opens; openssl cms -encrypt output opens with SOF_DecryptData (consent 解密, recorded)', async () => {
    const e = rsa();
    const { c, id } = await openFor(e);
    const text = '投标报价：壹佰万元整（¥1,000,000）';
    const env = String(await c.call('SOF_EncryptData', certB64(e), text));
    assert.ok(env.length > 0, String(await c.call('SOF_GetLastErrMsg')));
    const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', file(Buffer.from(env, 'base64'))]).toString();
    assert.match(printed, /aes-128-cbc/);
    assert.match(printed, /rsaEncryption/);
    assert.equal(openssl(['cms', '-decrypt', '-inform', 'DER', '-in', file(Buffer.from(env, 'base64')), '-inkey', e.keyPem, '-recip', e.certPem]).toString('utf8'), text);
    // Our own envelope back through our own decryption.
    const before = cli.events.filter((x) => x.event === 'consent').length;
    assert.equal(await c.call('SOF_DecryptData', id, env), text);
    assert.equal(cli.events.filter((x) => x.event === 'consent').length, before + 1, 'one consent per decryption');
    const consent = lastConsent(cli);
    assert.equal(consent['operation'], 'decrypt');
    assert.equal((consent['content'] as Record<string, string>)['kind'], 'decrypt');
    assert.equal((consent['content'] as Record<string, string>)['preview'], '解密');
    assert.equal((consent['certificate'] as Record<string, string>)['uscc'], e.expect.uscc);
    const signed = lastSigned(cli);
    assert.equal(signed['operation'], 'decrypt');
    assert.equal(signed['protocol'], 'bjca');
    assert.ok(!JSON.stringify(cli.events).includes(text), 'the plaintext appears in no event');
    // OpenSSL as the sender: AES-256 and 3DES envelopes.
    for (const cipher of ['-aes256', '-des3']) {
      const plain = file(`OpenSSL 发来的信封 ${cipher}`);
      const out = path.join(dir, `o${n++}.der`);
      execFileSync('openssl', ['cms', '-encrypt', '-binary', cipher, '-outform', 'DER', '-in', plain, '-out', out, e.certPem], { stdio: 'pipe' });
      assert.equal(await c.call('SOF_DecryptData', id, fs.readFileSync(out).toString('base64')), `OpenSSL 发来的信封 ${cipher}`, String(await c.call('SOF_GetLastErrMsg')));
    }
    c.close();
  });

  test('BJCA SM2: SOF_EncryptData is a GM/T 0010 envelope our decryption opens; SOF_PubKeyEncrypt is GM/T 0009 DER that openssl pkeyutl decrypts, and the reverse', async () => {
    const e = sm2();
    const { c, id } = await openFor(e);
    const env = String(await c.call('SOF_EncryptData', certB64(e), '国密数字信封'));
    assert.ok(env.length > 0, String(await c.call('SOF_GetLastErrMsg')));
    const parsed = openssl(['asn1parse', '-inform', 'DER', '-in', file(Buffer.from(env, 'base64'))]).toString();
    assert.match(parsed, /1\.2\.156\.10197\.6\.1\.4\.2\.3/, 'GM/T 0010 envelopedData');
    assert.match(parsed, /sm4-cbc|1\.2\.156\.10197\.1\.104\.2/, 'SM4-CBC');
    assert.doesNotMatch(parsed, /l=inf/, 'DER, not indefinite-length BER');
    assert.equal(await c.call('SOF_DecryptData', id, env), '国密数字信封');
    const ct = String(await c.call('SOF_PubKeyEncrypt', certB64(e), 'SM2 公钥加密'));
    assert.equal(openssl(['pkeyutl', '-decrypt', '-inkey', e.keyPem, '-in', file(Buffer.from(ct, 'base64'))]).toString('utf8'), 'SM2 公钥加密');
    const pub = file(openssl(['x509', '-in', e.certPem, '-pubkey', '-noout']));
    const fromOpenssl = openssl(['pkeyutl', '-encrypt', '-pubin', '-inkey', pub, '-in', file('来自 OpenSSL 的 SM2 密文')]);
    assert.equal(await c.call('SOF_PriKeyDecrypt', id, fromOpenssl.toString('base64')), '来自 OpenSSL 的 SM2 密文', String(await c.call('SOF_GetLastErrMsg')));
    assert.equal(lastSigned(cli)['operation'], 'decrypt');
    c.close();
  });

  test('BJCA RSA SOF_PubKeyEncrypt / SOF_PriKeyDecrypt against openssl pkeyutl (PKCS#1 v1.5)', async () => {
    const e = rsa();
    const { c, id } = await openFor(e);
    const ct = String(await c.call('SOF_PubKeyEncrypt', certB64(e), '会话密钥 0123456789'));
    assert.equal(openssl(['pkeyutl', '-decrypt', '-inkey', e.keyPem, '-pkeyopt', 'rsa_padding_mode:pkcs1', '-in', file(Buffer.from(ct, 'base64'))]).toString('utf8'), '会话密钥 0123456789');
    const pub = file(openssl(['x509', '-in', e.certPem, '-pubkey', '-noout']));
    const fromOpenssl = openssl(['pkeyutl', '-encrypt', '-pubin', '-inkey', pub, '-pkeyopt', 'rsa_padding_mode:pkcs1', '-in', file('OpenSSL RSA 密文')]);
    assert.equal(await c.call('SOF_PriKeyDecrypt', id, fromOpenssl.toString('base64')), 'OpenSSL RSA 密文');
    c.close();
  });

  test('SGD_SHA1_RSA pages get SHA-1 PKCS#1 signatures (openssl dgst -sha1 verifies); SOF_SignHashData signs page digests (SHA-1, SHA-256, SM2 e); SOF_VerifySignedHashData accepts them', async () => {
    const e = rsa();
    const { c, id } = await openFor(e);
    const pub = file(openssl(['x509', '-in', e.certPem, '-pubkey', '-noout']));
    assert.equal(await c.call('SOF_SetSignMethod', SGD.SHA1_RSA), 0);
    assert.equal(await c.call('SOF_GetSignMethod'), SGD.SHA1_RSA);
    const random = 'c2hhMS1sb2dpbi1yYW5kb20=';
    const sig = String(await c.call('SOF_SignData', id, random));
    assert.ok(sig.length > 0, String(await c.call('SOF_GetLastErrMsg')));
    openssl(['dgst', '-sha1', '-verify', pub, '-signature', file(Buffer.from(sig, 'base64')), file(random)]);
    assert.equal(lastConsent(cli)['operation'], 'login', 'a SHA-1 login random is still shown as 登录');
    assert.equal(await c.call('SOF_VerifySignedData', certB64(e), random, sig), true);
    assert.equal(await c.call('SOF_SetSignMethod', SGD.SHA256_RSA), 0);
    for (const [md, alg] of [['sha1', SGD.SHA1], ['sha256', SGD.SHA256]] as const) {
      const data = `待签摘要的原文 ${md}`;
      const hash = createHash(md).update(data).digest();
      const hs = String(await c.call('SOF_SignHashData', id, hash.toString('base64'), alg));
      assert.ok(hs.length > 0, String(await c.call('SOF_GetLastErrMsg')));
      openssl(['dgst', `-${md}`, '-verify', pub, '-signature', file(Buffer.from(hs, 'base64')), file(data)]);
      assert.equal(await c.call('SOF_VerifySignedHashData', certB64(e), hash.toString('base64'), hs, alg), true);
      const consent = lastConsent(cli);
      assert.equal(consent['operation'], 'sign');
      assert.match(String((consent['content'] as Record<string, string>)['preview']), new RegExp(hash.toString('hex')));
    }
    // A hash whose length does not fit the algorithm named is refused before any consent.
    const consents = cli.events.filter((x) => x.event === 'consent').length;
    assert.equal(await c.call('SOF_SignHashData', id, Buffer.alloc(20).toString('base64'), SGD.SHA256), '');
    assert.equal(await c.call('SOF_GetLastError'), SOR.ALGO_TYPE);
    assert.equal(cli.events.filter((x) => x.event === 'consent').length, consents);
    // SM2: the page hands e = SM3(Z_A ‖ M); OpenSSL verifies the signature over M with the default ID.
    const s = sm2();
    const sid = await certIdOf(c, s);
    const msg = 'SM2 摘要签名原文';
    const spub = file(openssl(['x509', '-in', s.certPem, '-pubkey', '-noout']));
    const eHash = sm2MessageHash(bytesToHex(parseCertificate(fs.readFileSync(s.certDer)).publicKey.keyBytes), new TextEncoder().encode(msg));
    const ss = String(await c.call('SOF_SignHashData', sid, b64(eHash), SGD.SM3));
    assert.ok(ss.length > 0, String(await c.call('SOF_GetLastErrMsg')));
    openssl(['pkeyutl', '-verify', '-pubin', '-inkey', spub, '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', file(msg), '-sigfile', file(Buffer.from(ss, 'base64'))]);
    assert.equal(await c.call('SOF_VerifySignedHashData', certB64(s), b64(eHash), ss, SGD.SM3), true);
    c.close();
  });

  test('bad input: malformed base64/DER, an envelope for another certificate, a damaged RSA block — SOF error codes, nothing asked', async () => {
    const { c, id } = await openFor(rsa());
    const consents = cli.events.filter((x) => x.event === 'consent').length;
    assert.equal(await c.call('SOF_DecryptData', id, '不是 base64!!'), '');
    assert.equal(await c.call('SOF_GetLastError'), SOR.INDATA);
    assert.equal(await c.call('SOF_DecryptData', id, b64('this is not DER')), '');
    assert.equal(await c.call('SOF_GetLastError'), SOR.INDATA);
    assert.match(String(await c.call('SOF_GetLastErrMsg')), /数字信封格式错误/);
    // An envelope for the SM2 certificate handed to the RSA one.
    const other = String(await c.call('SOF_EncryptData', certB64(sm2()), 'x'));
    assert.equal(await c.call('SOF_DecryptData', id, other), '');
    assert.equal(await c.call('SOF_GetLastError'), SOR.DECRYPT);
    assert.match(String(await c.call('SOF_GetLastErrMsg')), /不是发给此证书/);
    assert.equal(await c.call('SOF_EncryptData', b64('no certificate'), 'x'), '');
    assert.equal(await c.call('SOF_GetLastError'), SOR.INDATA);
    assert.equal(cli.events.filter((x) => x.event === 'consent').length, consents, 'no consent for input that cannot be decrypted');
    // A well-formed block the key does not open: consent asked (it is a real decryption), then a clear error.
    const junk = Buffer.alloc(256, 7).toString('base64');
    assert.equal(await c.call('SOF_PriKeyDecrypt', id, junk), '');
    assert.equal(await c.call('SOF_GetLastError'), SOR.DECRYPT);
    assert.match(String(await c.call('SOF_GetLastErrMsg')), /解密失败/);
    c.close();
  });

  test('Deny on a decryption consent reaches the page as SOF_GetLastError USER_DENIED; HEBCA gets ret ≠ 0', async () => {
    const { c, id } = await openFor(rsa());
    const env = String(await c.call('SOF_EncryptData', certB64(rsa()), 'secret'));
    answer = () => 'deny';
    try {
      assert.equal(await c.call('SOF_DecryptData', id, env), '');
      assert.equal(await c.call('SOF_GetLastError'), SOR.USER_DENIED);
      assert.match(String(await c.call('SOF_GetLastErrMsg')), /拒绝/);
      const h = await HebcaClient.open(cli.hebca, ORIGIN);
      const r = await h.call('UnEnvelopB64', { b64data: env });
      assert.equal(r['ret'], HEBCA_ERR.USER_DENIED);
      assert.match(String(r['msg']), /拒绝/);
      h.close();
    } finally {
      answer = () => 'allow 123456';
    }
    c.close();
  });

  test('HEBCA EnvelopB64 (openssl cms -decrypt opens it), UnEnvelopB64 of an openssl cms -encrypt envelope, EncryptB64/DecryptB64, Digest', async () => {
    const h = await HebcaClient.open(cli.hebca, ORIGIN);
    const e = rsa();
    const data = Buffer.from('河北CA 数字信封 ✓', 'utf8');
    const r = await h.call('EnvelopB64', { b64data: data.toString('base64'), certs: [{ cert: certB64(e) }] });
    assert.equal(r['ret'], 0, String(r['msg']));
    assert.ok(openssl(['cms', '-decrypt', '-inform', 'DER', '-in', file(Buffer.from(String(r['b64data']), 'base64')), '-inkey', e.keyPem, '-recip', e.certPem]).equals(data));
    // UnEnvelopB64 with nothing selected finds the certificate the envelope is addressed to.
    const out = path.join(dir, `h${n++}.der`);
    execFileSync('openssl', ['cms', '-encrypt', '-binary', '-aes128', '-outform', 'DER', '-in', file(data), '-out', out, e.certPem], { stdio: 'pipe' });
    const u = await h.call('UnEnvelopB64', { b64data: fs.readFileSync(out).toString('base64') });
    assert.equal(u['ret'], 0, String(u['msg']));
    assert.ok(Buffer.from(String(u['b64data']), 'base64').equals(data));
    assert.equal(lastSigned(cli)['protocol'], 'hebca');
    assert.equal(lastSigned(cli)['operation'], 'decrypt');
    // EncryptB64/DecryptB64 use the selected certificate's key pair (非对称加密/解密).
    for (const entry of [rsa(), sm2()]) {
      await selectHebca(h, entry);
      const enc = await h.call('EncryptB64', { b64data: data.toString('base64') });
      assert.equal(enc['ret'], 0, String(enc['msg']));
      const ctFile = file(Buffer.from(String(enc['b64encrypted']), 'base64'));
      assert.ok(openssl(['pkeyutl', '-decrypt', '-inkey', entry.keyPem, '-in', ctFile]).equals(data), `OpenSSL decrypts ${entry.id}`);
      const dec = await h.call('DecryptB64', { b64data: enc['b64encrypted'] });
      assert.equal(dec['ret'], 0, String(dec['msg']));
      assert.ok(Buffer.from(String(dec['b64decrypted']), 'base64').equals(data));
    }
    // Digest: the algorithm asked, else the library's rule (SM3 for SM2, SHA-1 for RSA) — checked by openssl dgst.
    const dataFile = file(data);
    for (const [alg, md] of [['sha1', 'sha1'], ['sha256', 'sha256'], ['sm3', 'sm3']] as const) {
      const d = await h.call('Digest', { b64data: data.toString('base64'), digestalg: alg });
      assert.equal(d['ret'], 0);
      assert.equal(d['digestalg'], alg);
      assert.equal(Buffer.from(String(d['digest']), 'base64').toString('hex'), openssl(['dgst', `-${md}`, '-r', dataFile]).toString().split(' ')[0]);
    }
    const sm2Serial = openssl(['x509', '-in', sm2().certPem, '-noout', '-serial']).toString().trim().split('=')[1]!;
    const dflt = await h.call('Digest', { certSN: sm2Serial, b64data: data.toString('base64'), digestalg: 'undefined' });
    assert.equal(dflt['digestalg'], 'sm3');
    assert.notEqual((await h.call('Digest', { b64data: data.toString('base64'), digestalg: 'md5' }))['ret'], 0);
    // Bad input keeps the protocol's shape: ret ≠ 0 and a zh-CN msg.
    for (const [func, params] of [
      ['EnvelopB64', { b64data: 'eA==', certs: [] }],
      ['EnvelopB64', { b64data: '%%%', certs: [{ cert: certB64(e) }] }],
      ['EnvelopB64', { b64data: 'eA==', certs: [{ cert: b64('not a certificate') }] }],
      ['UnEnvelopB64', { b64data: b64('not DER') }],
      ['DecryptB64', { b64data: '***' }],
    ] as const) {
      const bad = await h.call(func, params);
      assert.notEqual(bad['ret'], 0, func);
      assert.match(String(bad['msg']), /[\u4e00-\u9fff]/, func);
    }
    h.close();
  });
});

describe('decryption on a USB key (SoftHSM2, PKCS#11)', () => {
  test('CKM_RSA_PKCS decryption inside the token: envelope from openssl cms -encrypt, SOF_PriKeyDecrypt, SHA-1 and hash signing', { skip: softHsmAvailable() ? false : 'SoftHSM2/OpenSC not installed' }, async () => {
    const e = pki.get('bjca-ent');
    const token = createSoftHsmToken('bridge-decrypt', [{ id: '01', label: 'bjca-ent', certDer: e.certDer, keyPem: e.keyPem }]);
    const cli = await startCliBridge(['--module', SOFTHSM_MODULE, '--allow-origin', ORIGIN, '--protocol', 'bjca'], { answer: () => 'allow 123456', env: token.env });
    try {
      const c = await BjcaClient.open(cli.bjca, ORIGIN);
      const id = String(await c.call('SOF_GetUserList')).split('&&&')[0]!.split('||')[1]!;
      const out = path.join(dir, `t${n++}.der`);
      execFileSync('openssl', ['cms', '-encrypt', '-binary', '-aes256', '-outform', 'DER', '-in', file('USB Key 中的私钥解开的信封'), '-out', out, e.certPem], { stdio: 'pipe' });
      assert.equal(await c.call('SOF_DecryptData', id, fs.readFileSync(out).toString('base64')), 'USB Key 中的私钥解开的信封', String(await c.call('SOF_GetLastErrMsg')));
      assert.equal(lastSigned(cli)['operation'], 'decrypt');
      const pub = file(openssl(['x509', '-in', e.certPem, '-pubkey', '-noout']));
      const ct = openssl(['pkeyutl', '-encrypt', '-pubin', '-inkey', pub, '-pkeyopt', 'rsa_padding_mode:pkcs1', '-in', file('token-secret')]);
      assert.equal(await c.call('SOF_PriKeyDecrypt', id, ct.toString('base64')), 'token-secret');
      assert.equal(await c.call('SOF_SetSignMethod', SGD.SHA1_RSA), 0);
      const random = 'dG9rZW4tc2hhMS1yYW5kb20=';
      const sig = String(await c.call('SOF_SignData', id, random));
      openssl(['dgst', '-sha1', '-verify', pub, '-signature', file(Buffer.from(sig, 'base64')), file(random)]);
      const hash = createHash('sha256').update('token hash').digest();
      const hs = String(await c.call('SOF_SignHashData', id, hash.toString('base64'), SGD.SHA256));
      openssl(['dgst', '-sha256', '-verify', pub, '-signature', file(Buffer.from(hs, 'base64')), file('token hash')]);
      // Junk of the right length: the token says the data is invalid; the page gets SOR's decrypt code.
      assert.equal(await c.call('SOF_PriKeyDecrypt', id, Buffer.alloc(256, 9).toString('base64')), '');
      assert.equal(await c.call('SOF_GetLastError'), SOR.DECRYPT, String(await c.call('SOF_GetLastErrMsg')));
      c.close();
    } finally {
      await cli.stop();
      token.cleanup();
    }
  });
});

describe('the fake SKF SM2 key (GM/T 0016)', () => {
  test('SOF_SignHashData signs e on the device (OpenSSL verifies); decryption is refused as not supported; a removed key gets CERT_NOT_FOUND', { skip: skipFakeSkf }, async () => {
    const e = pki.get('hebca-sm2-ent');
    const skfDir = fs.mkdtempSync(path.join(dir, 'skf-'));
    const lib = buildFakeSkf(skfDir);
    const made = fakeSkfEnv(e, skfDir);
    const cli = await startCliBridge(['--skf', lib, '--allow-origin', ORIGIN, '--protocol', 'bjca'], { answer: () => 'allow 12345678', env: { ...process.env, ...made.env } });
    try {
      const c = await BjcaClient.open(cli.bjca, ORIGIN);
      const id = String(await c.call('SOF_GetUserList')).split('&&&')[0]!.split('||')[1]!;
      const msg = 'SKF 摘要签名';
      const eHash = sm2MessageHash(bytesToHex(parseCertificate(fs.readFileSync(e.certDer)).publicKey.keyBytes), new TextEncoder().encode(msg));
      const sig = String(await c.call('SOF_SignHashData', id, b64(eHash), SGD.SM3));
      assert.ok(sig.length > 0, String(await c.call('SOF_GetLastErrMsg')));
      const pub = file(openssl(['x509', '-in', e.certPem, '-pubkey', '-noout']));
      openssl(['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', file(msg), '-sigfile', file(Buffer.from(sig, 'base64'))]);
      const consents = cli.events.filter((x) => x.event === 'consent').length;
      const ct = String(await c.call('SOF_PubKeyEncrypt', certB64(e), 'x'));
      assert.equal(await c.call('SOF_PriKeyDecrypt', id, ct), '');
      assert.equal(await c.call('SOF_GetLastError'), SOR.NOT_SUPPORTED);
      assert.match(String(await c.call('SOF_GetLastErrMsg')), /不支持解密/);
      assert.equal(cli.events.filter((x) => x.event === 'consent').length, consents, 'no consent for what the key cannot do');
      fs.writeFileSync(made.files.removed, '');
      await cli.waitFor('keys-changed', 0, 20_000);
      assert.equal(await c.call('SOF_DecryptData', id, String(await c.call('SOF_EncryptData', certB64(e), 'y'))), '');
      assert.equal(await c.call('SOF_GetLastError'), SOR.CERT_NOT_FOUND);
      assert.match(String(await c.call('SOF_GetLastErrMsg')), /拔出/);
      c.close();
    } finally {
      await cli.stop();
    }
  });
  test('with an encryption pair in the container: SOF_ExportExChangeUserCert hands it out, SOF_DecryptData and HEBCA UnEnvelopB64 open envelopes for it on the key (consent 解密 naming it, recorded); SOF_PriKeyDecrypt stays refused; Deny and a wrong PIN reach the page', { skip: skipFakeSkf }, async () => {
    const e = pki.get('hebca-sm2-ent');
    const skfDir = fs.mkdtempSync(path.join(dir, 'skf-enc-'));
    const lib = buildFakeSkf(skfDir);
    const pair = makeEncryptionPair(e, pki.get(e.chain[0]!), skfDir);
    const made = fakeSkfEnv(e, skfDir, pair.env);
    let answer = 'allow 12345678';
    const cli = await startCliBridge(['--skf', lib, '--allow-origin', ORIGIN], { answer: () => answer, env: { ...process.env, ...made.env } });
    try {
      const c = await BjcaClient.open(cli.bjca, ORIGIN);
      const id = String(await c.call('SOF_GetUserList')).split('&&&')[0]!.split('||')[1]!;
      const exchange = String(await c.call('SOF_ExportExChangeUserCert', id));
      assert.equal(exchange, fs.readFileSync(pair.certDer).toString('base64'), 'the encryption certificate, not the signing one');
      assert.equal(String(await c.call('SOF_ExportUserCert', id)), certB64(e));
      const text = '招标文件：国密数字信封，由 USB Key 解开';
      const env = String(await c.call('SOF_EncryptData', exchange, text));
      const verifies = verifyCalls(made.files);
      assert.equal(await c.call('SOF_DecryptData', id, env), text, String(await c.call('SOF_GetLastErrMsg')));
      assert.equal(verifyCalls(made.files), verifies + 1);
      const consent = lastConsent(cli);
      assert.equal(consent['operation'], 'decrypt');
      assert.equal((consent['content'] as Record<string, string>)['preview'], '解密');
      const encFingerprint = createHash('sha256').update(fs.readFileSync(pair.certDer)).digest('hex');
      assert.equal((consent['certificate'] as Record<string, string>)['fingerprintSha256']!.replace(/:/g, '').toLowerCase(), encFingerprint, 'the consent names the certificate whose key decrypts');
      assert.equal((consent['certificate'] as Record<string, string>)['uscc'], e.expect.uscc);
      assert.equal(lastSigned(cli)['operation'], 'decrypt');
      assert.ok(!JSON.stringify(cli.events).includes(text), 'the plaintext appears in no event');
      // An envelope for the signing certificate is not for this key's encryption pair.
      assert.equal(await c.call('SOF_DecryptData', id, String(await c.call('SOF_EncryptData', certB64(e), 'x'))), '');
      assert.equal(await c.call('SOF_GetLastError'), SOR.DECRYPT);
      // Raw private-key decryption has no standard SKF call: refused before any consent.
      const consents = cli.events.filter((x) => x.event === 'consent').length;
      assert.equal(await c.call('SOF_PriKeyDecrypt', id, String(await c.call('SOF_PubKeyEncrypt', exchange, 'x'))), '');
      assert.equal(await c.call('SOF_GetLastError'), SOR.NOT_SUPPORTED);
      assert.equal(cli.events.filter((x) => x.event === 'consent').length, consents);
      answer = 'deny';
      assert.equal(await c.call('SOF_DecryptData', id, env), '');
      assert.equal(await c.call('SOF_GetLastError'), SOR.USER_DENIED);
      answer = 'allow 00000000';
      assert.equal(await c.call('SOF_DecryptData', id, env), '');
      assert.equal(await c.call('SOF_GetLastError'), SOR.PIN_INCORRECT);
      assert.equal(verifyCalls(made.files), verifies + 2, 'the wrong PIN was tried once, never retried');
      c.close();
      answer = 'allow 12345678';
      const h = await HebcaClient.open(cli.hebca, ORIGIN);
      // SelectCryptCert then GetCertB64: the encryption certificate (the page sends it to its server to seal the envelope).
      assert.equal((await h.call('SelectCryptCert'))['ret'], 0);
      const crypt = String((await h.call('GetCertB64'))['cert']);
      assert.equal(crypt, exchange);
      assert.equal((await h.call('SelectSignCert'))['ret'], 0);
      assert.equal(String((await h.call('GetCertB64'))['cert']), certB64(e), 'SelectSignCert: the signing certificate again');
      const data = Buffer.from('河北CA 信封 → USB Key');
      const sealed = await h.call('EnvelopB64', { b64data: data.toString('base64'), certs: [{ cert: crypt }] });
      assert.equal(sealed['ret'], 0, String(sealed['msg']));
      const u = await h.call('UnEnvelopB64', { b64data: sealed['b64data'] });
      assert.equal(u['ret'], 0, String(u['msg']));
      assert.ok(Buffer.from(String(u['b64data']), 'base64').equals(data));
      assert.equal(lastSigned(cli)['protocol'], 'hebca');
      h.close();
    } finally {
      await cli.stop();
    }
  });
});
