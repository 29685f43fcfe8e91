/**
 * Certificates for a test PKI entry's key under a subject of the test's choosing, signed by one of
 * the test PKI's CAs with the OpenSSL CLI (identity-confusion and revocation cases).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestPki } from '../fixtures/pki.ts';

export interface ReissueOptions {
  /** Entry whose key the certificate certifies. */
  keyOf: string;
  /** Signing CA entry. */
  caId: string;
  /** OpenSSL `-subj` form, UTF-8 (`/C=CN/CN=张三/serialNumber=…`). */
  subject: string;
  /** Extension lines (openssl config syntax). */
  ext: string;
  serial: string;
  /** Folder for the work files (the test's temporary folder). */
  dir: string;
  name: string;
}

/** DER of the new certificate. */
export function reissue(pki: TestPki, o: ReissueOptions): Uint8Array {
  const entry = pki.get(o.keyOf);
  const ca = pki.get(o.caId);
  const csr = path.join(o.dir, `${o.name}.csr`);
  const extFile = path.join(o.dir, `${o.name}.ext`);
  writeFileSync(extFile, `[v3]\n${o.ext}\nauthorityKeyIdentifier = keyid\n`);
  execFileSync('openssl', ['req', '-new', '-utf8', '-key', entry.keyPem, '-subj', o.subject, '-out', csr], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Uint8Array(execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', ca.certPem, '-CAkey', ca.keyPem, '-set_serial', o.serial, '-extfile', extFile, '-extensions', 'v3', '-days', '30', '-outform', 'DER'], { stdio: ['ignore', 'pipe', 'pipe'] }));
}
