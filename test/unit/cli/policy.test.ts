import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../../main/cli/main.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-policy-cli-'));
// HOME and XDG_CONFIG_HOME point into the temp folder: no real user settings are read.
const env = { HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'config') };

async function cli(args: string[]) {
  const stdout = new PassThrough(), stderr = new PassThrough();
  let out = '', err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await main(args, { stdout, stderr, stdin: new PassThrough(), env, cwd: dir, now: () => new Date() });
  return { code, out, err };
}

function write(name: string, content: unknown): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

test('policy show --json --policy FILE: effective values with their source (file or default), exit 0', async () => {
  const file = write('good.json', { clockSkewSeconds: 60, pkcs11Modules: ['/usr/lib/softhsm/libsofthsm2.so'] });
  const r = await cli(['policy', 'show', '--json', '--policy', 'good.json']);
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as { ok: boolean; values: Record<string, { value: unknown; source: string }>; sources: Array<{ layer: string; status: string; path?: string }> };
  assert.equal(out.ok, true);
  assert.deepEqual(out.values['clockSkewSeconds'], { value: 60, source: `file:${file}` });
  assert.deepEqual(out.values['pkcs11Modules'], { value: ['/usr/lib/softhsm/libsofthsm2.so'], source: `file:${file}` });
  assert.deepEqual(out.values['language'], { value: 'zh-CN', source: 'default' });
  assert.equal(out.sources.find((s) => s.layer === 'machine')?.path, file);
  // No registry off Windows.
  assert.ok(!out.sources.some((s) => s.layer.includes('registry')));
});

test('policy show: user settings show as "user"; the text form names each source', async () => {
  fs.mkdirSync(path.join(dir, 'config', 'cert-assistant'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'config', 'cert-assistant', 'settings.json'), JSON.stringify({ language: 'en' }));
  try {
    const r = await cli(['policy', 'show', '--policy', write('skew.json', { clockSkewSeconds: 10 })]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /language\s+"en"\s+← 用户设置 \/ user/);
    assert.match(r.out, /clockSkewSeconds\s+10\s+← 策略文件 \/ file:/);
    assert.match(r.out, /portalHome\s+"https:\/\/www\.hbzwfw\.gov\.cn"\s+← 默认值 \/ default/);
  } finally {
    fs.rmSync(path.join(dir, 'config'), { recursive: true, force: true });
  }
});

test('a bad policy file exits 1 with POLICY_INVALID (the JSON path named); the defaults are shown as in force', async () => {
  write('bad.json', { clockSkewSeconds: 99999 });
  const r = await cli(['policy', 'show', '--json', '--policy', 'bad.json']);
  assert.equal(r.code, 1);
  assert.match(r.err, /POLICY_INVALID/);
  assert.match(r.err, /clockSkewSeconds/);
  const out = JSON.parse(r.out) as { ok: boolean; values: Record<string, { value: unknown; source: string }>; problems: Array<{ code: string }> };
  assert.equal(out.ok, false);
  assert.deepEqual(out.values['clockSkewSeconds'], { value: 300, source: 'default' });
  assert.equal(out.problems[0]?.code, 'POLICY_INVALID');

  const notJson = await cli(['policy', 'show', '--policy', write('broken.json', '{ "language": ')]);
  assert.equal(notJson.code, 1);
  assert.match(notJson.err, /POLICY_INVALID/);
  const missing = await cli(['policy', 'show', '--policy', 'nope.json']);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /POLICY_NOT_FOUND/);
});

test('usage: policy needs the show subcommand; unknown options exit 2', async () => {
  assert.equal((await cli(['policy'])).code, 2);
  assert.equal((await cli(['policy', 'edit'])).code, 2);
  assert.equal((await cli(['policy', 'show', '--bogus'])).code, 2);
  const help = await cli(['policy', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /registry:HKLM/);
});
