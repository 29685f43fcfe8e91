import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyIdentifier, isValidRegNumber15, regNumber15CheckDigit, parseOrgCode } from '../../../main/pki/identifiers.ts';
import { checkResidentId, maskResidentId, residentIdCheckChar } from '../../../main/pki/resident-id.ts';
import { orgCodeCheckChar, usccCheckChar, analyzeUscc } from '../../../main/pki/uscc.ts';
import { seededRandom } from '../../support/random.ts';

const NOW = new Date('2026-06-01T00:00:00Z');

test('9-char organisation codes, with and without hyphen', () => {
  for (const s of ['70846113-6', '708461136', '19220382-1', 'ｍａ０ｃｈｒ４ｔ-５'.replace('５', orgCodeCheckChar('MA0CHR4T')!)]) {
    const c = classifyIdentifier(s, NOW);
    assert.equal(c.kind, 'orgCode', s);
    assert.equal(c.valid, true, s);
    assert.match(c.display, /^[0-9A-Z]{8}-[0-9X]$/);
  }
  const bad = classifyIdentifier('70846113-5', NOW);
  assert.equal(bad.kind, 'orgCode');
  assert.equal(bad.valid, false);
  const zero = classifyIdentifier('000000000', NOW);
  assert.equal(zero.kind, 'orgCode');
  assert.equal(zero.valid, false); // passes the arithmetic, but is a placeholder
  assert.equal(orgCodeCheckChar('00000000'), '0');
  assert.equal(parseOrgCode('12345678-'), null);
});

test('GB 11714 check char maps 10 to X and 11 to 0', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 400; i++) seen.add(orgCodeCheckChar(String(10000000 + i * 7919).slice(0, 8))!);
  assert.ok(seen.has('X'));
  assert.ok(seen.has('0'));
});

test('15-digit registration numbers: ISO 7064 MOD 11,10', () => {
  assert.equal(isValidRegNumber15('440301103097413'), true);
  assert.equal(regNumber15CheckDigit('44030110309741'), '3');
  for (let d = 0; d <= 9; d++) if (d !== 3) assert.equal(isValidRegNumber15(`44030110309741${d}`), false);
  const c = classifyIdentifier('440301103097413', NOW);
  assert.equal(c.kind, 'regNumber15');
  assert.equal(c.valid, true);
  assert.ok(c.facts.some((f) => f.includes('深圳市')));
  // Exactly one check digit completes any 14 digits.
  for (const p of ['11010800000001', '13010200012345', '00000000000000']) {
    const d = regNumber15CheckDigit(p);
    assert.ok(d !== null);
    assert.equal([...'0123456789'].filter((x) => isValidRegNumber15(p + x)).length, 1);
  }
});

test('18-digit resident ID numbers: MOD 11-2, birth date, masking', () => {
  assert.equal(residentIdCheckChar('11010519491231002'), 'X'); // the GB 11643 example
  assert.equal(checkResidentId('11010519491231002X', NOW).valid, true);
  assert.equal(checkResidentId('110105194912310021', NOW).valid, false);
  const base = '1301021990021';
  const bad = base.slice(0, 10) + '0230' + '123';
  assert.equal(checkResidentId(bad + residentIdCheckChar(bad), NOW).birthDateOk, false); // 30 Feb
  const future = '130102203001011234'.slice(0, 17);
  assert.equal(checkResidentId(future + residentIdCheckChar(future), NOW).valid, false);
  const c = classifyIdentifier('11010519491231002x', NOW);
  assert.equal(c.kind, 'residentId');
  assert.equal(c.valid, true);
  assert.equal(c.display, '110105********002X');
  assert.equal(maskResidentId('130102199001011234'), '130102********1234');
  assert.ok(!JSON.stringify(c.facts).includes('19491231'));
});

test('an ID number with a wrong check digit is still treated (and masked) as an ID number', () => {
  const c = classifyIdentifier('130102199001011234', NOW);
  assert.equal(c.kind, 'residentId');
  assert.equal(c.valid, false);
  assert.equal(c.display, '130102********1234');
});

/** An all-digit value that is valid both as a USCC and as a resident ID number (found by search, then both checks asserted). */
export function ambiguousValue(): string {
  for (let seq = 0; seq < 1000; seq++) {
    const first17 = `52110019800101${String(seq).padStart(3, '0')}`;
    const id = residentIdCheckChar(first17)!;
    if (usccCheckChar(first17) === id) return first17 + id;
  }
  throw new Error('no ambiguous value found');
}

test('a value valid as both USCC and ID number is flagged as such', () => {
  const v = ambiguousValue();
  assert.equal(analyzeUscc(v).valid, true);
  assert.equal(checkResidentId(v, NOW).valid, true);
  const c = classifyIdentifier(v, NOW);
  assert.equal(c.kind, 'uscc');
  assert.deepEqual(c.alsoValidAs, ['residentId']);
  assert.ok(c.warnings.some((w) => w.includes('身份证')));
});

test('USCC and unknown inputs', () => {
  const u = classifyIdentifier('91440300708461136T', NOW);
  assert.equal(u.kind, 'uscc');
  assert.equal(u.valid, true);
  assert.equal(u.uscc?.orgType?.legalPersonKind, '企业法人');
  const x = classifyIdentifier('hello', NOW);
  assert.equal(x.kind, 'unknown');
  assert.equal(x.valid, false);
});

test('seeded random inputs: analyzeUscc and classifyIdentifier always return a result with every key', () => {
  const next = seededRandom(20151001);
  const rand = (n: number) => Math.floor(next() * n);
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz -_@[]０９ＡＺ\u200B\u3000统一代码';
  const keys = ['input', 'normalized', 'valid', 'checkChar', 'expectedCheckChar', 'registrationAuthority', 'orgType', 'region', 'orgCode', 'warnings'];
  for (let i = 0; i < 3000; i++) {
    const len = rand(24);
    let s = '';
    for (let j = 0; j < len; j++) s += alphabet[rand(alphabet.length)];
    const a = analyzeUscc(s);
    assert.deepEqual(Object.keys(a), keys);
    assert.equal(typeof a.valid, 'boolean');
    const c = classifyIdentifier(s, NOW);
    assert.ok(['uscc', 'orgCode', 'regNumber15', 'residentId', 'unknown'].includes(c.kind));
    if (c.kind === 'residentId') assert.ok(c.display.includes('*'));
  }
});
