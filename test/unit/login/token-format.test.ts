import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonToken, serializeToken, tokenText, TOKEN_FORMAT } from '../../../main/login/token-format.ts';
import { ecdsaP1363ToDer } from '../../../main/login/cms.ts';
import { execFileSync } from 'node:child_process';

const cert = Buffer.from('30820000', 'hex').toString('base64');
const base = { format: TOKEN_FORMAT as typeof TOKEN_FORMAT, algorithm: 'RS256' as const, certificate: cert, signature: Buffer.alloc(256, 1).toString('base64'), appVersion: '0.1.0' };
const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'PASSED';
};

test('a well-formed token parses; echoes are optional', () => {
  const t = parseJsonToken(JSON.stringify(base));
  assert.equal(t.algorithm, 'RS256');
  assert.equal(t.signature.length, 256);
  assert.equal(t.originHint, null);
  const withEcho = parseJsonToken(JSON.stringify({ ...base, origin: 'https://a.example', challenge: 'QUJD', intermediates: [cert] }));
  assert.equal(withEcho.originHint, 'https://a.example');
  assert.equal(withEcho.intermediates.length, 1);
});

test('serialization is stable and round-trips', () => {
  const s = serializeToken({ ...base, algorithm: 'ES256', intermediates: [], origin: 'https://a.example' });
  assert.deepEqual(Object.keys(JSON.parse(s)), ['format', 'algorithm', 'certificate', 'signature', 'appVersion', 'origin']);
  assert.equal(parseJsonToken(s).algorithm, 'ES256');
});

test('size is checked before anything is decoded', () => {
  assert.equal(code(() => tokenText('x'.repeat(1024 * 1024), 64 * 1024)), 'TOKEN_TOO_LARGE');
  assert.equal(code(() => tokenText(new Uint8Array(70 * 1024), 64 * 1024)), 'TOKEN_TOO_LARGE');
  // Multi-byte characters count as bytes, not chars.
  assert.equal(code(() => tokenText('汉'.repeat(30000), 64 * 1024)), 'TOKEN_TOO_LARGE');
  assert.equal(code(() => tokenText(new Uint8Array([0xff, 0xfe]), 100)), 'TOKEN_MALFORMED');
});

test('malformed shapes are TOKEN_MALFORMED; other formats and algorithms FORMAT_UNSUPPORTED', () => {
  const cases: [unknown, string][] = [
    ['{', 'TOKEN_MALFORMED'],
    ['[]', 'TOKEN_MALFORMED'],
    ['null', 'TOKEN_MALFORMED'],
    [{ ...base, format: 7 }, 'TOKEN_MALFORMED'],
    [{ ...base, format: 'cert-login:2', whatever: 1 }, 'FORMAT_UNSUPPORTED'],
    [{ ...base, algorithm: 'PS256' }, 'FORMAT_UNSUPPORTED'],
    [{ ...base, algorithm: 'none' }, 'FORMAT_UNSUPPORTED'],
    [{ ...base, extra: 1 }, 'TOKEN_MALFORMED'],
    [{ ...base, certificate: undefined }, 'TOKEN_MALFORMED'],
    [{ ...base, certificate: 'not base64!' }, 'TOKEN_MALFORMED'],
    [{ ...base, certificate: cert.replace(/=+$/, '') }, 'TOKEN_MALFORMED'],
    [{ ...base, signature: ' ' + base.signature }, 'TOKEN_MALFORMED'],
    [{ ...base, signature: Buffer.alloc(2000).toString('base64') }, 'TOKEN_MALFORMED'],
    [{ ...base, intermediates: cert }, 'TOKEN_MALFORMED'],
    [{ ...base, intermediates: Array(7).fill(cert) }, 'TOKEN_MALFORMED'],
    [{ ...base, appVersion: undefined }, 'TOKEN_MALFORMED'],
    [{ ...base, appVersion: 'x'.repeat(65) }, 'TOKEN_MALFORMED'],
    [{ ...base, origin: 5 }, 'TOKEN_MALFORMED'],
  ];
  for (const [input, expected] of cases) {
    const text = typeof input === 'string' ? input : JSON.stringify(input);
    assert.equal(code(() => parseJsonToken(text)), expected, text.slice(0, 80));
  }
});

test('P1363 -> DER conversion matches what OpenSSL parses (leading zeros, high bits)', () => {
  const r = Buffer.alloc(32, 0);
  r[31] = 5;
  const s = Buffer.alloc(32, 0xff);
  const der = Buffer.from(ecdsaP1363ToDer(new Uint8Array(Buffer.concat([r, s]))));
  const printed = execFileSync('openssl', ['asn1parse', '-inform', 'DER'], { input: der, encoding: 'utf8' });
  assert.match(printed, /INTEGER\s+:05\n/);
  assert.match(printed, /INTEGER\s+:F{64}\n/);
  assert.equal(der.length, 2 + 3 + 35);
});
