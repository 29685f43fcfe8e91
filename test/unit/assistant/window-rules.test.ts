import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downloadDecision, initialWindowSize } from '../../../main/assistant/window-rules.ts';

test('the window opens maximised on the portal-recommended 1366x768 (and its 1366x728 work area), sized to large screens otherwise', () => {
  assert.equal(initialWindowSize({ width: 1366, height: 728 }).maximize, true);
  assert.equal(initialWindowSize({ width: 1280, height: 984 }).maximize, true);
  const big = initialWindowSize({ width: 1920, height: 1040 });
  assert.equal(big.maximize, false);
  assert.ok(big.width <= 1920 && big.height <= 1040 && big.width >= 960 && big.height >= 640);
  const tiny = initialWindowSize({ width: 1024, height: 600 });
  assert.ok(tiny.width <= 1024 && tiny.height <= 600);
});

test('downloads: receipts and forms are offered for saving; programs, scripts and shortcuts never', () => {
  for (const ok of ['回执.pdf', '申请表.docx', 'form.ofd', '营业执照.jpg', '材料.zip', '报表.xlsx']) assert.deepEqual(downloadDecision(ok), { allowed: true, fileName: ok });
  for (const bad of ['setup.exe', 'x.MSI', 'run.bat', 'a.ps1', '发票.pdf.lnk', 'y.hta', 'z.js', 'w.scr', 'v.reg', 'u.jar']) {
    const d = downloadDecision(bad);
    assert.equal(d.allowed, false, bad);
    assert.ok(!d.allowed && d.code === 'DOWNLOAD_EXECUTABLE' && d.message.includes(bad), bad);
  }
  // Hidden tricks: path segments, trailing dots/spaces, right-to-left overrides.
  assert.deepEqual(downloadDecision('..\\..\\Windows\\回执.pdf'), { allowed: true, fileName: '回执.pdf' });
  assert.equal(downloadDecision('evil.exe. . ').allowed, false);
  assert.equal(downloadDecision('invoice\u202Efdp.exe').allowed, false);
  assert.deepEqual(downloadDecision(''), { allowed: true, fileName: '下载文件' });
});
