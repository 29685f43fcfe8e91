// Packaging facts that cannot be run here (no Electron binary) but can be held: fuses and build config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { FuseV1Options } from '@electron/fuses';
import { FUSES, FUSE_CONFIG } from '../../../scripts/fuses.ts';

const yml = fs.readFileSync(new URL('../../../electron-builder.yml', import.meta.url), 'utf8');

function yamlBlock(name: string): Record<string, string> {
  const lines = yml.split('\n');
  const start = lines.findIndex((l) => l === `${name}:`);
  assert.ok(start >= 0, `${name} block present`);
  const out: Record<string, string> = {};
  for (const l of lines.slice(start + 1)) {
    if (/^ {2}#/.test(l)) continue;
    const m = /^ {2}(\w+):\s*(.*?)\s*$/.exec(l);
    if (!m) break;
    out[m[1]!] = m[2]!;
  }
  return out;
}

const YAML_NAME: Record<keyof typeof FuseV1Options, string> = {
  RunAsNode: 'runAsNode',
  EnableCookieEncryption: 'enableCookieEncryption',
  EnableNodeOptionsEnvironmentVariable: 'enableNodeOptionsEnvironmentVariable',
  EnableNodeCliInspectArguments: 'enableNodeCliInspectArguments',
  EnableEmbeddedAsarIntegrityValidation: 'enableEmbeddedAsarIntegrityValidation',
  OnlyLoadAppFromAsar: 'onlyLoadAppFromAsar',
  LoadBrowserProcessSpecificV8Snapshot: 'loadBrowserProcessSpecificV8Snapshot',
  GrantFileProtocolExtraPrivileges: 'grantFileProtocolExtraPrivileges',
};

test('fuses: the security ones as DESIGN says, every fuse stated, YAML equal to the typed table', () => {
  assert.equal(FUSES[FuseV1Options.RunAsNode], false);
  assert.equal(FUSES[FuseV1Options.EnableNodeOptionsEnvironmentVariable], false);
  assert.equal(FUSES[FuseV1Options.EnableNodeCliInspectArguments], false);
  assert.equal(FUSES[FuseV1Options.EnableCookieEncryption], true);
  assert.equal(FUSES[FuseV1Options.EnableEmbeddedAsarIntegrityValidation], true);
  assert.equal(FUSES[FuseV1Options.OnlyLoadAppFromAsar], true);
  assert.equal(FUSE_CONFIG.strictlyRequireAllFuses, true);
  const block = yamlBlock('electronFuses');
  const names = Object.keys(FuseV1Options).filter((k) => Number.isNaN(Number(k))) as (keyof typeof FuseV1Options)[];
  assert.equal(Object.keys(block).length, names.length, 'one YAML line per fuse');
  for (const n of names) assert.equal(block[YAML_NAME[n]], String(FUSES[FuseV1Options[n]]), n);
});

test('installer: per machine NSIS, asar with native modules unpacked, entry is the bundle', () => {
  const nsis = yamlBlock('nsis');
  assert.equal(nsis['perMachine'], 'true');
  assert.equal(nsis['oneClick'], 'false');
  assert.match(yml, /^asar: true$/m);
  assert.match(yml, /node_modules\/koffi\/\*\*/);
  assert.match(yml, /node_modules\/better-sqlite3\/\*\*/);
  const pkg = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { main: string };
  assert.equal(pkg.main, 'dist/app/main.cjs');
});
