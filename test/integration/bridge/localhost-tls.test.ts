/**
 * The per-machine localhost certificate for wss://127.0.0.1:21061, checked by OpenSSL and a real
 * TLS handshake: a one-time CA, critical name constraints to 127.0.0.1/::1/localhost, pathlen 0;
 * the leaf verifies under it for loopback names only; the only private key written is the leaf's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { issueLocalhostCertificate, loadLocalhostTls, saveLocalhostTls, LOCALHOST_TLS_FILES, type LocalhostTls } from '../../../main/bridge/tls/localhost-certificate.ts';

let dir: string;
let issued: LocalhostTls;
const file = (n: string) => path.join(dir, n);

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-localtls-'));
  issued = await issueLocalhostCertificate();
  saveLocalhostTls(dir, issued);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the CA is name-constrained (critical) to 127.0.0.1, ::1 and localhost, pathlen 0, cert-signing only', () => {
  const text = execFileSync('openssl', ['x509', '-in', file(LOCALHOST_TLS_FILES.caCertificate), '-noout', '-text'], { encoding: 'utf8' });
  assert.match(text, /X509v3 Name Constraints: critical\s+Permitted:\s+IP:127\.0\.0\.1\/255\.255\.255\.255\s+IP:0:0:0:0:0:0:0:1\/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF\s+DNS:localhost/);
  assert.match(text, /X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
  assert.match(text, /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
});

test('the leaf verifies under the CA (x509_strict) for 127.0.0.1, ::1 and localhost, and for no other name', () => {
  const verify = (...extra: string[]) => spawnSync('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', file(LOCALHOST_TLS_FILES.caCertificate), ...extra, file(LOCALHOST_TLS_FILES.certificate)], { encoding: 'utf8' });
  for (const extra of [[], ['-verify_ip', '127.0.0.1'], ['-verify_ip', '::1'], ['-verify_hostname', 'localhost']]) {
    const r = verify(...extra);
    assert.equal(r.status, 0, `${extra.join(' ')}: ${r.stdout}${r.stderr}`);
  }
  assert.notEqual(verify('-verify_hostname', 'evil.example').status, 0);
  assert.notEqual(verify('-verify_ip', '10.0.0.1').status, 0);
  const text = execFileSync('openssl', ['x509', '-in', file(LOCALHOST_TLS_FILES.certificate), '-noout', '-text'], { encoding: 'utf8' });
  assert.match(text, /TLS Web Server Authentication/);
  assert.match(text, /CA:FALSE/);
});

test('the CA private key is never returned or written: the only key on disk is the leaf\'s, owner-only', () => {
  assert.deepEqual(Object.keys(issued).filter((k) => /key/i.test(k)), ['privateKeyPem']);
  const keys = fs.readdirSync(dir).filter((n) => fs.readFileSync(file(n), 'utf8').includes('PRIVATE KEY'));
  assert.deepEqual(keys, [LOCALHOST_TLS_FILES.privateKey]);
  if (process.platform !== 'win32') assert.equal(fs.statSync(file(LOCALHOST_TLS_FILES.privateKey)).mode & 0o077, 0);
  const keyPub = execFileSync('openssl', ['pkey', '-in', file(LOCALHOST_TLS_FILES.privateKey), '-pubout'], { encoding: 'utf8' });
  const leafPub = execFileSync('openssl', ['x509', '-in', file(LOCALHOST_TLS_FILES.certificate), '-noout', '-pubkey'], { encoding: 'utf8' });
  const caPub = execFileSync('openssl', ['x509', '-in', file(LOCALHOST_TLS_FILES.caCertificate), '-noout', '-pubkey'], { encoding: 'utf8' });
  assert.equal(keyPub, leafPub);
  assert.notEqual(keyPub, caPub);
});

test('each issue is a new CA (nothing reusable kept between runs)', async () => {
  const again = await issueLocalhostCertificate();
  assert.notEqual(again.caSha256, issued.caSha256);
  assert.notEqual(again.certificateSha256, issued.certificateSha256);
});

test('a TLS client trusting only the CA connects to 127.0.0.1; the pinned SHA-256 is the served leaf', async () => {
  const loaded = loadLocalhostTls(dir)!;
  assert.equal(loaded.certificateSha256, issued.certificateSha256);
  const server = tls.createServer({ cert: loaded.cert, key: loaded.key }, (s) => s.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const peer = await new Promise<tls.PeerCertificate>((resolve, reject) => {
      const c = tls.connect({ host: '127.0.0.1', port, ca: issued.caCertificatePem }, () => {
        const cert = c.getPeerCertificate();
        c.end();
        resolve(cert);
      });
      c.on('error', reject);
    });
    assert.equal(peer.fingerprint256.replace(/:/g, '').toLowerCase(), issued.certificateSha256);
    await assert.rejects(new Promise((resolve, reject) => {
      const c = tls.connect({ host: '127.0.0.1', port, servername: 'evil.example', ca: issued.caCertificatePem, checkServerIdentity: tls.checkServerIdentity }, () => { c.end(); resolve(null); });
      c.on('error', reject);
    }));
  } finally {
    server.close();
  }
  assert.equal(loadLocalhostTls(path.join(dir, 'missing')), null);
});
