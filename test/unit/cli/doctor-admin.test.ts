// 环境检测 for help desks: portal reachability and clock skew against the portal's Date header
// (a local HTTP server plays the portal), a CA assistant's port held by another program (a free
// port we hold ourselves, passed as an option — the real 21051/21061/17212 are never bound),
// the guide's FAQ items with what to do, and a self-contained, escaped --html page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { run, type DoctorReport } from '../../../main/cli/commands/doctor.ts';
import { adminChecks, renderDoctorHtml } from '../../../main/cli/commands/doctor-admin.ts';
import { captureIO } from '../../support/cli.ts';
import { startBridgeServer } from '../../../main/bridge/server.ts';
import { issueLocalhostCertificate } from '../../../main/bridge/tls/localhost-certificate.ts';

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/** A portal listening on a free local port whose clock is `skewSeconds` behind ours. */
async function listeningPortal(skewSeconds: number): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((_req, res) => {
    res.sendDate = false;
    res.writeHead(200, { Date: new Date(Date.now() - skewSeconds * 1000).toUTCString() });
    res.end();
  });
  return { server, port: await listen(server) };
}

/** `doctor --json` with a home folder of its own (removed after the run) and a policy file there. */
async function doctor(args: string[]): Promise<{ code: number; report: DoctorReport }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doctor-admin-'));
  try {
    const policyFile = path.join(dir, 'policy.json');
    fs.writeFileSync(policyFile, JSON.stringify({ version: 1 }));
    fs.chmodSync(policyFile, 0o644);
    const t = captureIO({ env: { HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'cfg'), PATH: process.env['PATH'] }, cwd: dir });
    const code = await run(['--json', '--policy', policyFile, ...args], t.io);
    return { code, report: JSON.parse(t.out()) as DoctorReport };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('doctor --json: a portal 10 minutes off fails clock-skew with a fix, exits 1; a held assistant port warns', async () => {
  const { server, port } = await listeningPortal(600);
  const holder = net.createServer();
  try {
    const held = await listen(holder);
    const { code, report } = await doctor(['--portal', `http://127.0.0.1:${port}/`, '--assistant-ports', String(held)]);
    const byId = new Map(report.checks.map((c) => [c.id, c]));
    assert.equal(byId.get('portal-reachable')?.status, 'pass');
    const skew = byId.get('clock-skew')!;
    assert.equal(skew.status, 'fail');
    assert.match(skew.message, /快 (59\d|60\d) 秒/);
    assert.ok(skew.fix && skew.fixEn);
    assert.equal(code, 1, 'a failing check exits 1');
    const ports = byId.get('ca-assistant-ports')!;
    assert.equal(ports.status, 'warn');
    assert.equal(ports.code, 'BRIDGE_PORT_BUSY', 'a stable code for programs');
    assert.ok(ports.message.includes(String(held)));
    assert.ok(ports.fix?.includes('netstat') && ports.fixEn, 'the admin wording (what to do) is apart from the clerk wording');
    for (const id of ['faq-popup-blocker', 'faq-page-incomplete', 'faq-compat-mode']) assert.ok(byId.get(id)?.fix, id);
    for (const c of report.checks) assert.ok(['pass', 'warn', 'fail', 'skip'].includes(c.status), c.id);
  } finally {
    server.close();
    holder.close();
  }
});

test('doctor: a portal within the allowed skew passes; free ports pass; unreachable portal → warn and the clock check is skipped with a note', async () => {
  const { server, port } = await listeningPortal(5);
  const probe = net.createServer();
  try {
    const free = await listen(probe);
    await new Promise<void>((r) => probe.close(() => r()));
    const ok = await doctor(['--portal', `http://127.0.0.1:${port}/`, '--assistant-ports', String(free)]);
    const byId = new Map(ok.report.checks.map((c) => [c.id, c]));
    assert.equal(byId.get('clock-skew')?.status, 'pass');
    assert.equal(byId.get('ca-assistant-ports')?.status, 'pass');
    const off = await doctor(['--portal', `http://127.0.0.1:${free}/`, '--assistant-ports', String(free)]);
    const offById = new Map(off.report.checks.map((c) => [c.id, c]));
    assert.equal(offById.get('portal-reachable')?.status, 'warn');
    assert.equal(offById.get('clock-skew')?.status, 'skip');
    assert.match(offById.get('clock-skew')!.message, /跳过/);
  } finally {
    server.close();
  }
});

