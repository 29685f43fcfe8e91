/**
 * doctor's world for tests: a Linux machine on a fixed date with no policy file, one trust anchor,
 * no CA assistant listening. Each test passes the drivers it is about.
 */
import type { DoctorDeps } from '../../main/cli/commands/doctor.ts';
import { resolvePolicy } from '../../main/policy/index.ts';

export function doctorDeps(drivers: Pick<DoctorDeps, 'profileModules' | 'libraryDirs' | 'exists'> & Partial<DoctorDeps>): DoctorDeps {
  return {
    now: new Date('2026-06-01T08:00:00Z'),
    platform: 'linux',
    arch: 'x64',
    osRelease: '6.0',
    versions: process.versions,
    env: {},
    policy: resolvePolicy({ platform: 'linux', machine: { status: 'absent' }, user: { status: 'absent' } }),
    appVersion: '0.0.0-test',
    trustAnchors: async () => ({ anchors: [{ subject: 'CN=Root', notAfter: '2040-01-01T00:00:00.000Z', fingerprintSha256: 'ab' }], errors: [] }),
    probePort: async () => false,
    ...drivers,
  };
}
