/**
 * Trust anchors for the portal: PEM or DER certificate files, or directories of them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const PEM_CERT = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
const CERT_EXT = /\.(pem|crt|cer|der)$/i;

export function certificatesFromBytes(bytes: Buffer): Uint8Array[] {
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN CERTIFICATE-----')) {
    return [...text.matchAll(PEM_CERT)].map((m) => new Uint8Array(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64')));
  }
  // DER: an ASN.1 SEQUENCE
  return bytes[0] === 0x30 ? [new Uint8Array(bytes)] : [];
}

export function loadTrustFiles(paths: string[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const p of paths) {
    if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        const f = path.join(p, name);
        if (CERT_EXT.test(name) && statSync(f).isFile()) out.push(...certificatesFromBytes(readFileSync(f)));
      }
    } else {
      out.push(...certificatesFromBytes(readFileSync(p)));
    }
  }
  return out;
}
