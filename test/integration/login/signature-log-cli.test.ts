/**
 * `cert-assistant log` after real signatures: `login --pfx` records each signature (never the PIN or
 * the content), `log --json` lists them, `--export` writes a CSV clerks open in Excel, and
 * `--verify` exits 1 naming the first entry that was edited or removed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../main/cli/main.ts';
import { tbsFor } from '../../../main/login/tbs.ts';
import { getTestPki, type TestPki } from '../../fixtures/pki.ts';
import { runCli, type CliRun } from '../../support/cli.ts';

const ORIGIN = 'https://www.hbzwfw.gov.cn';
let pki: TestPki;
let home: string;

function cli(args: string[], stdin = ''): Promise<CliRun> {
  return runCli(main, args, { stdin, env: { ...process.env, CERT_ASSISTANT_HOME: home }, cwd: home });
}

const challenge = (): string => Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + Date.now()) & 0xff)).toString('base64');

before(async () => {
  pki = await getTestPki();
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-log-cli-'));
});
after(() => fs.rmSync(home, { recursive: true, force: true }));

interface Entry { seq: number; origin: string; protocol: string; operation: string; via: string; fingerprintSha256: string; uscc: string | null; enterprise: string | null; contentSha256: string }

test('each login is recorded with origin, certificate, enterprise, USCC and the SHA-256 of the tbs — never the PIN', async () => {
  const signed: { ch: string; id: string }[] = [];
  for (const id of ['hebca-ent', 'hebca-sm2-ent', 'cfca-ent']) {
    const ch = challenge();
    const r = await cli(['login', '--origin', ORIGIN, '--challenge', ch, '--pfx', pki.get(id).pfx!.modern!, '--pin-stdin'], '123456\n');
    assert.equal(r.code, 0, r.stderr);
    signed.push({ ch, id });
  }
  const listed = await cli(['log', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  const { entries } = JSON.parse(listed.stdout) as { entries: Entry[] };
  assert.equal(entries.length, 3);
  for (const [i, e] of entries.entries()) {
    const { ch, id } = signed[i]!;
    const fixture = pki.get(id);
    assert.equal(e.seq, i + 1);
    assert.equal(e.origin, ORIGIN);
    assert.equal(e.protocol, 'cert-login:1');
    assert.equal(e.operation, 'login');
    assert.equal(e.via, 'cli');
    assert.equal(e.uscc, fixture.expect.uscc);
    const der = Buffer.from(fs.readFileSync(fixture.certPem, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
    assert.equal(e.fingerprintSha256, createHash('sha256').update(der).digest('hex'));
    const algorithm = id.includes('sm2') ? 'SM2-SM3' : 'RS256';
    assert.equal(e.contentSha256, createHash('sha256').update(tbsFor(ORIGIN, ch, algorithm)).digest('hex'));
  }
  const raw = fs.readFileSync(path.join(home, 'signature-log.jsonl'), 'utf8');
  for (const { ch } of signed) assert.ok(!raw.includes(ch), 'the signed content itself is not stored');
  assert.ok(!raw.includes('"pin"') && !raw.includes('123456"'), 'no PIN in the log');

  const ok = await cli(['log', '--verify']);
  assert.equal(ok.code, 0, ok.stdout);
  assert.match(ok.stdout, /共 3 条/);

  const human = await cli(['log', '--certificate', entries[0]!.fingerprintSha256.slice(0, 12)]);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /登录/);
  assert.equal(human.stdout.trim().split('\n').length, 2, 'only the one certificate asked for (two lines an entry)');

  const csvFile = path.join(home, 'export.csv');
  const exp = await cli(['log', '--export', csvFile]);
  assert.equal(exp.code, 0, exp.stderr);
  const csv = fs.readFileSync(csvFile, 'utf8');
  assert.ok(csv.startsWith('\uFEFF序号,时间（北京时间）,网站'), 'UTF-8 BOM and Chinese headers for Excel');
  assert.equal(csv.trim().split('\r\n').length, 4);

  // Tamper: change the second entry's origin.
  const file = path.join(home, 'signature-log.jsonl');
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines[1] = lines[1]!.replace(ORIGIN, 'https://evil.example');
  fs.writeFileSync(file, lines.join('\n'));
  const bad = await cli(['log', '--verify']);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /SIGNATURE_LOG_TAMPERED/);
  assert.match(bad.stdout, /第 2 条记录被修改过/);
  const badJson = await cli(['log', '--verify', '--json']);
  assert.equal(badJson.code, 1);
  assert.deepEqual((({ ok, seq, reason }) => ({ ok, seq, reason }))(JSON.parse(badJson.stdout) as { ok: boolean; seq: number; reason: string }), { ok: false, seq: 2, reason: 'edited' });
});

test('log usage errors exit 2 with a zh-CN message', async () => {
  const r = await cli(['log', '--since', 'yesterday']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /日期格式/);
});

test('CSV cells that would run as Excel formulas (a hostile subject name) are defused', async () => {
  const { toCsv } = await import('../../../main/login/signature-log-export.ts');
  const csv = toCsv([{ seq: 1, prev: '0'.repeat(64), hash: '1'.repeat(64), at: '2026-12-02T01:00:00Z', origin: 'https://a.example', protocol: 'bjca-sof', operation: 'sign', via: 'bridge', fingerprintSha256: 'a'.repeat(64), enterprise: '=HYPERLINK("http://x","点我")', uscc: null, contentSha256: 'b'.repeat(64) }]);
  assert.match(csv, /,"'=HYPERLINK\(""http:\/\/x"",""点我""\)",/);
  assert.match(csv, /2026年12月2日 09:00:00/);
});
