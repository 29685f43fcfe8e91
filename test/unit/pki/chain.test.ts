import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getTestPki } from '../../fixtures/pki.ts';
import { parseCertificate, type ParsedCertificate } from '../../../main/pki/certificate.ts';
import { verifyCertificateSignature, verifyChain } from '../../../main/pki/chain.ts';
import { sm2Sign, sm2Verify, sm3, bytesToHex } from '../../../main/pki/sm2.ts';
import { sm2PrivateKeyHex } from '../../../main/pki/private-key.ts';
import { loadTrustAnchors } from '../../../main/pki/trust.ts';

const pki = await getTestPki();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-pki-chain-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const load = (id: string): ParsedCertificate => parseCertificate(fs.readFileSync(pki.get(id).certDer));
const now = new Date();

test('signature verification: RSA, ECDSA P-256 and SM2 chains made by OpenSSL', () => {
  for (const [leaf, ca, root] of [
    ['hebca-ent', 'hebca-ca', 'hebca-root'],
    ['cfca-ec-ent', 'cfca-ec-ca', 'cfca-ec-root'],
    ['hebca-sm2-ent', 'hebca-sm2-ca', 'hebca-sm2-root'],
  ]) {
    const [l, c, r] = [load(leaf!), load(ca!), load(root!)];
    assert.equal(verifyCertificateSignature(l, c), true, leaf);
    assert.equal(verifyCertificateSignature(c, r), true, ca);
    assert.equal(verifyCertificateSignature(r, r), true, root);
    assert.equal(verifyCertificateSignature(l, r), false, `${leaf} not signed by root`);
    assert.equal(verifyCertificateSignature(l, l), false);
    const result = verifyChain(l, { intermediates: [c], anchors: [r], now });
    assert.equal(result.ok, true, result.message);
    assert.deepEqual(result.path.map((p) => p.fingerprintSha256), [l, c, r].map((p) => p.fingerprintSha256));
  }
});

test('a tampered SM2 or RSA certificate fails its signature', () => {
  for (const [leaf, ca] of [['hebca-sm2-ent', 'hebca-sm2-ca'], ['hebca-ent', 'hebca-ca']]) {
    const der = fs.readFileSync(pki.get(leaf!).certDer);
    const c = load(ca!);
    // Flip one byte inside the subject's CN (well inside the TBS).
    const idx = der.indexOf(Buffer.from('CN'));
    const bad = Buffer.from(der);
    bad[idx + 8] = bad[idx + 8]! ^ 0x01;
    const tampered = parseCertificate(bad);
    assert.equal(verifyCertificateSignature(tampered, c), false, leaf);
  }
});

test('look-alike root: same DN as hebca-root, other key → CHAIN_LOOKALIKE_ISSUER', () => {
  const ent = load('lookalike-ent');
  const inters = [load('hebca-ca'), ...(pki.entries['lookalike-ca'] ? [load('lookalike-ca')] : [])];
  const r = verifyChain(ent, { intermediates: inters, anchors: [load('hebca-root')], now });
  assert.equal(r.ok, false);
  assert.equal(r.code, 'CHAIN_LOOKALIKE_ISSUER');
  assert.match(r.message!, /仿冒/);
});

test('missing anchors name the CA root to add; untrusted root; self-signed leaf', () => {
  const ent = load('hebca-ent');
  const noAnchor = verifyChain(ent, { intermediates: [], anchors: [load('bjca-root')], now });
  assert.equal(noAnchor.code, 'CHAIN_NO_ANCHOR');
  assert.ok(noAnchor.message!.includes(ent.issuer), 'names the missing issuer');
  assert.match(noAnchor.message!, /certs\/trust|--trust/);
  const untrusted = verifyChain(ent, { intermediates: [load('hebca-ca'), load('hebca-root')], anchors: [], now });
  assert.equal(untrusted.code, 'CHAIN_UNTRUSTED_ROOT');
  const self = verifyChain(load('neg-self-signed'), { intermediates: [], anchors: [load('hebca-root')], now });
  assert.equal(self.code, 'CHAIN_SELF_SIGNED');
});

test('expired CA and clock passed in', () => {
  const [l, c, r] = [load('hebca-ent'), load('hebca-ca'), load('hebca-root')];
  const later = new Date(c.notAfter.getTime() + 86_400_000);
  const res = verifyChain(l, { intermediates: [c], anchors: [r], now: later });
  assert.equal(res.ok, false);
  assert.equal(res.code, 'CHAIN_CA_EXPIRED');
});

