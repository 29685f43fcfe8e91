import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { main } from '../../../main/cli/main.ts';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough(), stderr = new PassThrough();
  let out = '', err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await main(args, { stdout, stderr, stdin: new PassThrough(), env: {}, cwd: process.cwd(), now: () => new Date('2026-06-01T00:00:00Z') });
  return { code, out, err };
}

const KEYS = ['input', 'normalized', 'valid', 'checkChar', 'expectedCheckChar', 'registrationAuthority', 'orgType', 'region', 'orgCode', 'warnings'];

test('uscc --json: one object per input, in order, exact keys; exit 0 when all valid', async () => {
  const r = await cli(['uscc', '--json', '91440300708461136T', '12100000470095016Q']);
  assert.equal(r.code, 0);
  const arr = JSON.parse(r.out) as Record<string, unknown>[];
  assert.equal(arr.length, 2);
  assert.deepEqual(arr.map((o) => o['input']), ['91440300708461136T', '12100000470095016Q']);
  for (const o of arr) assert.deepEqual(Object.keys(o), KEYS);
  assert.deepEqual(arr[0]!['orgType'], { code: '91', name: '企业', legalPersonKind: '企业法人' });
  assert.deepEqual(Object.keys(arr[0]!['region'] as object), ['code', 'name', 'province', 'city', 'county', 'retired']);
  assert.deepEqual(arr[0]!['orgCode'], { value: '708461136', valid: true });
});

test('uscc --json: exit 1 when any input is invalid, still one object each', async () => {
  const r = await cli(['uscc', '--json', '91440300708461136T', '91440300708461136X', 'junk']);
  assert.equal(r.code, 1);
  const arr = JSON.parse(r.out) as { valid: boolean; expectedCheckChar: string | null }[];
  assert.deepEqual(arr.map((o) => o.valid), [true, false, false]);
  assert.equal(arr[1]!.expectedCheckChar, 'T');
});

test('usage errors exit 2', async () => {
  assert.equal((await cli(['uscc'])).code, 2);
  assert.equal((await cli(['uscc', '--json'])).code, 2);
  const r = await cli(['uscc', '--nope', 'x']);
  assert.equal(r.code, 2);
  assert.match(r.err, /用法/);
});

test('human report is zh-CN, describes other identifier kinds and masks ID numbers', async () => {
  const r = await cli(['uscc', '91440300708461136T', '11010519491231002X', '70846113-6', '440301103097413']);
  assert.equal(r.code, 1);
  assert.match(r.out, /有效的统一社会信用代码/);
  assert.match(r.out, /企业法人/);
  assert.match(r.out, /广东省深圳市/);
  assert.match(r.out, /110105\*{8}002X/);
  assert.ok(!r.out.includes('11010519491231002X'));
  assert.match(r.out, /组织机构代码/);
  assert.match(r.out, /15 位工商注册号/);
});
