// English mode: every check main/pki produces carries an English message (the UI shows it when
// the language is English), on the test PKI's good and bad leaves and the real CA certificates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getTestPki } from '../../fixtures/pki.ts';
import { readCertificateFile } from '../../../main/pki/read.ts';
import { inspectCertificate, type CheckResult } from '../../../main/pki/inspect.ts';
import { loadTrustAnchors } from '../../../main/pki/trust.ts';

const realworld = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/realworld');

/** English prose: Chinese only in quoted names, DN attribute values, or after "Trusted chain:". */
function assertEnglish(c: CheckResult): void {
  assert.ok(c.messageEn.length > 10, `${c.id}: ${c.messageEn}`);
  const prose = c.messageEn.replace(/"[^"]*"/g, '""').replace(/\b[A-Za-z][A-Za-z0-9.]*=[^,]*/g, 'DN').replace(/^Trusted chain: .*/, 'Trusted chain');
  assert.doesNotMatch(prose, /\p{Script=Han}/u, `${c.id}/${c.code ?? 'pass'}: ${c.messageEn}`);
  assert.match(c.messageEn, /^[A-Z]/, c.messageEn);
}

test('every check outcome on the test PKI and real certificates has an English message', async () => {
  const pki = await getTestPki();
  const anchors = loadTrustAnchors(Object.values(pki.entries).filter((e) => e.kind === 'root' && e.id !== 'lookalike-root').map((e) => e.certPem), { includeBundled: false });
  const seen = new Set<string>();
  const files = [
    ...Object.values(pki.entries).map((e) => e.certPem),
    ...fs.readdirSync(realworld).filter((f) => /\.(pem|p7s|p7b)$/.test(f)).map((f) => path.join(realworld, f)),
  ];
  for (const now of [new Date(), new Date('2021-07-01T00:00:00Z')]) {
    for (const file of files) {
      const certs = readCertificateFile(fs.readFileSync(file), { fileName: path.basename(file) }).certificates;
      for (const cert of certs) {
        for (const anchorSet of [anchors, []]) {
          const report = inspectCertificate(cert, { now, anchors: anchorSet, intermediates: certs });
          for (const c of report.checks) {
            assertEnglish(c);
            seen.add(`${c.id}:${c.status}:${c.code ?? ''}`);
          }
        }
      }
    }
  }
  // The corpus reaches the outcomes users meet most; a new outcome without English fails above.
  for (const outcome of ['validity:fail:CERT_EXPIRED', 'validity:pass:', 'key-usage:fail:KEY_USAGE_NO_SIGNATURE', 'chain:pass:', 'chain:warn:CHAIN_NO_ANCHOR',
    'self-signed:warn:CERT_IS_ROOT', 'weak-algorithm:warn:WEAK_ALGORITHM', 'uscc:pass:', 'uscc:fail:USCC_NOT_FOUND', 'uscc:fail:USCC_PERSONAL_CERT', 'uscc:fail:USCC_ORG_CODE_ONLY', 'uscc:fail:USCC_PLACEHOLDER']) {
    assert.ok(seen.has(outcome), `${outcome} not reached; seen ${[...seen].sort().join(', ')}`);
  }
});