test('trust anchors from files and folders; bad files in a folder are skipped', () => {
  const dir = path.join(tmp, 'trust');
  fs.mkdirSync(dir);
  fs.copyFileSync(pki.get('hebca-root').certPem, path.join(dir, 'hebca.pem'));
  fs.copyFileSync(pki.get('hebca-sm2-root').certDer, path.join(dir, 'sm2.cer'));
  fs.writeFileSync(path.join(dir, 'broken.crt'), 'nope');
  fs.writeFileSync(path.join(dir, 'README.md'), '# not a cert');
  const skipped: string[] = [];
  const anchors = loadTrustAnchors([dir, pki.get('cfca-root').certPem], { includeBundled: false, onSkipped: (f) => skipped.push(path.basename(f)) });
  assert.equal(anchors.length, 3);
  assert.deepEqual(skipped, ['broken.crt']);
  assert.throws(() => loadTrustAnchors([path.join(tmp, 'nope')]), (e: { code?: string }) => e.code === 'TRUST_PATH_NOT_FOUND');
  assert.throws(() => loadTrustAnchors([path.join(dir, 'broken.crt')]), (e: { code?: string }) => e.code === 'TRUST_FILE_INVALID');
});

test('SM2 sign/verify interoperate with OpenSSL in both directions (Z_A with 1234567812345678)', () => {
  const e = pki.get('hebca-sm2-ent');
  const cert = load('hebca-sm2-ent');
  const msg = Buffer.from('河北政务服务网 login challenge');
  const msgFile = path.join(tmp, 'msg');
  fs.writeFileSync(msgFile, msg);
  const pub = path.join(tmp, 'sm2.pub');
  execFileSync('openssl', ['x509', '-in', e.certPem, '-pubkey', '-noout', '-out', pub]);
  // ours → OpenSSL
  const pkcs8 = Buffer.from(fs.readFileSync(e.keyPem, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const sig = sm2Sign(sm2PrivateKeyHex(pkcs8), msg);
  fs.writeFileSync(path.join(tmp, 'ours.sig'), sig);
  const out = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', msgFile, '-sigfile', path.join(tmp, 'ours.sig')], { encoding: 'utf8' });
  assert.match(out, /Signature Verified Successfully/);
  // OpenSSL → ours
  execFileSync('openssl', ['pkeyutl', '-sign', '-inkey', e.keyPem, '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', msgFile, '-out', path.join(tmp, 'theirs.sig')]);
  const theirs = fs.readFileSync(path.join(tmp, 'theirs.sig'));
  const pubHex = bytesToHex(cert.publicKey.keyBytes);
  assert.equal(sm2Verify(pubHex, msg, theirs), true);
  assert.equal(sm2Verify(pubHex, Buffer.from('other'), theirs), false);
  assert.equal(sm2Verify(pubHex, msg, theirs.subarray(0, 10)), false);
  // SM3 against OpenSSL's digest
  const dgst = execFileSync('openssl', ['dgst', '-sm3', '-r', msgFile], { encoding: 'utf8' }).split(' ')[0];
  assert.equal(bytesToHex(sm3(msg)), dgst);
});

test('real CA certificates: SHECA SM2 enterprise → SHECA SM2 → NRCAC ROOTCA verifies; every real file parses', async () => {
  const dir = path.join(path.dirname(new URL(import.meta.url).pathname), '../../fixtures/realworld');
  const { readCertificatePath } = await import('../../../main/pki/read.ts');
  const leaf = (await readCertificatePath(path.join(dir, 'sheca-sm2-enterprise-xy-uscc.pem'))).certificates[0]!;
  const bundle = (await readCertificatePath(path.join(dir, 'nrcac-sheca-sm2-chain.p7b'))).certificates;
  const root = (await readCertificatePath(path.join(dir, 'nrcac-sm2-rootca.pem'))).certificates[0]!;
  const ca = bundle.find((c) => c.subject.includes('SHECA SM2'))!;
  assert.equal(verifyCertificateSignature(leaf, ca), true);
  assert.equal(verifyCertificateSignature(ca, root), true);
  // Judged at a time inside every certificate's validity: the clock is an argument.
  const when = new Date(Math.max(leaf.notBefore.getTime(), ca.notBefore.getTime()) + 86_400_000);
  const r = verifyChain(leaf, { intermediates: bundle, anchors: [root], now: when });
  assert.equal(r.ok, true, r.message);
  assert.deepEqual(r.path.map((p) => p.subject.match(/CN=([^,]+)/)?.[1]), [leaf.subject.match(/CN=([^,]+)/)?.[1], 'SHECA SM2', 'ROOTCA']);
  let parsed = 0;
  for (const name of fs.readdirSync(dir)) {
    if (!/\.(pem|p7b|p7s|cer|der)$/.test(name)) continue;
    const certs = (await readCertificatePath(path.join(dir, name))).certificates;
    for (const c of certs) {
      assert.match(c.fingerprintSha256, /^[0-9a-f]{64}$/);
      assert.equal(c.subject, c.subject.trim());
      parsed++;
    }
  }
  assert.ok(parsed >= 20, `${parsed} real certificates parsed`);
});
