import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assemblePages } from '../pages.ts';

const PUBLIC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'public');

test('every page is one complete document: the shared banner, navigation and footer once, its own title and script in the head', () => {
  const pages = assemblePages(PUBLIC);
  assert.deepEqual([...pages.keys()], ['account', 'agreement', 'index', 'login-cert', 'login-sof', 'login', 'register']);
  for (const [name, html] of pages) {
    assert.match(html, /^<!doctype html>\n<html lang="zh-CN">/, name);
    const head = html.slice(0, html.indexOf('</head>'));
    assert.equal(head.match(/<title>[^<]+ - 河北政务服务网（参考门户）<\/title>/g)?.length, 1, `${name}: one title in the head`);
    assert.equal(head.match(/<script type="module" src="\/static\/[a-z-]+\.js"><\/script>/g)?.length, 1, `${name}: one module script in the head`);
    for (const part of ['<header class="banner">', '<nav class="main" aria-label="主导航">', '<main>', '</main>', '<footer>']) {
      assert.equal(html.split(part).length, 2, `${name}: ${part} once`);
    }
    assert.ok(html.indexOf('</nav>') < html.indexOf('<main>') && html.indexOf('</main>') < html.indexOf('<footer>'), name);
    assert.doesNotMatch(html, /<!--#page-/, `${name}: no slot left`);
  }
});

test('a part two pages share (the manual token form) is filled in on each with its own submit label, no directive or placeholder left', () => {
  const pages = assemblePages(PUBLIC);
  for (const [name, label] of [['account', '提交令牌绑定'], ['login-cert', '提交令牌登录']] as const) {
    const html = pages.get(name)!;
    assert.equal(html.split('<form id="token-form" novalidate>').length, 2, `${name}: the form once`);
    assert.match(html, new RegExp(`<button class="primary" type="submit">${label}</button>`), name);
  }
  for (const [name, html] of pages) assert.doesNotMatch(html, /<!--#part|\{\{/, `${name}: no part left`);
});

test('a part whose placeholder gets no value stops the assembly, naming the page and the value', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portal-parts-'));
  try {
    mkdirSync(path.join(dir, 'parts'));
    writeFileSync(path.join(dir, 'layout.html'), '<!doctype html><head><!--#page-head--></head><body><!--#page-main--></body>');
    writeFileSync(path.join(dir, 'parts', 'box.html'), '<p>{{text}}</p>\n');
    writeFileSync(path.join(dir, 'a.html'), '<title>a</title>\n<main>\n<!--#part box-->\n</main>\n');
    assert.throws(() => assemblePages(dir), /a\.html: part box needs a value for text/);
    writeFileSync(path.join(dir, 'a.html'), '<title>a</title>\n<main>\n  <!--#part box text="$& 好"-->\n</main>\n');
    assert.match(assemblePages(dir).get('a')!, /<main>\n<p>\$& 好<\/p>\n<\/main>/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
