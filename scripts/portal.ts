/**
 * `npm run portal -- …` from the repository root: the reference portal package
 * (examples/reference-portal) with the assistant's service guide for the sites' item lists and,
 * without --trust, the generated test PKI's roots (never the look-alike root).
 */
import { existsSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { runPortalServer } from '../examples/reference-portal/server.ts';
import { DEFAULT_PKI_DIR, getTestPki } from '../test/fixtures/pki.ts';
import { repoGuideSource } from '../test/support/portal-guide.ts';

async function testPkiRoots(): Promise<Uint8Array[]> {
  if (!existsSync(DEFAULT_PKI_DIR)) return [];
  try {
    const pki = await getTestPki();
    return Object.values(pki.entries)
      .filter((e) => e.kind === 'root' && !e.id.startsWith('lookalike'))
      .map((e) => new Uint8Array(readFileSync(e.certDer)));
  } catch {
    return [];
  }
}

const code = await runPortalServer(process.argv.slice(2), { defaultTrust: testPkiRoots, guide: repoGuideSource() });
if (code >= 0) process.exitCode = code;
