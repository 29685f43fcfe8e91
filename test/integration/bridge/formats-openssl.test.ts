/**
 * The CA-assistant data formats (main/bridge/formats) against OpenSSL as the independent peer:
 * what we sign, OpenSSL verifies; what OpenSSL signs, we verify; certificate items match what
 * `openssl x509` prints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { getTestPki } from '../../fixtures/pki.ts';
import { pemMessageSigner } from '../../support/message-signer.ts';
import {
  SOF_CERT_INFO, sofGetCertEntity, sofGetCertInfo, sofGetCertInfoByOid, sofTime, formatSofUserList, sofCertId,
} from '../../../main/bridge/formats/cert-info.ts';
import { reissue } from '../../support/reissue.ts';
import {
  SGD, sofSignData, sofVerifySignedData, sofVerifySignedHashData, sofHashData, sofGenRandom, sm2SignedHash, signMethodHash,
} from '../../../main/bridge/formats/signing.ts';
import {
  readSignedMessage, sofSignMessage, sofVerifySignedMessage, sofGetInfoFromSignedMessage, SOF_MESSAGE_ATTACHED, SOF_MESSAGE_DETACHED,
} from '../../../main/bridge/formats/pkcs7.ts';
import { parseCertificate } from '../../../main/pki/certificate.ts';
import { scratchDir } from '../../support/scratch.ts';

const pki = await getTestPki();
const dir = scratchDir('ca-formats-');
const RANDOM = 'MTIzNDU2Nzg5MGFiY2RlZg==';

function write(name: string, data: Uint8Array | string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, data);
  return p;
}
const certB64 = (id: string): string => fs.readFileSync(pki.get(id).certDer).toString('base64');
function pubKeyOf(id: string): string {
  const out = path.join(dir, `${id}.pub.pem`);
  execFileSync('openssl', ['x509', '-in', pki.get(id).certPem, '-pubkey', '-noout', '-out', out]);
  return out;
}
const ossl = (args: string[], input?: Uint8Array | string) => spawnSync('openssl', args, { input, encoding: 'buffer' });
const rootOf = (id: string): string => pki.get(pki.get(id).chain[pki.get(id).chain.length - 1]!).certPem;

test('SOF_GetCertInfo items match openssl x509 (serial, CN, issuer CN, dates in UTC+8, public key, version)', () => {
  for (const id of ['hebca-ent', 'hebca-sm2-ent']) {
    const e = pki.get(id);
    const b64 = certB64(id);
    const serial = execFileSync('openssl', ['x509', '-in', e.certPem, '-noout', '-serial'], { encoding: 'utf8' }).trim().replace(/^serial=/, '');
    assert.equal(sofGetCertInfo(b64, SOF_CERT_INFO.serialNumber), serial.toUpperCase());
    const subj = execFileSync('openssl', ['x509', '-in', e.certPem, '-noout', '-subject', '-nameopt', 'sep_multiline,utf8,sname'], { encoding: 'utf8' });
    const cn = /^\s+CN=(.*)$/m.exec(subj)![1]!;
    assert.equal(sofGetCertInfo(b64, 17), cn);
    assert.equal(sofGetCertInfo(b64, SOF_CERT_INFO.sgdSubjectCN), cn);
    const iss = execFileSync('openssl', ['x509', '-in', e.certPem, '-noout', '-issuer', '-nameopt', 'sep_multiline,utf8,sname'], { encoding: 'utf8' });
    assert.equal(sofGetCertInfo(b64, SOF_CERT_INFO.issuerCN), /^\s+CN=(.*)$/m.exec(iss)![1]);
    const end = execFileSync('openssl', ['x509', '-in', e.certPem, '-noout', '-enddate'], { encoding: 'utf8' }).trim().replace(/^notAfter=/, '');
    const start = execFileSync('openssl', ['x509', '-in', e.certPem, '-noout', '-startdate'], { encoding: 'utf8' }).trim().replace(/^notBefore=/, '');
    // Beijing time computed independently of sofTime.
    const bj = (s: string): string => new Date(Date.parse(s) + 8 * 3600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
    assert.equal(sofGetCertInfo(b64, 11), bj(start));
    assert.equal(sofGetCertInfo(b64, 12), bj(end));
    assert.match(sofGetCertInfo(b64, 12), /^\d{14}$/);
    assert.equal(sofGetCertInfo(b64, SOF_CERT_INFO.sgdNotAfter), bj(end));
    const spki = execFileSync('openssl', ['x509', '-in', e.certPem, '-noout', '-pubkey'], { encoding: 'utf8' }).replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    assert.equal(sofGetCertInfo(b64, SOF_CERT_INFO.publicKey), spki);
    assert.equal(sofGetCertInfo(b64, SOF_CERT_INFO.version), 'V3');
    assert.equal(sofGetCertInfo(b64, SOF_CERT_INFO.signatureAlgorithm), id.includes('sm2') ? 'SM3withSM2' : 'SHA256withRSA');
    assert.ok(sofGetCertInfo(b64, SOF_CERT_INFO.subjectDn).includes(`CN=${cn}`));
    assert.match(sofGetCertInfo(b64, SOF_CERT_INFO.daysLeft), /^\d+$/);
  }
  assert.equal(sofTime(new Date('2026-12-31T16:30:05Z')), '20270101003005');
});

test('SOF_GetCertInfo refuses unknown types and bad certificates with their codes', () => {
  assert.throws(() => sofGetCertInfo(certB64('hebca-ent'), 999), { code: 'SOF_CERT_INFO_TYPE' });
  assert.throws(() => sofGetCertInfo('not base64!', 2), { code: 'SOF_CERT_INVALID' });
  assert.throws(() => sofGetCertInfo(Buffer.from('hello').toString('base64'), 2), { code: 'SOF_CERT_INVALID' });
});

test('SOF_GetCertInfoByOid: a subject attribute as text, a non-string extension as base64 DER, absent as empty', () => {
  const b64 = certB64('hebca-ent');
  assert.equal(sofGetCertInfoByOid(b64, '2.5.4.3'), sofGetCertInfo(b64, 17));
  const ku = Buffer.from(sofGetCertInfoByOid(b64, '2.5.29.15'), 'base64');
  assert.equal(ku[0], 0x03, 'keyUsage comes back as its BIT STRING');
  assert.equal(sofGetCertInfoByOid(b64, '1.2.3.4.5.6.7'), '');
  assert.throws(() => sofGetCertInfoByOid(b64, 'x'), { code: 'SOF_OID_INVALID' });
});

test('SOF_GetCertEntity / item 22: the unique entity identifier from whichever extension the CA used (production or test hierarchy); none → SOF_CERT_NO_ENTITY', () => {
  const leaf = 'basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature';
  const cases: Array<[string, string, string]> = [
    ['entity-prod', '1.2.156.112562.2.1.1.1 = ASN1:UTF8String:JJ91130100MA0CHR4T5N', 'JJ91130100MA0CHR4T5N'],
    ['entity-test', '2.16.840.1.113732.2 = ASN1:PRINTABLESTRING:SF130102199003071234', 'SF130102199003071234'],
  ];
  cases.forEach(([name, ext, want], i) => {
    const der = reissue(pki, { keyOf: 'hebca-ent', caId: 'hebca-ca', name, dir, serial: `0x77${i}1`, ext: `${leaf}\n${ext}`, subject: '/C=CN/O=河北测试科技有限公司/CN=河北测试科技有限公司' });
    const b64 = Buffer.from(der).toString('base64');
    // OpenSSL prints the extension's string; we return exactly it.
    const text = execFileSync('openssl', ['x509', '-inform', 'DER', '-noout', '-text'], { input: Buffer.from(der), encoding: 'utf8' });
    assert.ok(text.includes(want), `openssl shows ${want}`);
    assert.equal(sofGetCertEntity(b64), want);
    assert.equal(sofGetCertInfo(b64, SOF_CERT_INFO.uniqueId), want);
  });
  assert.throws(() => sofGetCertEntity(certB64('hebca-ent')), { code: 'SOF_CERT_NO_ENTITY' });
  assert.equal(sofGetCertInfo(certB64('hebca-ent'), SOF_CERT_INFO.uniqueId), '');
  assert.throws(() => sofGetCertEntity('not base64!'), { code: 'SOF_CERT_INVALID' });
});

test('SOF_GetUserList string: name||certID&&& per entry, separators removed from names, stable GUID-shaped IDs', () => {
  const der = fs.readFileSync(pki.get('hebca-ent').certDer);
  const id = sofCertId(der);
  assert.match(id, /^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$/);
  assert.equal(sofCertId(der), id);
  assert.equal(formatSofUserList([{ name: '河北测试||公司', certId: id }, { name: 'b&&&c', certId: 'X' }]), `河北测试|公司||${id}&&&b&&c||X&&&`);
  assert.equal(formatSofUserList([]), '');
});

for (const [id, method, dgst] of [['hebca-ent', SGD.SHA256_RSA, 'sha256'], ['hebca-ent', SGD.SHA1_RSA, 'sha1']] as const) {
  test(`SOF_SignData ${dgst} RSA: base64 PKCS#1 v1.5 that openssl dgst -${dgst} -verify accepts`, async () => {
    const signer = pemMessageSigner(pki, pki.get(id));
    const sig = Buffer.from(await sofSignData(signer, method, RANDOM), 'base64');
    const data = write(`${dgst}.dat`, RANDOM);
    const sigFile = write(`${dgst}.sig`, sig);
    const r = ossl(['dgst', `-${dgst}`, '-verify', pubKeyOf(id), '-signature', sigFile, data]);
    assert.equal(r.status, 0, r.stderr.toString());
    const other = write(`${dgst}.other`, RANDOM + 'x');
    assert.notEqual(ossl(['dgst', `-${dgst}`, '-verify', pubKeyOf(id), '-signature', sigFile, other]).status, 0);
    assert.ok(sofVerifySignedData(certB64(id), RANDOM, sig.toString('base64')));
  });
}

test('SOF_SignData SM2: base64 DER over SM3 with Z_A (ID 1234567812345678), checked by openssl pkeyutl', async () => {
  const signer = pemMessageSigner(pki, pki.get('hebca-sm2-ent'));
  const sig = Buffer.from(await sofSignData(signer, SGD.SM3_SM2, RANDOM), 'base64');
  assert.equal(sig[0], 0x30);
  const data = write('sm2.dat', RANDOM);
  const sigFile = write('sm2.sig', sig);
  const args = (distid: string) => ['pkeyutl', '-verify', '-pubin', '-inkey', pubKeyOf('hebca-sm2-ent'), '-rawin', '-digest', 'sm3', '-pkeyopt', `distid:${distid}`, '-in', data, '-sigfile', sigFile];
  const r = ossl(args('1234567812345678'));
  assert.equal(r.status, 0, r.stderr.toString());
  assert.notEqual(ossl(args('8765432187654321')).status, 0);
});

test('SOF_SetSignMethod: a method that does not fit the key is refused', () => {
  assert.throws(() => signMethodHash(SGD.SM3_SM2, 'RSA'), { code: 'SOF_SIGN_METHOD' });
  assert.throws(() => signMethodHash(SGD.SHA256_RSA, 'SM2'), { code: 'SOF_SIGN_METHOD' });
  assert.throws(() => signMethodHash(0x1234, 'RSA'), { code: 'SOF_SIGN_METHOD' });
});

test('SOF_VerifySignedData accepts OpenSSL SHA-1 and SHA-256 PKCS#1 and SM2 signatures, rejects tampering', () => {
  const data = write('v.dat', RANDOM);
  for (const dg of ['sha1', 'sha256']) {
    const sig = execFileSync('openssl', ['dgst', `-${dg}`, '-sign', pki.get('bjca-ent').keyPem, data]);
    assert.ok(sofVerifySignedData(certB64('bjca-ent'), RANDOM, sig.toString('base64')), dg);
    assert.equal(sofVerifySignedData(certB64('bjca-ent'), RANDOM + '1', sig.toString('base64')), false);
    assert.equal(sofVerifySignedData(certB64('hebca-ent'), RANDOM, sig.toString('base64')), false, 'another key');
  }
  const md5 = execFileSync('openssl', ['dgst', '-md5', '-sign', pki.get('bjca-ent').keyPem, data]);
  assert.equal(sofVerifySignedData(certB64('bjca-ent'), RANDOM, md5.toString('base64')), false, 'MD5 is not accepted');
  const sm2sig = execFileSync('openssl', ['pkeyutl', '-sign', '-inkey', pki.get('hebca-sm2-ent').keyPem, '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', data]);
  assert.ok(sofVerifySignedData(certB64('hebca-sm2-ent'), RANDOM, sm2sig.toString('base64')));
  assert.equal(sofVerifySignedData(certB64('hebca-sm2-ent'), RANDOM + 'x', sm2sig.toString('base64')), false);
  assert.equal(sofVerifySignedData(certB64('hebca-sm2-ent'), RANDOM, 'not-base64'), false);
});

test('SOF_VerifySignedHashData: RSA DigestInfo digest and SM2 over e = SM3(Z_A||M)', () => {
  const data = write('h.dat', RANDOM);
  const digest = execFileSync('openssl', ['dgst', '-sha256', '-binary', data]);
  const hashFile = write('h.bin', digest);
  const sig = execFileSync('openssl', ['pkeyutl', '-sign', '-inkey', pki.get('hebca-ent').keyPem, '-pkeyopt', 'digest:sha256', '-in', hashFile]);
  assert.ok(sofVerifySignedHashData(certB64('hebca-ent'), digest.toString('base64'), sig.toString('base64')));
  assert.equal(sofVerifySignedHashData(certB64('hebca-ent'), Buffer.alloc(32).toString('base64'), sig.toString('base64')), false);
  const sm2sig = execFileSync('openssl', ['pkeyutl', '-sign', '-inkey', pki.get('hebca-sm2-ent').keyPem, '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', data]);
  const e = sm2SignedHash(parseCertificate(new Uint8Array(fs.readFileSync(pki.get('hebca-sm2-ent').certDer))).publicKey, Buffer.from(RANDOM));
  assert.ok(sofVerifySignedHashData(certB64('hebca-sm2-ent'), Buffer.from(e).toString('base64'), sm2sig.toString('base64')));
  assert.equal(sofVerifySignedHashData(certB64('hebca-sm2-ent'), Buffer.alloc(32, 1).toString('base64'), sm2sig.toString('base64')), false);
});

test('SOF_HashData equals openssl dgst for SM3, SHA-1, SHA-256; SOF_GenRandom gives the bytes asked for', () => {
  const data = write('d.dat', '你好 SOF');
  for (const h of ['sm3', 'sha1', 'sha256'] as const) {
    assert.equal(sofHashData(h, '你好 SOF'), execFileSync('openssl', ['dgst', `-${h}`, '-binary', data]).toString('base64'), h);
  }
  assert.equal(Buffer.from(sofGenRandom(24), 'base64').length, 24);
  assert.notEqual(sofGenRandom(16), sofGenRandom(16));
  assert.throws(() => sofGenRandom(0), { code: 'SOF_RANDOM_LENGTH' });
  assert.throws(() => sofGenRandom(1e6), { code: 'SOF_RANDOM_LENGTH' });
});

for (const [id, hash] of [['hebca-ent', 'sha256'], ['hebca-ent', 'sha1'], ['hebca-sm2-ent', 'sm3']] as const) {
  for (const flag of [SOF_MESSAGE_ATTACHED, SOF_MESSAGE_DETACHED]) {
    test(`SOF_SignMessage ${id} ${hash} flag ${flag}: OpenSSL checks it (RSA: cms -verify to the root)`, async () => {
      const content = '投标文件摘要：第一标段 ¥1,000,000';
      const p7 = await sofSignMessage(pemMessageSigner(pki, pki.get(id)), flag, content, hash);
      const der = write(`${id}-${hash}-${flag}.p7`, Buffer.from(p7, 'base64'));
      if (hash === 'sm3') {
        // OpenSSL 3.0 has no SM2 in CMS (it can neither sign nor verify it): it checks the SM2
        // signature over the signed attributes (pkeyutl, distid) and the SM3 message digest.
        const msg = readSignedMessage(p7);
        const attrs = write(`${id}-${flag}.attrs`, msg.signedAttrs!);
        const sig = write(`${id}-${flag}.sig`, msg.signature);
        const r = ossl(['pkeyutl', '-verify', '-pubin', '-inkey', pubKeyOf(id), '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', attrs, '-sigfile', sig]);
        assert.equal(r.status, 0, r.stderr.toString());
        assert.deepEqual(Buffer.from(msg.messageDigest!), execFileSync('openssl', ['dgst', '-sm3', '-binary'], { input: content }));
        assert.equal(msg.content ? Buffer.from(msg.content).toString('utf8') : null, flag === SOF_MESSAGE_ATTACHED ? content : null);
      } else {
        const out = path.join(dir, `${id}-${hash}-${flag}.out`);
        const args = ['cms', '-verify', '-binary', '-inform', 'DER', '-in', der, '-CAfile', rootOf(id), '-purpose', 'any', '-out', out];
        if (flag === SOF_MESSAGE_DETACHED) args.push('-content', write(`${id}-${flag}.content`, content));
        const r = ossl(args);
        assert.equal(r.status, 0, r.stderr.toString());
        assert.equal(fs.readFileSync(out, 'utf8'), content);
      }
      const printed = execFileSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', der], { encoding: 'utf8' });
      if (flag === SOF_MESSAGE_DETACHED) assert.match(printed, /eContent: <ABSENT>/);
      else assert.doesNotMatch(printed, /eContent: <ABSENT>/);
      assert.ok(sofVerifySignedMessage(p7, flag === SOF_MESSAGE_DETACHED ? content : undefined));
      assert.equal(sofVerifySignedMessage(p7, content + '改'), false);
      assert.equal(sofGetInfoFromSignedMessage(p7, 1), flag === SOF_MESSAGE_ATTACHED ? content : '');
      assert.equal(sofGetInfoFromSignedMessage(p7, 2), certB64(id));
    });
  }
}

test('SOF_VerifySignedMessage accepts OpenSSL-made attached (cms) and detached (smime) SignedData, rejects altered content', () => {
  const content = write('m.txt', 'hello from openssl');
  const e = pki.get('bjca-ent');
  const attached = execFileSync('openssl', ['cms', '-sign', '-binary', '-nodetach', '-md', 'sha256', '-signer', e.certPem, '-inkey', e.keyPem, '-in', content, '-outform', 'DER']);
  assert.ok(sofVerifySignedMessage(attached.toString('base64')));
  assert.equal(sofGetInfoFromSignedMessage(attached.toString('base64'), 1), 'hello from openssl');
  const detached = execFileSync('openssl', ['smime', '-sign', '-binary', '-md', 'sha1', '-signer', e.certPem, '-inkey', e.keyPem, '-in', content, '-outform', 'DER']);
  assert.ok(sofVerifySignedMessage(detached.toString('base64'), 'hello from openssl'));
  assert.equal(sofVerifySignedMessage(detached.toString('base64'), 'hello from openssl!'), false);
  assert.equal(sofVerifySignedMessage(detached.toString('base64')), false, 'detached without content');
  assert.equal(sofVerifySignedMessage('AAAA'), false);
  assert.throws(() => sofGetInfoFromSignedMessage(attached.toString('base64'), 9), { code: 'SOF_MESSAGE_INFO_TYPE' });
});
