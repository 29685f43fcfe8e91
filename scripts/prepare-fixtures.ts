// Before the test files run in parallel: builds the OpenSSL test PKI once (each would otherwise
// wait on the generator's lock; a no-op when the manifest is current), and the verifier bundles
// the reference portal consumes as `cert-assistant/verifier` and `cert-assistant/uscc` (dist/verifier).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getTestPki } from '../test/fixtures/pki.ts';

const v0 = Date.now();
execFileSync(process.execPath, [fileURLToPath(new URL('./build-verifier.mjs', import.meta.url)), '--quiet'], { stdio: 'inherit' });
console.log(`verifier bundles built in ${Date.now() - v0} ms (dist/verifier)`);

const t0 = Date.now();
const pki = await getTestPki();
console.log(`test PKI ready: ${Object.keys(pki.entries).length} entries in ${Date.now() - t0} ms (${pki.dir})`);