test('certificates expiring within 30 days warn, naming the store', async () => {
  const now = new Date('2026-12-02T00:00:00Z');
  const checks = await adminChecks({
    now, portalUrl: 'https://portal.invalid/', probePortal: async () => null, ports: [], portInUse: async () => false, clockSkewSeconds: 300,
    certificates: [
      { store: 'trust', subject: 'CN=Soon CA', notAfter: '2026-12-20T00:00:00Z' },
      { store: 'trust', subject: 'CN=Later CA', notAfter: '2027-06-01T00:00:00Z' },
    ],
  });
  const c = checks.find((x) => x.id === 'certificates-expiring')!;
  assert.equal(c.status, 'warn');
  assert.match(c.message, /CN=Soon CA（trust，2026-12-20）/);
  assert.doesNotMatch(c.message, /Later/);
});

test('doctor --html writes one self-contained page: zh-CN then English, no external resources, everything escaped', async () => {
  const html = renderDoctorHtml({ ok: false, checks: [{ id: 'x<y', status: 'fail', message: '<script>alert(1)</script>', messageEn: '"quoted" & <b>', fix: '<img src=x onerror=alert(1)>' }] }, new Date('2026-12-02T00:00:00Z'));
  assert.doesNotMatch(html, /<script|<img|<b>|onerror=alert\(1\)>/);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(html, /&quot;quoted&quot; &amp; &lt;b&gt;/);
  assert.doesNotMatch(html, /(src|href)\s*=\s*["']?(https?:|\/\/)/i, 'no external resources');
  assert.ok(html.indexOf('证书助手环境检测') < html.indexOf('Cert Assistant diagnostics</h1>'), 'Chinese first');
  assert.match(html, /<html lang="zh-CN">/);

  const { server, port } = await listeningPortal(0);
  try {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doctor-html-'));
    const out = path.join(dir, 'report.html');
    const r = await doctor(['--portal', `http://127.0.0.1:${port}/`, '--assistant-ports', '1', '--html', out]);
    const page = fs.readFileSync(out, 'utf8');
    assert.match(page, /portal-reachable/);
    assert.match(page, /faq-popup-blocker/);
    assert.ok(r.report.checks.length > 5);
    fs.rmSync(dir, { recursive: true, force: true });
  } finally {
    server.close();
  }
});

test('doctor tells our own bridge (ws and wss) from another program on a port: ours pass, the other one warns', async () => {
  const tls = await issueLocalhostCertificate();
  const bridge = await startBridgeServer({
    protocols: ['bjca'], ports: { bjcaWs: 0, bjcaWss: 0 }, tls: { cert: tls.certificatePem, key: tls.privateKeyPem },
    isAllowedOrigin: () => false,
    host: { certificates: async () => [], sign: async () => { throw new Error('unused'); }, decrypt: async () => { throw new Error('unused'); }, note: () => {} },
  });
  const holder = net.createServer((s) => s.destroy());
  try {
    const ours = bridge.endpoints.map((e) => e.port);
    assert.equal(ours.length, 2);
    const held = await listen(holder);
    const mixed = await doctor(['--portal', 'http://127.0.0.1:1/', '--assistant-ports', [...ours, held].join(',')]);
    const c = mixed.report.checks.find((x) => x.id === 'ca-assistant-ports')!;
    assert.equal(c.status, 'warn');
    assert.equal(c.code, 'BRIDGE_PORT_BUSY');
    assert.match(c.message, new RegExp(`^端口 ${held} 已被其他程序占用`));
    assert.match(c.message, new RegExp(`端口 ${ours.join('、')} 由证书助手自己应答`));
    const only = await doctor(['--portal', 'http://127.0.0.1:1/', '--assistant-ports', ours.join(',')]);
    const o = only.report.checks.find((x) => x.id === 'ca-assistant-ports')!;
    assert.equal(o.status, 'pass');
    assert.equal(o.code, undefined);
    assert.match(o.messageEn ?? '', /answered by Cert Assistant itself/);
  } finally {
    holder.close();
    await bridge.close();
  }
});
