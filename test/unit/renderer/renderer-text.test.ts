import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { en, zh, translate, type MessageKey } from '../../../renderer/i18n.ts';
import { formatDate, formatTime, highlightRuns } from '../../../renderer/format.ts';

const rendererDir = fileURLToPath(new URL('../../../renderer/', import.meta.url));
const CJK = /[\u3400-\u9fff]/;
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('i18n: every key in both languages, nothing empty, same placeholders', () => {
  const zhKeys = Object.keys(zh).sort();
  assert.deepEqual(Object.keys(en).sort(), zhKeys);
  for (const k of zhKeys as MessageKey[]) {
    assert.ok(zh[k].trim().length > 0, `zh ${k} empty`);
    assert.ok(en[k].trim().length > 0, `en ${k} empty`);
    assert.deepEqual(placeholders(en[k]), placeholders(zh[k]), `placeholders differ for ${k}`);
  }
});

test('i18n: Chinese first — zh strings are Chinese, English ones are not', () => {
  // Keys whose text is a name, a symbol or the other language's label.
  const neutral = new Set<MessageKey>(['lang.toggle', 'guide.listSeparator', 'certs.source.usb']);
  for (const k of Object.keys(zh) as MessageKey[]) {
    if (neutral.has(k)) continue;
    if (!/^[\s—.…]*$/.test(zh[k]) && /[A-Za-z]{3}/.test(zh[k]) && !CJK.test(zh[k])) assert.fail(`zh ${k} looks untranslated: ${zh[k]}`);
    assert.equal(CJK.test(en[k]), false, `en ${k} contains Chinese: ${en[k]}`);
  }
  assert.equal(CJK.test(en['lang.toggle']), true, 'the toggle names the other language');
});

test('i18n: every key the screens use exists', () => {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const f of fs.readdirSync(d, { withFileTypes: true })) {
      if (f.isDirectory()) walk(path.join(d, f.name));
      else if (/\.tsx?$/.test(f.name)) files.push(path.join(d, f.name));
    }
  };
  walk(rendererDir);
  const keys = new Set(Object.keys(zh));
  let used = 0;
  for (const f of files) {
    const src = fs.readFileSync(f, 'utf8');
    for (const m of src.matchAll(/\bt\('([\w.]+)'/g)) {
      used++;
      assert.ok(keys.has(m[1]!), `${path.basename(f)} uses missing key ${m[1]}`);
    }
    for (const m of src.matchAll(/\bt\(`([\w.]+)\$\{/g)) {
      assert.ok([...keys].some((k) => k.startsWith(m[1]!)), `${path.basename(f)} uses missing key family ${m[1]}`);
    }
  }
  assert.ok(used > 50, `found ${used} uses`);
});

test('legal-person kinds: every kind the USCC decoder gives has an English label', async () => {
  const { LEGAL_PERSON_KIND_EN } = await import('../../../renderer/i18n.ts');
  assert.deepEqual(Object.keys(LEGAL_PERSON_KIND_EN).sort(), ['企业法人', '机关/群体', '事业单位', '基金会', '民办非企业', '社会团体', '其他'].sort());
});

test('translate fills placeholders and leaves unknown ones', () => {
  assert.equal(translate('zh', 'guide.results', { n: 3 }), '共 3 个事项');
  assert.equal(translate('en', 'guide.results', { n: 3 }), '3 services');
  assert.equal(translate('en', 'guide.page', { page: 1 }), 'Page 1 of {pages}');
});

test('dates read as people read them, in Beijing time', () => {
  assert.equal(formatDate('2026-11-26T00:00:00Z', 'zh'), '2026年11月26日');
  assert.equal(formatDate('2026-11-26T17:00:00Z', 'zh'), '2026年11月27日', 'after 16:00 UTC it is the next day in Beijing');
  assert.equal(formatDate('2027-01-05T00:00:00Z', 'en'), '5 Jan 2027');
  assert.equal(formatTime('2026-11-26T01:02:00Z', 'zh'), '2026年11月26日 09:02');
  assert.equal(formatDate('not a date', 'zh'), '—');
});

test('highlight runs: clamped, merged, in order', () => {
  assert.deepEqual(highlightRuns('企业设立登记', [{ start: 2, end: 4 }]), [
    { text: '企业', hit: false }, { text: '设立', hit: true }, { text: '登记', hit: false },
  ]);
  assert.deepEqual(highlightRuns('abc', [{ start: 1, end: 99 }, { start: 0, end: 2 }, { start: 5, end: 1 }]), [
    { text: 'ab', hit: true }, { text: 'c', hit: true },
  ]);
  assert.deepEqual(highlightRuns('abc', undefined), [{ text: 'abc', hit: false }]);
});
