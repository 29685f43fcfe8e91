import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { main } from '../../../main/cli/main.ts';

function io() {
  const stdout = new PassThrough(), stderr = new PassThrough();
  let out = '', err = '';
  stdout.on('data', (d) => (out += d)); stderr.on('data', (d) => (err += d));
  return { io: { stdout, stderr, stdin: new PassThrough(), env: {}, cwd: process.cwd(), now: () => new Date() }, out: () => out, err: () => err };
}

test('unknown command is a usage error (exit 2) with a zh-CN message', async () => {
  const t = io();
  assert.equal(await main(['frobnicate'], t.io), 2);
  assert.match(t.err(), /未知命令/);
});

test('no command prints usage and exits 2', async () => {
  const t = io();
  assert.equal(await main([], t.io), 2);
  assert.match(t.err(), /用法/);
});
