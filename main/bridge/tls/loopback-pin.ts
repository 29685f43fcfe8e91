/**
 * The embedded portal's certificate decision for the bridge's loopback wss listener
 * (wss://127.0.0.1:21061): main/app hands it to the portal session's `setCertificateVerifyProc`.
 * On a loopback host only our own leaf (pinned by its SHA-256) is accepted — not another program
 * that holds the port, not a certificate a local CA made trusted; every other host keeps
 * Chromium's own verification. Electron's request carries no port, so the pin covers every
 * loopback port.
 */
import { createHash } from 'node:crypto';
import { LOOPBACK_HOSTNAMES } from '../../../common/portal-origins.ts';

/** Electron's verify-proc results: 0 accept, -2 refuse, -3 use Chromium's verification. */
export const CERT_ACCEPT = 0;
export const CERT_REFUSE = -2;
export const CERT_CHROMIUM = -3;
export type CertificateDecision = typeof CERT_ACCEPT | typeof CERT_REFUSE | typeof CERT_CHROMIUM;

const LOOPBACK_HOSTS = new Set([...LOOPBACK_HOSTNAMES, '::1']);

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return LOOPBACK_HOSTS.has(h) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h.endsWith('.localhost');
}

/** SHA-256 (hex) of a PEM certificate's DER; null when the text is not one PEM certificate. */
export function pemCertificateSha256(pem: string): string | null {
  const m = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (!m) return null;
  const der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  return der.length === 0 ? null : createHash('sha256').update(der).digest('hex');
}

/**
 * `pinnedSha256`: our loopback leaf's SHA-256 (hex, from loadLocalhostTls), or null while our
 * bridge is not serving wss — then loopback keeps Chromium's verification (nothing changes).
 */
export function loopbackCertificateDecision(
  req: { hostname: string; certificate: { data: string } },
  pinnedSha256: string | null,
): CertificateDecision {
  if (!pinnedSha256 || !isLoopbackHost(req.hostname)) return CERT_CHROMIUM;
  return pemCertificateSha256(req.certificate.data) === pinnedSha256.toLowerCase() ? CERT_ACCEPT : CERT_REFUSE;
}
