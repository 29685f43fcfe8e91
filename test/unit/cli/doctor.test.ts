import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { diagnose, formatReport, probeTcpPort, run, type DoctorDeps, type DoctorReport } from '../../../main/cli/commands/doctor.ts';
import { resolvePolicy } from '../../../main/policy/index.ts';
import { doctorDeps } from '../../support/doctor.ts';
import { getTestPki } from '../../fixtures/pki.ts';

const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';

function deps(over: Partial<DoctorDeps> = {}): DoctorDeps {
  return doctorDeps({
    profileModules: async () => ({ profiles: 2, modules: [{ profile: 'hebca', name: 'libhebca.so' }, { profile: 'bjca', name: 'libbjca.so' }] }),
    libraryDirs: ['/lib-a', '/lib-b'],
    exists: (p) => p === '/lib-b/libhebca.so',
    describeModule: async () => ({ library: 'Test 1.0', slots: 1, tokens: 1 }),
    ...over,
  });
}

const check = (r: DoctorReport, id: string) => {
  const c = r.checks.find((x) => x.id === id);
  assert.ok(c, `check ${id} present`);
  return c;
};

test('healthy machine: every check present, ok, facts for an admin', async () => {
  const r = await diagnose(deps());
  assert.equal(r.ok, true);
  assert.deepEqual(r.checks.map((c) => c.id), ['runtime', 'policy.machine', 'policy.user', 'portal', 'trust-anchors', 'ca-profiles', 'pkcs11-modules', 'hebca-middleware', 'clock']);
  for (const c of r.checks) assert.ok(['pass', 'warn', 'fail'].includes(c.status) && c.message.length > 0);
  const mods = r.facts['pkcs11Modules'] as { name: string; path: string | null; exists: boolean; loads?: boolean; source: string }[];
  assert.deepEqual(mods.map((m) => [m.name, m.path, m.exists, m.loads, m.source]), [
    ['libhebca.so', '/lib-b/libhebca.so', true, true, 'profile:hebca'],
    ['libbjca.so', null, false, undefined, 'profile:bjca'],
  ]);
  assert.equal(check(r, 'pkcs11-modules').status, 'pass');
  assert.deepEqual(r.facts['hebcaMiddleware'], { host: '127.0.0.1', port: 17212, listening: false });
  assert.equal((r.facts['runtime'] as { node: string }).node, process.versions.node);
  // zh-CN first; English when the policy's language says so.
  for (const c of r.checks) assert.ok(c.messageEn && !/[\u4e00-\u9fff]/.test(c.messageEn), `${c.id} has an English message`);
  assert.match(formatReport(r), /^证书助手环境诊断/);
  assert.match(formatReport(r, 'en'), /^Cert Assistant doctor[\s\S]*✔ clock\s+system time/);
});

test('bad machine policy fails the run; defaults stay in force', async () => {
  const policy = resolvePolicy({ platform: 'linux', user: { status: 'absent' }, machine: { status: 'read', path: '/etc/p.json', document: { allowedOrigins: ['http://evil.example.com'] } } });
  const r = await diagnose(deps({ policy }));
  assert.equal(r.ok, false);
  const c = check(r, 'policy.machine');
  assert.equal(c.status, 'fail');
  assert.match(c.message, /\/allowedOrigins\/0/);
  assert.match(c.message, /默认设置仍然生效/);
  assert.deepEqual((r.facts['policy'] as { effective: { allowedOrigins: string[] } }).effective.allowedOrigins.length, 3);
});

test('drivers: policy module missing fails; profile module that does not load warns; none installed warns', async () => {
  const policy = resolvePolicy({ platform: 'linux', user: { status: 'absent' }, machine: { status: 'read', document: { pkcs11Modules: ['/opt/vendor/libmissing.so'] } } });
  const missing = await diagnose(deps({ policy }));
  assert.equal(check(missing, 'pkcs11-modules').status, 'fail');
  assert.equal(missing.ok, false);

  const broken = await diagnose(deps({ describeModule: async () => { throw Object.assign(new Error('x'), { code: 'X' }); } }));
  assert.equal(check(broken, 'pkcs11-modules').status, 'warn');
  const fact = (broken.facts['pkcs11Modules'] as { loads?: boolean; error?: { code: string } }[])[0];
  assert.equal(fact?.loads, false);
  assert.equal(fact?.error?.code, 'MODULE_LOAD_FAILED');

  const none = await diagnose(deps({ exists: () => false }));
  assert.equal(check(none, 'pkcs11-modules').status, 'warn');
  assert.equal(none.ok, true);

  const badProfiles = await diagnose(deps({ profileModules: async () => { throw new Error('broken json'); } }));
  assert.equal(check(badProfiles, 'ca-profiles').status, 'fail');
});

test('trust anchors: none warns, a missing configured folder fails', async () => {
  assert.equal(check(await diagnose(deps({ trustAnchors: async () => ({ anchors: [], errors: [] }) })), 'trust-anchors').status, 'warn');
  const r = await diagnose(deps({ trustAnchors: async () => ({ anchors: [], errors: [{ code: 'TRUST_PATH_NOT_FOUND', message: '找不到信任证书路径：/x' }] }) }));
  assert.equal(check(r, 'trust-anchors').status, 'fail');
});

