/**
 * Setup most test files wrote out each: a scratch folder for the file's run and a folder of the
 * test PKI's trusted roots (what `--trust DIR` reads).
 */
import { after } from 'node:test';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestPki } from '../fixtures/pki.ts';

/**
 * A fresh folder under the system temp folder (named `<prefix>XXXXXX`), made now and removed with
 * all inside once the tests of the suite it is called in (the file, at top level) have run.
 */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `<dir>/trust` holding every real root of the test PKI (not the look-alike) as `<id>.pem`; returns its path. */
export function writeTrustDir(pki: TestPki, dir: string): string {
  const trustDir = path.join(dir, 'trust');
  mkdirSync(trustDir);
  for (const e of Object.values(pki.entries)) if (e.kind === 'root' && e.profile !== 'lookalike') copyFileSync(e.certPem, path.join(trustDir, `${e.id}.pem`));
  return trustDir;
}
