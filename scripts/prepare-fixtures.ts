// Builds the OpenSSL test PKI once before the test files run in parallel (each would otherwise
// wait on the generator's lock); a no-op when the manifest is current.
import { getTestPki } from '../test/fixtures/pki.ts';

const t0 = Date.now();
const pki = await getTestPki();
console.log(`test PKI ready: ${Object.keys(pki.entries).length} entries in ${Date.now() - t0} ms (${pki.dir})`);
