import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPortalOriginAllowList, parseOriginRule, originOfFrameUrl } from '../../../common/portal-origins.ts';

const list = createPortalOriginAllowList([
  'https://www.hbzwfw.gov.cn',
  'https://*.hbzwfw.gov.cn',
  'http://127.0.0.1:8443',
  'https://政务.example.cn',
]);

// [url, allowed?, why]
const urlCases: [string, boolean, string][] = [
  ['https://www.hbzwfw.gov.cn/', true, 'main site'],
  ['https://www.hbzwfw.gov.cn/hbzw/foursxcx/itemList?x=1#y', true, 'paths, query, fragment'],
  ['https://WWW.HBZWFW.GOV.CN/', true, 'host case folds'],
  ['https://www.hbzwfw.gov.cn:443/', true, 'default port'],
  ['https://hd.hbzwfw.gov.cn/', true, 'city sub-site via wildcard'],
  ['https://a.b.hbzwfw.gov.cn/', true, 'deeper sub-domain via wildcard'],
  ['https://hbzwfw.gov.cn/', false, 'wildcard does not cover the bare suffix'],
  ['http://www.hbzwfw.gov.cn/', false, 'plain http'],
  ['https://www.hbzwfw.gov.cn:8443/', false, 'other port'],
  ['https://www.hbzwfw.gov.cn.evil.com/', false, 'allowed host as prefix of another'],
  ['https://evilhbzwfw.gov.cn/', false, 'suffix without a dot boundary'],
  ['https://www.hbzwfw.gov.cn@evil.com/', false, 'userinfo trick'],
  ['https://user:pw@www.hbzwfw.gov.cn/', false, 'credentials in an allowed URL'],
  ['https://evil.com/www.hbzwfw.gov.cn', false, 'allowed host in the path'],
  ['https://evil.com/?u=https://www.hbzwfw.gov.cn', false, 'allowed host in the query'],
  ['https://evil.com#https://www.hbzwfw.gov.cn', false, 'allowed host in the fragment'],
  ['https://www.hbzwfw.gov.cn./', false, 'trailing dot'],
  ['https://www.hbzwfw.gov.cn\\@evil.com/', false, 'backslash'],
  ['https://www.hbzwfw.gov.cn%2F@evil.com/', false, 'encoded slash before @'],
  ['https://www.hbzwfw.gov.cn\t.evil.com/', false, 'tab inside host'],
  ['https://www.hbzwfw.gov.cn/../../etc/passwd', true, 'path traversal stays on the allowed origin'],
  ['https://www.hbzwfw.gov.cn/%2e%2e/%2e%2e/', true, 'encoded traversal stays on the allowed origin'],
  ['https://www.hbzwfw.gоv.cn/', false, 'Cyrillic o look-alike (IDN)'],
  ['https://www.hbzwfw.gov.cn\u3002evil.com/', false, 'ideographic full stop is a dot for IDNA'],
  ['https://ｗｗｗ.hbzwfw.gov.cn/', true, 'full-width letters normalise to the same host'],
  ['https://xn--3bs.hbzwfw.gov.cn/', true, 'punycode sub-domain under the wildcard'],
  ['https://政务.example.cn/', true, 'IDN entry matches its unicode form'],
  ['https://xn--zfr164b.example.cn/', true, 'IDN entry matches its punycode form'],
  ['http://127.0.0.1:8443/login', true, 'loopback demo portal'],
  ['http://127.0.0.1:8444/login', false, 'loopback, other port'],
  ['http://localhost:8443/', false, 'localhost is another host than 127.0.0.1'],
  ['http://2130706433:8443/', true, 'decimal IPv4 normalises to 127.0.0.1'],
  ['javascript:alert(1)//www.hbzwfw.gov.cn', false, 'javascript: scheme'],
  ['data:text/html,<script>1</script>', false, 'data: scheme'],
  ['file:///C:/Windows/win.ini', false, 'file: scheme'],
  ['blob:https://www.hbzwfw.gov.cn/uuid', false, 'blob: scheme'],
  ['ftp://www.hbzwfw.gov.cn/', false, 'ftp: scheme'],
  ['//www.hbzwfw.gov.cn/', false, 'scheme-relative'],
  ['www.hbzwfw.gov.cn', false, 'no scheme'],
  ['', false, 'empty'],
  ['https://', false, 'no host'],
  ['https://[::1', false, 'unparseable'],
  ['https://www.hbzwfw.gov.cn/' + 'a'.repeat(10000), false, 'absurd length'],
];

test('URL allow-list: hostile inputs', () => {
  for (const [url, allowed, why] of urlCases) {
    assert.equal(list.isAllowedUrl(url), allowed, `${why}: ${JSON.stringify(url.slice(0, 80))}`);
  }
});

test('origin allow-list: only exact serialised origins', () => {
  const cases: [string, boolean][] = [
    ['https://www.hbzwfw.gov.cn', true],
    ['https://ts.hbzwfw.gov.cn', true],
    ['http://127.0.0.1:8443', true],
    ['https://www.hbzwfw.gov.cn/', false],
    ['https://www.hbzwfw.gov.cn/path', false],
    ['null', false],
    ['', false],
    ['https://www.hbzwfw.gov.cn:443', false],
    ['https://evil.com', false],
    ['https://www.hbzwfw.gov.cn.evil.com', false],
    ['app://assistant', false],
  ];
  for (const [o, allowed] of cases) assert.equal(list.isAllowedOrigin(o), allowed, o);
});

test('policy entries: unusable ones are rejected, not widened', () => {
  const bad = ['https://*.cn', 'https://*.gov.cn', 'http://www.hbzwfw.gov.cn', 'http://*.127.0.0.1', 'https://www.hbzwfw.gov.cn/path',
    'https://u@www.hbzwfw.gov.cn', '*', 'https://*', 'ftp://x.y.z', 'https://www.hbzwfw.gov.cn.', 'not a url', 'https://a*b.gov.cn'];
  for (const e of bad) assert.equal(parseOriginRule(e), null, e);
  assert.deepEqual(parseOriginRule('https://*.hbzwfw.gov.cn'), { scheme: 'https:', host: 'hbzwfw.gov.cn', wildcard: true, port: '' });
  const empty = createPortalOriginAllowList(bad);
  assert.equal(empty.rules.length, 0);
  assert.equal(empty.isAllowedUrl('https://www.hbzwfw.gov.cn/'), false);
});

test('origin of a frame URL', () => {
  assert.equal(originOfFrameUrl('https://hd.hbzwfw.gov.cn/a/b?c'), 'https://hd.hbzwfw.gov.cn');
  assert.equal(originOfFrameUrl('about:blank'), null);
  assert.equal(originOfFrameUrl('app://assistant/index.html'), null);
});
