/**
 * PE headers of driver DLLs: real ones built by mingw-w64 for both Windows ABIs (as vendors ship
 * 32- and 64-bit drivers), crafted edge cases, and doctor's 32/64-bit mismatch report.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { diagnose, type DoctorDeps } from '../../../main/cli/commands/doctor.ts';
import { parsePeHeader, peMachineOf, readPeFile } from '../../../main/keystores/pe.ts';
import { resolvePolicy } from '../../../main/policy/index.ts';

const SRC = fileURLToPath(new URL('../../fixtures/pkcs11-bad/pin-pad.c', import.meta.url));
const onPath = (cmd: string) => (process.env['PATH'] ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, cmd)));
const skip = onPath('x86_64-w64-mingw32-gcc') && onPath('i686-w64-mingw32-gcc') ? false : 'mingw-w64 not installed';

describe('PE headers', () => {
  test('crafted: not MZ, a PE offset past the end, an unknown optional-header magic → null', () => {
    assert.equal(parsePeHeader(Buffer.from('\x7fELF' + '\0'.repeat(100), 'latin1')), null);
    const b = Buffer.alloc(0x100);
    b.write('MZ', 0, 'latin1');
    b.writeUInt32LE(0xfff0, 0x3c);
    assert.equal(parsePeHeader(b), null);
    b.writeUInt32LE(0x80, 0x3c);
    b.write('PE\0\0', 0x80, 'latin1');
    b.writeUInt16LE(0xaa64, 0x84);
    b.writeUInt16LE(0x2022, 0x80 + 22);
    b.writeUInt16LE(0x999, 0x80 + 24);
    assert.equal(parsePeHeader(b), null);
    b.writeUInt16LE(0x20b, 0x80 + 24);
    assert.deepEqual(parsePeHeader(b), { machine: 'arm64', machineCode: 0xaa64, bits: 64, dll: true });
  });
  test('process architectures map to PE machines', () => {
    assert.deepEqual(['x64', 'ia32', 'arm64', 'ppc64'].map(peMachineOf), ['x64', 'x86', 'arm64', 'other']);
  });
});

describe('mingw-built drivers and doctor', { skip }, () => {
  let dir: string;
  const dll: Record<'x64' | 'x86', string> = { x64: '', x86: '' };
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-pe-'));
    for (const [arch, cc] of [['x64', 'x86_64-w64-mingw32-gcc'], ['x86', 'i686-w64-mingw32-gcc']] as const) {
      dll[arch] = path.join(dir, `p11-${arch}.dll`);
      execFileSync(cc, ['-shared', '-O1', '-o', dll[arch], SRC], { stdio: 'pipe' });
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('x86_64 and i686 builds read as 64- and 32-bit DLLs; an ELF library is not PE', () => {
    assert.deepEqual(readPeFile(dll.x64), { machine: 'x64', machineCode: 0x8664, bits: 64, dll: true });
    assert.deepEqual(readPeFile(dll.x86), { machine: 'x86', machineCode: 0x14c, bits: 32, dll: true });
    assert.equal(readPeFile(process.execPath), null);
  });

  test('doctor on 64-bit Windows: a 32-bit policy driver fails with DRIVER_ARCH_MISMATCH and the fix; a 64-bit one passes', async () => {
    const run = (modules: string[]) => {
      const policy = resolvePolicy({ platform: 'linux', machine: { status: 'read', path: '/p.json', document: { pkcs11Modules: modules } }, user: { status: 'absent' } });
      const deps: DoctorDeps = {
        now: new Date('2026-06-01T08:00:00Z'), platform: 'win32', arch: 'x64', osRelease: '10.0', versions: process.versions, env: {}, policy,
        appVersion: 'test', profileModules: async () => ({ profiles: 0, modules: [] }), libraryDirs: [], exists: (p) => fs.existsSync(p),
        describeModule: async () => ({ library: 'fake', slots: 1, tokens: 1 }), driverMachine: readPeFile,
        trustAnchors: async () => ({ anchors: [], errors: [] }), probePort: async () => false,
      };
      return diagnose(deps);
    };
    const bad = await run([dll.x86]);
    const arch = bad.checks.find((c) => c.id === 'driver-arch')!;
    assert.equal(arch.status, 'fail');
    assert.match(arch.message, /32 位 \(x86\).*64 位 \(x64\).*插上没反应/u);
    assert.equal(bad.checks.find((c) => c.id === 'pkcs11-modules')?.status, 'fail');
    const fact = (bad.facts['pkcs11Modules'] as Array<{ machine?: string; loads?: boolean; error?: { code: string } }>)[0]!;
    assert.deepEqual([fact.machine, fact.loads, fact.error?.code], ['x86', false, 'DRIVER_ARCH_MISMATCH']);
    assert.equal(bad.ok, false);

    const good = await run([dll.x64]);
    assert.equal(good.checks.find((c) => c.id === 'driver-arch')?.status, 'pass');
    assert.equal(good.checks.find((c) => c.id === 'pkcs11-modules')?.status, 'pass');
  });
});
