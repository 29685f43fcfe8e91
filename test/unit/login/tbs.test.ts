import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { checkChallenge, loginTbs, normalizeOrigin } from '../../../main/login/tbs.ts';

const CHALLENGE = Buffer.alloc(32, 0xab).toString('base64');

function opensslDigest(alg: 'sha256' | 'sm3', text: string): Buffer {
  return execFileSync('openssl', ['dgst', `-${alg}`, '-binary'], { input: Buffer.from(text, 'utf8') });
}

test('tbs = SHA-256(origin) || SHA-256(challenge string), as OpenSSL computes them', () => {
  const tbs = loginTbs('https://www.hbzwfw.gov.cn', CHALLENGE, 'RS256');
  const expected = Buffer.concat([opensslDigest('sha256', 'https://www.hbzwfw.gov.cn'), opensslDigest('sha256', CHALLENGE)]);
  assert.equal(Buffer.from(tbs).toString('hex'), expected.toString('hex'));
  assert.deepEqual(loginTbs('https://www.hbzwfw.gov.cn', CHALLENGE, 'ES256'), tbs);
});

test('tbs for SM2-SM3 uses SM3 for both halves', () => {
  const tbs = loginTbs('https://hd.hbzwfw.gov.cn', CHALLENGE, 'SM2-SM3');
  const expected = Buffer.concat([opensslDigest('sm3', 'https://hd.hbzwfw.gov.cn'), opensslDigest('sm3', CHALLENGE)]);
  assert.equal(Buffer.from(tbs).toString('hex'), expected.toString('hex'));
});

test('the origin is the WHATWG serialization: lower-case, default port dropped, path ignored, punycode', () => {
  assert.equal(normalizeOrigin('HTTPS://WWW.HBZWFW.GOV.CN:443/portal/login?x=1#y'), 'https://www.hbzwfw.gov.cn');
  assert.equal(normalizeOrigin('http://localhost:8080/'), 'http://localhost:8080');
  assert.equal(normalizeOrigin('https://例子.测试'), 'https://xn--fsqu00a.xn--0zwm56d');
  // Same origin, different spellings: same tbs.
  assert.deepEqual(loginTbs('https://www.hbzwfw.gov.cn:443/a', CHALLENGE, 'RS256'), loginTbs('https://www.hbzwfw.gov.cn', CHALLENGE, 'RS256'));
  assert.notDeepEqual(loginTbs('https://www.hbzwfw.gov.cn:8443', CHALLENGE, 'RS256'), loginTbs('https://www.hbzwfw.gov.cn', CHALLENGE, 'RS256'));
});

test('only http(s) origins can be signed for', () => {
  for (const bad of ['file:///etc/passwd', 'data:text/html,x', 'javascript:alert(1)', 'not a url', '']) {
    assert.throws(() => normalizeOrigin(bad), { code: 'ORIGIN_INVALID' }, bad);
  }
});

test('challenges must be canonical base64 of >= 32 bytes and bounded', () => {
  assert.equal(checkChallenge(CHALLENGE), CHALLENGE);
  for (const bad of [Buffer.alloc(31).toString('base64'), CHALLENGE.replace(/=$/, ''), ` ${CHALLENGE}`, CHALLENGE.replace('q', '-'), Buffer.alloc(300).toString('base64'), '']) {
    assert.throws(() => checkChallenge(bad), { code: 'CHALLENGE_INVALID' }, bad);
  }
  // The string is hashed as given: two encodings of the same bytes would differ, so only one is canonical.
  assert.notDeepEqual(loginTbs('https://a.example', CHALLENGE, 'RS256'), loginTbs('https://a.example', Buffer.alloc(32, 0xac).toString('base64'), 'RS256'));
});

test('the test vectors published in docs/login-token.md', () => {
  const challenge = Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('base64');
  assert.equal(challenge, 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=');
  assert.equal(Buffer.from(loginTbs('https://www.hbzwfw.gov.cn', challenge, 'RS256')).toString('hex'),
    'fde245b3d428fc4e3311b71af77a10c934ab4cc4d3576f76c49ddf0a4112b26e905f28def18eaac05ae6f12b2c3452744afaf626da1343d57b395b544e0519b6');
  assert.equal(Buffer.from(loginTbs('https://www.hbzwfw.gov.cn', challenge, 'SM2-SM3')).toString('hex'),
    '29eab82c7148ef3ca867234230598658eb957f12072f6f106f11ede9b1a18ddc64d9baad3c71cbcda84eda0c58d673ee3c92c5e07ccc00f60394d147576db0b0');
});
