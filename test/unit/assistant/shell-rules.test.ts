// The pure rules main/app applies: app:// asset paths, CSP, permissions, external links.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { resolveAssetPath, ASSISTANT_CSP, mimeTypeOf } from '../../../main/assistant/app-assets.ts';
import { isExternalLink, isPermissionAllowed } from '../../../main/assistant/permissions.ts';

const root = path.resolve('/opt/app/dist/renderer');

test('app:// serves only files inside the renderer folder', () => {
  assert.equal(resolveAssetPath(root, 'app://assistant/'), path.join(root, 'index.html'));
  assert.equal(resolveAssetPath(root, 'app://assistant/assets/index-x.js'), path.join(root, 'assets/index-x.js'));
  assert.equal(resolveAssetPath(root, 'app://assistant/a/../index.html?x#y'), path.join(root, 'index.html'));
  for (const bad of [
    'app://assistant/../../etc/passwd', 'app://assistant/%2e%2e/%2e%2e/etc/passwd', 'app://assistant/..%2f..%2fetc%2fpasswd',
    'app://assistant/%5c..%5c..%5cwindows', 'app://assistant/a%00.js', 'app://evil/index.html', 'file:///etc/passwd', 'app://assistant/%E0%A4%A',
    'not a url',
  ]) {
    const r = resolveAssetPath(root, bad);
    assert.ok(r === null || r.startsWith(root + path.sep), `${bad} -> ${r}`);
  }
  assert.equal(resolveAssetPath(root, 'app://evil/index.html'), null);
  assert.equal(mimeTypeOf('x.js'), 'text/javascript; charset=utf-8');
  assert.equal(mimeTypeOf('x.exe'), 'application/octet-stream');
});

test('CSP: no inline script, no eval, no network', () => {
  assert.match(ASSISTANT_CSP, /default-src 'none'/);
  assert.match(ASSISTANT_CSP, /script-src 'self'(;|$)/);
  assert.match(ASSISTANT_CSP, /connect-src 'none'/);
  assert.doesNotMatch(ASSISTANT_CSP, /unsafe-inline|unsafe-eval|\*/);
});

test('permissions: default deny for both page kinds', () => {
  for (const p of ['media', 'geolocation', 'notifications', 'midi', 'pointerLock', 'fullscreen', 'openExternal', 'hid', 'serial', 'usb', 'clipboard-read', 'display-capture', 'unknown-new-permission']) {
    assert.equal(isPermissionAllowed('portal', p), false, p);
    assert.equal(isPermissionAllowed('assistant', p), false, p);
  }
  assert.equal(isPermissionAllowed('assistant', 'clipboard-sanitized-write'), true);
});

test('external links: http(s) only', () => {
  assert.equal(isExternalLink('https://www.gov.cn/'), true);
  assert.equal(isExternalLink('http://www.hebei.gov.cn/'), true);
  for (const bad of ['file:///C:/Windows/system32/calc.exe', 'smb://host/share', 'ms-msdt:/id', 'javascript:alert(1)', 'https://u:p@x.cn/', 'mailto:a@b.c', '', 'https://']) {
    assert.equal(isExternalLink(bad), false, bad);
  }
});

