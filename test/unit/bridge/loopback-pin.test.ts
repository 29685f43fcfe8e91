// The embedded portal accepts our own loopback wss certificate (pinned) and nothing else on
// loopback; other hosts keep Chromium's verification.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { issueLocalhostCertificate } from '../../../main/bridge/tls/localhost-certificate.ts';
import { CERT_ACCEPT, CERT_CHROMIUM, CERT_REFUSE, isLoopbackHost, loopbackCertificateDecision, pemCertificateSha256 } from '../../../main/bridge/tls/loopback-pin.ts';

test('our loopback leaf is accepted by its pin; another loopback certificate is refused; other hosts go to Chromium', async () => {
  const ours = await issueLocalhostCertificate();
  const theirs = await issueLocalhostCertificate();
  const pin = pemCertificateSha256(ours.certificatePem);
  assert.match(pin ?? '', /^[0-9a-f]{64}$/);
  assert.equal(loopbackCertificateDecision({ hostname: '127.0.0.1', certificate: { data: ours.certificatePem } }, pin), CERT_ACCEPT);
  assert.equal(loopbackCertificateDecision({ hostname: 'localhost', certificate: { data: ours.certificatePem } }, pin!.toUpperCase()), CERT_ACCEPT);
  // A program holding the port with its own certificate (e.g. the CA's own assistant) is refused.
  assert.equal(loopbackCertificateDecision({ hostname: '127.0.0.1', certificate: { data: theirs.certificatePem } }, pin), CERT_REFUSE);
  assert.equal(loopbackCertificateDecision({ hostname: '127.0.0.1', certificate: { data: 'garbage' } }, pin), CERT_REFUSE);
  // Our bridge not serving wss: loopback keeps Chromium's verification.
  assert.equal(loopbackCertificateDecision({ hostname: '127.0.0.1', certificate: { data: theirs.certificatePem } }, null), CERT_CHROMIUM);
  // Our pin means nothing for the portal's own hosts.
  assert.equal(loopbackCertificateDecision({ hostname: 'www.hbzwfw.gov.cn', certificate: { data: ours.certificatePem } }, pin), CERT_CHROMIUM);
});

test('loopback hosts', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST.', 'a.localhost', '[::1]']) assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['127.0.0.1.evil.example', 'localhost.evil.example', '10.0.0.1', 'www.hbzwfw.gov.cn']) assert.equal(isLoopbackHost(h), false, h);
});