test('clock: implausible times fail; a non-China time zone on Windows warns', async () => {
  assert.equal(check(await diagnose(deps({ now: new Date('2001-01-01T00:00:00Z') })), 'clock').status, 'fail');
  assert.equal(check(await diagnose(deps({ now: new Date('2150-01-01T00:00:00Z') })), 'clock').status, 'fail');
  assert.equal(check(await diagnose(deps({ now: new Date(Number.NaN) })), 'clock').status, 'fail');
  const utc = new Date('2026-06-01T08:00:00Z');
  const tzOffset = utc.getTimezoneOffset();
  const win = await diagnose(deps({ now: utc, platform: 'win32' }));
  assert.equal(check(win, 'clock').status, tzOffset === -480 ? 'pass' : 'warn');
});

test('port probe: sees a real listener on 127.0.0.1 and reports a closed port', async () => {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  try {
    assert.equal(await probeTcpPort('127.0.0.1', port, 500), true);
    const r = await diagnose(deps({ probePort: probeTcpPort, hebcaPort: port }));
    assert.deepEqual(r.facts['hebcaMiddleware'], { host: '127.0.0.1', port, listening: true });
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
  assert.equal(await probeTcpPort('127.0.0.1', port, 500), false);
});

function io(env: NodeJS.ProcessEnv) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  return { io: { stdout, stderr, stdin: new PassThrough(), env, cwd: process.cwd(), now: () => new Date() }, out: () => out, err: () => err };
}

test('CLI: --json with a policy naming SoftHSM2 loads it in the key-store worker; test PKI root as trust anchor', async (t) => {
  if (!fs.existsSync(SOFTHSM)) {
    t.skip('SoftHSM2 not installed');
    return;
  }
  const pki = await getTestPki();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-doctor-'));
  try {
    fs.mkdirSync(path.join(tmp, 'tokens'));
    fs.mkdirSync(path.join(tmp, 'trust'));
    fs.copyFileSync(pki.get('hebca-root').certPem, path.join(tmp, 'trust', 'hebca-root.pem'));
    const conf = path.join(tmp, 'softhsm2.conf');
    fs.writeFileSync(conf, `directories.tokendir = ${path.join(tmp, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    const env = { ...process.env, SOFTHSM2_CONF: conf, HOME: tmp, XDG_CONFIG_HOME: path.join(tmp, 'cfg') };
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'doctor', '--pin', '123456', '--so-pin', '12345678'], { env, stdio: 'ignore' });
    const policyFile = path.join(tmp, 'policy.json');
    fs.writeFileSync(policyFile, JSON.stringify({ version: 1, pkcs11Modules: [SOFTHSM], trustAnchorDirs: [path.join(tmp, 'trust')] }));
    fs.chmodSync(policyFile, 0o644);

    const t1 = io(env);
    const code = await run(['--json', '--policy', policyFile], t1.io);
    const report = JSON.parse(t1.out()) as DoctorReport;
    assert.equal(code, report.ok ? 0 : 1);
    assert.equal(report.checks.find((c) => c.id === 'policy.machine')?.status, 'pass');
    assert.equal(report.checks.find((c) => c.id === 'pkcs11-modules')?.status, 'pass', JSON.stringify(report.facts['pkcs11Modules']));
    const mod = (report.facts['pkcs11Modules'] as { path: string; loads?: boolean; library?: string; tokens?: number }[]).find((m) => m.path === SOFTHSM);
    assert.equal(mod?.loads, true);
    assert.match(mod?.library ?? '', /SoftHSM/);
    assert.ok((mod?.tokens ?? 0) >= 1);
    const anchors = report.facts['trustAnchors'] as { anchors: { subject: string }[] };
    assert.ok(anchors.anchors.some((a) => /HEBCA Root CA/.test(a.subject)));

    // A broken policy: exit 1, the JSON path in the message, still a full report.
    fs.writeFileSync(policyFile, JSON.stringify({ version: 1, pkcs11Modules: ['relative.so'] }));
    const t2 = io(env);
    assert.equal(await run(['--json', '--policy', policyFile], t2.io), 1);
    const bad = JSON.parse(t2.out()) as DoctorReport;
    assert.equal(bad.ok, false);
    assert.match(bad.checks.find((c) => c.id === 'policy.machine')?.message ?? '', /\/pkcs11Modules\/0/);

    // Human output is zh-CN first.
    const t3 = io(env);
    await run(['--policy', policyFile], t3.io);
    assert.match(t3.out(), /证书助手环境诊断/);
    assert.match(t3.out(), /✘ policy\.machine/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('CLI usage errors exit 2; a missing --policy file exits 1', async () => {
  const t1 = io({});
  assert.equal(await run(['--bogus'], t1.io), 2);
  assert.match(t1.err(), /参数错误/);
  const t2 = io({});
  assert.equal(await run(['--timeout', 'abc'], t2.io), 2);
  const t3 = io({});
  assert.equal(await run(['--policy', '/nonexistent/policy.json'], t3.io), 1);
  assert.match(t3.err(), /找不到策略文件/);
});
