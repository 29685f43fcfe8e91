/**
 * Windows places for real (issue 12, item 6): owners and DACLs read through advapi32 on Wine decide
 * whether a driver DLL or the machine policy is trusted. Wine derives DACLs from Unix modes, so
 * "writable by everyone" is a folder such as Z:\tmp (mode 1777: an Everyone ACE with write), and
 * files the test makes are owned by the Wine user, who is an administrator (so they pass).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isAssistantError } from '../../main/errors.ts';
import { checkModulePath } from '../../main/keystores/module-path.ts';
import { SID } from '../../main/keystores/windows/acl.ts';
import { readFileSecurity, trustedPrincipals } from '../../main/keystores/windows/security-native.ts';
import { KeyStoreWorkerClient } from '../../main/keystores/worker/client.ts';
import { forkWorkerSpawner } from '../../main/keystores/worker/fork-transport.ts';
import { WorkerKeyStore } from '../../main/keystores/worker/remote-store.ts';
import { loadPolicy } from '../../main/policy/load.ts';
import { fakeDll, winEnv } from './support.ts';

const programFiles = process.env['ProgramFiles'] ?? 'C:\\Program Files';
const system32 = path.join(process.env['SystemRoot'] ?? 'C:\\windows', 'System32');
const publicDir = process.env['PUBLIC'] ?? 'C:\\users\\Public';
const tag = `ca-test-${process.pid}`;
const places = {
  vendor: path.join(programFiles, tag),
  system32Dll: path.join(system32, `${tag}.dll`),
  publicDir: path.join(publicDir, tag),
  openDir: path.join('Z:\\tmp', tag),
  programData: path.join(process.env['ProgramData'] ?? 'C:\\ProgramData', tag),
};

function unsafeReason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(isAssistantError(e), String(e));
    assert.equal(e.code, 'MODULE_PATH_UNSAFE', e.message);
    assert.match(e.message, /拒绝加载/u);
    return String((e.details as { reason: string }).reason);
  }
  assert.fail('expected MODULE_PATH_UNSAFE');
}

describe('driver DLLs and the machine policy: only administrators may write them', () => {
  let client: KeyStoreWorkerClient;
  before(() => {
    const dll = fakeDll('pkcs11-pin-pad');
    fs.mkdirSync(places.vendor, { recursive: true });
    fs.copyFileSync(dll, path.join(places.vendor, 'p11.dll'));
    fs.copyFileSync(dll, places.system32Dll);
    fs.mkdirSync(places.publicDir, { recursive: true });
    fs.copyFileSync(dll, path.join(places.publicDir, 'evil.dll'));
    fs.mkdirSync(places.openDir, { recursive: true });
    fs.copyFileSync(dll, path.join(places.openDir, 'evil.dll'));
    fs.mkdirSync(places.programData, { recursive: true });
    client = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner({ entry: winEnv.worker }), startTimeoutMs: 60_000 });
  });
  after(async () => {
    await client?.close();
    for (const p of [places.vendor, places.publicDir, places.openDir, places.programData]) fs.rmSync(p, { recursive: true, force: true });
    fs.rmSync(places.system32Dll, { force: true });
  });

  test('advapi32 tells owner and DACL; administrators are trusted', () => {
    const sd = readFileSecurity(path.join(system32, 'kernel32.dll'));
    assert.match(sd.owner ?? '', /^S-1-5-/);
    assert.ok(sd.dacl?.some((a) => a.sid === SID.SYSTEM && a.type === 0), JSON.stringify(sd));
    const open = readFileSecurity('Z:\\tmp');
    assert.ok(open.dacl?.some((a) => a.sid === SID.EVERYONE && a.mask & 0x2), `Wine shows /tmp as writable by Everyone: ${JSON.stringify(open)}`);
    const trusted = trustedPrincipals();
    for (const s of [SID.SYSTEM, SID.ADMINISTRATORS, SID.TRUSTED_INSTALLER]) assert.ok(trusted.has(s));
  });

  test('Program Files and System32: allowed, and the worker loads them', async () => {
    for (const p of [path.join(places.vendor, 'p11.dll'), places.system32Dll]) {
      assert.equal(checkModulePath(p).toLowerCase(), p.toLowerCase());
      const report = await client.call('pkcs11.describe', { module: p });
      assert.equal(report.slots[0]?.pinPad, true);
    }
  });

  test('C:\\Users\\Public\\…\\evil.dll is refused with MODULE_PATH_UNSAFE, in the worker too', async () => {
    const evil = path.join(places.publicDir, 'evil.dll');
    assert.match(unsafeReason(() => checkModulePath(evil)), /user folder/);
    await assert.rejects(new WorkerKeyStore(client, { kind: 'pkcs11', module: evil }).listIdentities(), (e: unknown) => isAssistantError(e) && e.code === 'MODULE_PATH_UNSAFE');
  });

  test('a DLL under a folder everyone may write is refused, naming the folder', () => {
    assert.match(unsafeReason(() => checkModulePath(path.join(places.openDir, 'evil.dll'))), /Z:\\tmp: writable by Everyone/);
  });

  test('a world-writable machine policy is ignored with POLICY_UNSAFE; an admin-only one is read', () => {
    const open = path.join(places.openDir, 'policy.json');
    fs.writeFileSync(open, JSON.stringify({ language: 'en' }));
    // registry: null — only the file layer is judged here (another test writes HKLM policy at the same time).
    const refused = loadPolicy({ platform: 'win32', machinePath: open, userPath: null, registry: null });
    assert.equal(refused.policy.language, 'zh-CN');
    const problem = refused.problems.find((p) => p.code === 'POLICY_UNSAFE');
    assert.ok(problem, JSON.stringify(refused.problems));
    assert.match(problem.message, /可被 Everyone 写入/u);

    const good = path.join(places.programData, 'policy.json');
    fs.writeFileSync(good, JSON.stringify({ language: 'en' }));
    const read = loadPolicy({ platform: 'win32', machinePath: good, userPath: null, registry: null });
    assert.deepEqual(read.problems, []);
    assert.equal(read.policy.language, 'en');
  });
});
