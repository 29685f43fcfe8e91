import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_CA_PROFILES_PATH, loadCaProfileFile, loadCaProfiles, matchCaProfile } from '../../../main/pki/ca-profiles.ts';
import { AssistantError } from '../../../main/errors.ts';

test('bundled profiles load, validate and cover the required CAs', () => {
  const profiles = loadCaProfiles();
  const ids = profiles.map((p) => p.id);
  for (const id of ['jit', 'cucca', 'hebca', 'bjca', 'cfca', 'sheca', 'gdca']) assert.ok(ids.includes(id), id);
  for (const p of profiles) {
    assert.ok(p.name && p.nameEn, p.id);
    assert.ok(p.usccLocations.length > 0, p.id);
    for (const os of ['win32', 'linux', 'darwin'] as const) assert.ok(Array.isArray(p.pkcs11Modules[os]), p.id);
    // Unconfirmed driver names must say so.
    if (Object.values(p.pkcs11Modules).some((l) => l.length > 0)) assert.equal(typeof p.pkcs11Verified, 'boolean', p.id);
  }
  assert.ok(profiles.find((p) => p.id === 'hebca')!.pkcs11Modules.win32.includes('HebcaP11X.dll'));
  assert.ok(loadCaProfileFile(DEFAULT_CA_PROFILES_PATH).knownFields.some((f) => f.oid === '1.2.156.10260.4.1.1' && f.meaning === 'idNumber'));
});

test('issuer names from the test PKI note map to their profile', () => {
  const profiles = loadCaProfiles();
  const cases: [Record<string, string[]>, string][] = [
    [{ O: ['吉林省数字证书认证有限公司'], OU: ['JIT'], CN: ['JLCA RSA CA'] }, 'jit'],
    [{ O: ['中国联合网络通信有限公司'], OU: ['联通CA'], CN: ['China Unicom CA'] }, 'cucca'],
    [{ O: ['河北省电子认证有限公司'], CN: ['HEBCA SM2 CA'] }, 'hebca'],
    [{ O: ['北京数字认证股份有限公司'], OU: ['BJCA'], CN: ['BJCA RSA CA'] }, 'bjca'],
    [{ O: ['China Financial Certification Authority'], CN: ['CFCA EC OCA1'] }, 'cfca'],
    [{ O: ['上海市数字证书认证中心有限公司'], CN: ['SHECA RSA CA'] }, 'sheca'],
    [{ O: ['数安时代科技股份有限公司'], CN: ['GDCA RSA CA'] }, 'gdca'],
  ];
  for (const [attrs, id] of cases) assert.equal(matchCaProfile(new Map(Object.entries(attrs)), profiles)?.id, id);
  assert.equal(matchCaProfile(new Map([['O', ['Example Inc.']]]), profiles), null);
});

test('a profile file that breaks the schema or has a bad regex is rejected with a stable code', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-uscc-'));
  try {
    const good = JSON.parse(fs.readFileSync(DEFAULT_CA_PROFILES_PATH, 'utf8')) as { profiles: Record<string, unknown>[] };
    const write = (name: string, data: unknown) => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, typeof data === 'string' ? data : JSON.stringify(data));
      return f;
    };
    const missingModules = structuredClone(good);
    delete missingModules.profiles[0]!['pkcs11Modules'];
    const badRegex = structuredClone(good) as { profiles: { match: { issuer: { attr: string; regex?: string }[] } }[] };
    badRegex.profiles[0]!.match.issuer.push({ attr: 'O', regex: '([unclosed' });
    const dup = structuredClone(good);
    dup.profiles.push(dup.profiles[0]!);
    for (const [name, data, code] of [
      ['not-json.json', '{nope', 'CA_PROFILES_UNREADABLE'],
      ['no-modules.json', missingModules, 'CA_PROFILES_INVALID'],
      ['bad-regex.json', badRegex, 'CA_PROFILES_INVALID'],
      ['dup.json', dup, 'CA_PROFILES_INVALID'],
    ] as const) {
      assert.throws(() => loadCaProfileFile(write(name, data)), (e: unknown) => e instanceof AssistantError && e.code === code, name);
    }
    assert.throws(() => loadCaProfileFile(path.join(dir, 'missing.json')), (e: unknown) => e instanceof AssistantError && e.code === 'CA_PROFILES_UNREADABLE');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
