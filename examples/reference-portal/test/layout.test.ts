import { test } from 'node:test';
import assert from 'node:assert/strict';
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
