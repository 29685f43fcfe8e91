import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { main } from '../../../main/cli/main.ts';

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough(), stderr = new PassThrough();
  let out = '', err = '';
  stdout.on('data', (d) => (out += d)); stderr.on('data', (d) => (err += d));
  const code = await main(['guide', ...args], { stdout, stderr, stdin: new PassThrough(), env: {}, cwd: process.cwd(), now: () => new Date('2026-11-26T12:00:00Z') });
  return { code, out, err };
}

test('guide sites --json: {sites:[{code,name,level,parent}]}', async () => {
  const r = await cli('sites', '--json');
  assert.equal(r.code, 0);
  const { sites } = JSON.parse(r.out) as { sites: { code: string; name: string; level: string; parent: string | null }[] };
  assert.equal(sites[0]!.code, '130000');
  assert.equal(sites[0]!.parent, null);
  for (const s of sites) {
    assert.ok(['province', 'city', 'county'].includes(s.level));
    assert.equal(typeof s.name, 'string');
    if (s.parent !== null) assert.ok(sites.some((p) => p.code === s.parent));
  }
  assert.ok(sites.some((s) => s.code === 'xiongan'));
  assert.ok(sites.some((s) => s.code === '130225' && s.name === '乐亭县' && s.parent === '130200'));
});

test('guide search --json with --site and --for: {results:[{id,title,site:{code,name},department,theme,for,score}]}', async () => {
  const r = await cli('search', '公积金', '--site', '130200', '--for', 'person', '--json');
  assert.equal(r.code, 0);
  const j = JSON.parse(r.out) as { total: number; results: { id: string; title: string; site: { code: string; name: string }; department: string; theme: string; for: string; score: number }[] };
  assert.ok(j.results.length > 0);
  for (const h of j.results) {
    assert.equal(typeof h.id, 'string');
    assert.match(h.title, /公积金/);
    assert.deepEqual(h.site, { code: '130200', name: '唐山市' });
    assert.equal(typeof h.department, 'string');
    assert.equal(typeof h.theme, 'string');
    assert.equal(h.for, 'person');
    assert.equal(typeof h.score, 'number');
  }
  const page = JSON.parse((await cli('search', '登记', '--limit', '5', '--offset', '5', '--json')).out) as { results: unknown[]; offset: number };
  assert.equal(page.results.length, 5);
  assert.equal(page.offset, 5);
});

test('guide search prints a readable zh-CN list with highlights', async () => {
  const r = await cli('search', '驾照', '--limit', '2');
  assert.equal(r.code, 0);
  assert.match(r.out, /共找到 \d+ 项/);
  assert.match(r.out, /【驾驶证】/);
  const none = await cli('search', '完全不存在的事项');
  assert.equal(none.code, 0);
  assert.match(none.out, /没有找到/);
});

test('guide ask --json: {answers:[{section,title,score,text}]} best first', async () => {
  const r = await cli('ask', '证书怎么绑定', '--json');
  assert.equal(r.code, 0);
  const { answers } = JSON.parse(r.out) as { answers: { section: string; title: string; score: number; text: string }[] };
  assert.equal(answers[0]!.section, '4.2.1');
  assert.equal(answers[0]!.title, '企业数字证书登录');
  assert.match(answers[0]!.text, /认证统一社会信用/);
  for (let i = 1; i < answers.length; i++) assert.ok(answers[i - 1]!.score >= answers[i]!.score);
});

test('guide item, manual and hot', async () => {
  const item = await cli('item', '130200/hpf-withdraw');
  assert.equal(item.code, 0);
  assert.match(item.out, /以门户网站公布为准/);
  assert.match(item.out, /https:\/\/ts\.hbzwfw\.gov\.cn/);
  assert.equal((await cli('item', 'nope/none')).code, 1);
  const toc = await cli('manual');
  assert.match(toc.out, /4\.2\.1 企业数字证书登录/);
  const sec = JSON.parse((await cli('manual', '9', '--json')).out) as { text: string };
  assert.match(sec.text, /0315-2806300/);
  const hot = JSON.parse((await cli('hot', '--site', '130102', '--json')).out) as { categories: unknown[] };
  assert.equal(hot.categories.length, 9);
});

test('usage errors exit 2, bad input exits 1, with zh-CN messages', async () => {
  for (const args of [['search'], ['search', 'x', '--for', 'company'], ['search', 'x', '--limit', 'many'], ['ask'], ['frob'], ['sites', '--bogus']]) {
    const r = await cli(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, /[\u4e00-\u9fff]/);
  }
  const bad = await cli('search', '公积金', '--site', '999999');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /GUIDE_UNKNOWN_SITE/);
});

test('guide import → signed bundle → guide install; an unsigned bundle is refused (exit 1, code)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-guide-cli-'));
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  fs.writeFileSync(path.join(dir, 'pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
  fs.writeFileSync(path.join(dir, 'priv.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  fs.writeFileSync(path.join(dir, 'rows.csv'), '事项名称,站点,实施主体,事项类型,服务对象,主题\n命令行导入事项,130100,石家庄市行政审批局,行政许可,法人,准营准办\n');
  const imp = await cli('import', path.join(dir, 'rows.csv'), '--out', path.join(dir, 'b.json'), '--version', '100', '--sign-key', path.join(dir, 'priv.pem'), '--json');
  assert.equal(imp.code, 0, imp.err);
  assert.equal(JSON.parse(imp.out).signed, true);
  const upd = path.join(dir, 'upd');
  fs.mkdirSync(upd);
  const ok = await cli('install', path.join(dir, 'b.json'), '--update-dir', upd, '--public-key', path.join(dir, 'pub.pem'), '--json');
  assert.equal(ok.code, 0, ok.err);
  const found = JSON.parse((await cli('search', '命令行导入', '--update-dir', upd, '--public-key', path.join(dir, 'pub.pem'), '--json')).out) as { results: { title: string }[] };
  assert.equal(found.results[0]!.title, '命令行导入事项');
  await cli('import', path.join(dir, 'rows.csv'), '--out', path.join(dir, 'u.json'), '--version', '101');
  const refused = await cli('install', path.join(dir, 'u.json'), '--update-dir', upd, '--public-key', path.join(dir, 'pub.pem'), '--json');
  assert.equal(refused.code, 1);
  assert.equal(JSON.parse(refused.out).error.code, 'BUNDLE_UNSIGNED');
  fs.rmSync(dir, { recursive: true, force: true });
});
