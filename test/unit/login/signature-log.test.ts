/**
 * The signature log: hash-chained, append-only, safe with several writer processes; `verify`
 * names the first entry that was edited, removed or damaged.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GENESIS, LOG_FILE, SignatureLog, signatureRecord, sha256Hex, type SignatureRecord } from '../../../main/login/signature-log.ts';

const dirs: string[] = [];
after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });
function freshDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-siglog-'));
  dirs.push(d);
  return d;
}

const FP = 'ab'.repeat(32);
function record(i: number, over: Partial<SignatureRecord> = {}): SignatureRecord {
  return signatureRecord({
    certificate: { fingerprintSha256: FP, enterpriseName: '河北测试科技有限公司', uscc: '91130100MA0CHR4T5N' },
    origin: 'https://www.hbzwfw.gov.cn', protocol: 'cert-login:1', operation: 'login', via: 'app',
    content: Buffer.from(`tbs ${i}`), now: new Date(Date.UTC(2026, 11, 2, 1, 0, i)), ...over,
  });
}

async function filled(n: number): Promise<SignatureLog> {
  const log = new SignatureLog(freshDir());
  for (let i = 1; i <= n; i++) await log.append(record(i));
  // Settled: the last append's head file is written on the event loop's next turn.
  await new Promise((r) => setImmediate(r));
  return log;
}

function lines(log: SignatureLog): string[] {
  return fs.readFileSync(log.file, 'utf8').split('\n').filter(Boolean);
}
function rewrite(log: SignatureLog, ls: string[]): void {
  fs.writeFileSync(log.file, ls.map((l) => l + '\n').join(''));
}

test('entries chain: seq from 1, prev is the hash before (genesis first), content only as its SHA-256', async () => {
  const log = await filled(3);
  const es = log.entries();
  assert.deepEqual(es.map((e) => e.seq), [1, 2, 3]);
  assert.equal(es[0]!.prev, GENESIS);
  assert.equal(es[1]!.prev, es[0]!.hash);
  assert.equal(es[2]!.prev, es[1]!.hash);
  assert.equal(es[0]!.contentSha256, sha256Hex(Buffer.from('tbs 1')));
  assert.deepEqual(Object.keys(es[0]!).sort(), ['at', 'contentSha256', 'enterprise', 'fingerprintSha256', 'hash', 'operation', 'origin', 'prev', 'protocol', 'seq', 'uscc', 'via']);
  assert.deepEqual(log.verify(), { ok: true, entries: 3 });
});

test('an empty or missing log verifies as intact with 0 entries', () => {
  assert.deepEqual(new SignatureLog(freshDir()).verify(), { ok: true, entries: 0 });
});

test('an edited field is found at that entry', async () => {
  const log = await filled(4);
  const ls = lines(log);
  ls[1] = ls[1]!.replace('河北测试科技有限公司', '另一家公司');
  rewrite(log, ls);
  const v = log.verify();
  assert.equal(v.ok, false);
  assert.ok(!v.ok && v.seq === 2 && v.reason === 'edited');
});

test('an entry edited with its own hash recomputed is still found (the next entry no longer links to it)', async () => {
  const log = await filled(4);
  const es = log.entries();
  const forged = { ...es[1]!, origin: 'https://evil.example' };
  const { createHash } = await import('node:crypto');
  const { hash: _h, ...body } = forged;
  forged.hash = createHash('sha256').update(JSON.stringify([body.seq, body.prev, body.at, body.origin, body.protocol, body.operation, body.via, body.fingerprintSha256, body.enterprise, body.uscc, body.contentSha256])).digest('hex');
  const ls = lines(log);
  ls[1] = JSON.stringify(forged);
  rewrite(log, ls);
  const v = log.verify();
  assert.ok(!v.ok && v.seq === 2 && v.reason === 'edited', JSON.stringify(v));
});

test('a removed entry in the middle is named', async () => {
  const log = await filled(5);
  const ls = lines(log);
  ls.splice(2, 1);
  rewrite(log, ls);
  const v = log.verify();
  assert.ok(!v.ok && v.seq === 3 && v.reason === 'removed', JSON.stringify(v));
});

test('entries cut off the end are found through the head file', async () => {
  const log = await filled(5);
  rewrite(log, lines(log).slice(0, 3));
  const v = log.verify();
  assert.ok(!v.ok && v.seq === 4 && v.reason === 'removed', JSON.stringify(v));
});

test('a damaged line is named as unreadable, and appending refuses to build on a damaged tail', async () => {
  const log = await filled(3);
  const ls = lines(log);
  ls[2] = ls[2]!.slice(0, 40);
  rewrite(log, ls);
  const v = log.verify();
  assert.ok(!v.ok && v.seq === 3 && v.reason === 'unreadable', JSON.stringify(v));
  await assert.rejects(log.append(record(9)), { code: 'SIGNATURE_LOG_TAMPERED' });
});

test('a deleted head file with entries left is reported, not silently accepted', async () => {
  const log = await filled(2);
  fs.rmSync(path.join(log.dir, 'signature-log.head'));
  assert.equal(log.verify().ok, false);
});

test('an append resolves once its entry is in the log; the head file and the lock follow on the next turn', async () => {
  const log = new SignatureLog(freshDir());
  const head = path.join(log.dir, 'signature-log.head');
  await log.append(record(1));
  assert.equal(lines(log).length, 1, 'the entry is written before the caller goes on');
  assert.ok(fs.existsSync(`${log.file}.lock`), 'still under the lock until the head is written');
  await new Promise((r) => setImmediate(r));
  assert.equal(JSON.parse(fs.readFileSync(head, 'utf8')).seq, 1);
  assert.ok(!fs.existsSync(`${log.file}.lock`), 'the lock is released');
  // Back to back, and another writer of the same folder in between: one chain, the tail re-read when it moved.
  await log.append(record(2));
  await new SignatureLog(log.dir).append(record(3));
  await log.append(record(4));
  assert.deepEqual(log.verify(), { ok: true, entries: 4 });
  assert.deepEqual(log.entries().map((e) => e.seq), [1, 2, 3, 4]);
});

test('bad records are refused with a code (nothing written)', async () => {
  const log = new SignatureLog(freshDir());
  await assert.rejects(log.append({ ...record(1), fingerprintSha256: 'xyz' }), { code: 'SIGNATURE_LOG_INVALID' });
  await assert.rejects(log.append({ ...record(1), operation: 'steal' as never }), { code: 'SIGNATURE_LOG_INVALID' });
  assert.equal(log.entries().length, 0);
});

test('several processes appending at once keep one unbroken chain', async () => {
  const dir = freshDir();
  const moduleUrl = new URL('../../../main/login/signature-log.ts', import.meta.url).href;
  const script = `
    const { SignatureLog, signatureRecord } = await import(${JSON.stringify(moduleUrl)});
    const log = new SignatureLog(${JSON.stringify(dir)});
    for (let i = 0; i < 10; i++) await log.append(signatureRecord({ certificate: { fingerprintSha256: '${FP}', enterpriseName: null, uscc: null },
      origin: 'https://a.example', protocol: 'bjca-sof', operation: 'sign', via: 'bridge', content: Buffer.from(process.pid + ':' + i), now: new Date() }));`;
  await Promise.all(Array.from({ length: 4 }, () => new Promise<void>((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (c: Buffer) => { err += c; });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(err))));
  })));
  const log = new SignatureLog(dir);
  assert.deepEqual(log.verify(), { ok: true, entries: 40 });
  assert.equal(new Set(log.entries().map((e) => e.contentSha256)).size, 40);
  if (process.platform !== 'win32') assert.equal(fs.statSync(path.join(dir, LOG_FILE)).mode & 0o077, 0, 'the log is private to the user');
});
