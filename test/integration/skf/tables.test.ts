/** SKF pieces without a device: the SAR table, name lists, DEVINFO layouts, signature conversion. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import koffi from 'koffi';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { declareSkf, parseMultiString, RSA_PUBLIC_KEY_BLOB_SIZE, SGD_RSA, textField } from '../../../main/keystores/skf/binding.ts';
import { configuredDriverPaths, profileDriverNames } from '../../../main/keystores/driver-paths.ts';
import { describeSar, sarTable, skfError } from '../../../main/keystores/skf/sar.ts';
import { eccSignatureBlobToDer, pinStateFromCounts, rsaBlobModuli, skfIdentityId } from '../../../main/keystores/skf/store.ts';

test('every GM/T 0016-2012 SAR value from SAR_OK to SAR_FILE_NOT_EXIST has a code and a zh-CN message', () => {
  const t = sarTable();
  const values = new Set(t.map((e) => e.value));
  assert.ok(values.has(0));
  for (let v = 0x0a000001; v <= 0x0a000031; v++) assert.ok(values.has(v), `0x${v.toString(16)} missing`);
  assert.equal(values.size, t.length, 'no duplicates');
  for (const e of t) {
    assert.match(e.code, /^[A-Z0-9_]+$/);
    assert.match(e.zh, /[\u4e00-\u9fff]/u, e.name);
    assert.match(e.name, /^SAR_/);
  }
  assert.equal(describeSar(0x0a000024).code, 'PIN_INCORRECT');
  assert.equal(describeSar(0x0a000025).code, 'PIN_LOCKED');
  assert.equal(describeSar(0x0a000027).code, 'PIN_LEN_RANGE');
  assert.equal(describeSar(0x0a000023).code, 'DEVICE_REMOVED');
  assert.equal(describeSar(0x0a00002d).code, 'USER_NOT_LOGGED_IN');
  const unknown = describeSar(0x0b000001);
  assert.equal(unknown.code, 'SKF_VENDOR_ERROR');
  assert.match(unknown.zh, /0x0B000001/);
  const e = skfError(0x0a000024, 'SKF_VerifyPIN');
  assert.deepEqual(e.details, { function: 'SKF_VerifyPIN', sar: 'SAR_PIN_INCORRECT' });
});

test('double-NUL name lists, with and without the final NUL, and GB18030 text fields', () => {
  const list = Buffer.from('dev-1\0dev-2\0\0', 'latin1');
  assert.deepEqual(parseMultiString(list, list.length), ['dev-1', 'dev-2']);
  assert.deepEqual(parseMultiString(Buffer.from('only\0'), 5), ['only']);
  assert.deepEqual(parseMultiString(Buffer.from('\0\0'), 2), []);
  assert.deepEqual(parseMultiString(Buffer.from('abc'), 3), ['abc']);
  const gbk = Buffer.from([0xba, 0xd3, 0xb1, 0xb1, 0x43, 0x41, 0, 0, 0]); // 河北CA in GBK
  assert.equal(textField(gbk), '河北CA');
  assert.equal(textField(Buffer.from('河北CA  \0\0', 'utf8')), '河北CA');
});

test('DEVINFO is 294 bytes packed (Windows headers) and 296 with natural alignment', () => {
  assert.equal(declareSkf(true).devinfoSize, 294);
  assert.equal(declareSkf(false).devinfoSize, 296);
  assert.equal(koffi.offsetof(declareSkf(true).types.DEVINFO, 'AlgSymCap'), 198);
  assert.equal(koffi.offsetof(declareSkf(false).types.DEVINFO, 'AlgSymCap'), 200);
});

test('ECCSIGNATUREBLOB → DER: leading zeros dropped, a 0x00 added before a high bit', () => {
  const blob = Buffer.alloc(128);
  blob.fill(0x81, 32, 64); // r: high bit set → 33-byte INTEGER
  blob.fill(0x00, 64, 97);
  blob.fill(0x11, 97, 128); // s: 31 bytes, leading zero byte dropped
  const der = Buffer.from(eccSignatureBlobToDer(blob));
  assert.equal(der.toString('hex'), '30' + (2 + 33 + 2 + 31).toString(16) + '0221' + '00' + '81'.repeat(32) + '021f' + '11'.repeat(31));
  assert.throws(() => eccSignatureBlobToDer(new Uint8Array(64)), { code: 'SKF_BAD_SIGNATURE' });
});

test('PIN state from counters and identity ids', () => {
  assert.deepEqual(pinStateFromCounts(10, 10), { retriesLeft: 10, low: false, finalTry: false, locked: false });
  assert.deepEqual(pinStateFromCounts(10, 1), { retriesLeft: 1, low: true, finalTry: true, locked: false });
  assert.deepEqual(pinStateFromCounts(10, 0), { retriesLeft: 0, low: true, finalTry: false, locked: true });
  assert.equal(skfIdentityId('dev/1', 'APP', '{GUID}'), 'dev%2F1/APP/%7BGUID%7D');
});

test('configured SKF libraries: CA profiles per OS, bare names only in system folders, policy first', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-skf-conf-'));
  try {
    const file = path.join(dir, 'profiles.json');
    const real = JSON.parse(fs.readFileSync(new URL('../../../certs/ca-profiles.json', import.meta.url), 'utf8')) as { profiles: Array<Record<string, unknown>> };
    real.profiles[0]!['skfModules'] = { win32: ['Vendor_SKF.dll', 'sub\\evil.dll'], linux: ['libvendorskf.so'], darwin: [] };
    fs.writeFileSync(file, JSON.stringify(real));
    assert.ok(profileDriverNames('skfModules', file, 'win32').includes('Vendor_SKF.dll'));
    const have = new Set(['C:\\Windows\\System32\\Vendor_SKF.dll', 'C:\\Windows\\System32\\sub\\evil.dll', 'D:\\Policy\\skf.dll']);
    const found = configuredDriverPaths('skfModules', { platform: 'win32', profilesFile: file, policyModules: ['D:\\Policy\\skf.dll'], env: { SystemRoot: 'C:\\Windows' }, exists: (p) => have.has(p) });
    assert.deepEqual(found, ['D:\\Policy\\skf.dll', 'C:\\Windows\\System32\\Vendor_SKF.dll']);
    assert.deepEqual(configuredDriverPaths('skfModules', { platform: 'linux', profilesFile: file, libraryDirs: ['/usr/lib'], exists: (p) => p === '/usr/lib/libvendorskf.so' }), ['/usr/lib/libvendorskf.so']);
    assert.deepEqual(configuredDriverPaths('skfModules', { platform: 'linux', profilesFile: path.join(dir, 'absent.json') }), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('RSAPUBLICKEYBLOB: 268 bytes; the modulus right-aligned in Modulus[256] as GM/T 0016 lays it out, or left-aligned; malformed → null', () => {
  const n = Buffer.alloc(128, 0xa5);
  n[0] = 0xc1; // a 1024-bit modulus
  const blob = (at: number, bits = 1024, size = RSA_PUBLIC_KEY_BLOB_SIZE) => {
    const b = Buffer.alloc(RSA_PUBLIC_KEY_BLOB_SIZE);
    b.writeUInt32LE(SGD_RSA, 0);
    b.writeUInt32LE(bits, 4);
    n.copy(b, 8 + at);
    b.writeUInt32BE(65537, 8 + 256);
    return b.subarray(0, size);
  };
  assert.equal(RSA_PUBLIC_KEY_BLOB_SIZE, 268);
  assert.ok(rsaBlobModuli(blob(128))!.some((m) => m.equals(n)), 'right-aligned (the standard)');
  assert.ok(rsaBlobModuli(blob(0))!.some((m) => m.equals(n)), 'left-aligned (some vendors)');
  assert.ok(!rsaBlobModuli(blob(64))!.some((m) => m.equals(n)), 'anywhere else is another number');
  assert.equal(rsaBlobModuli(blob(128, 0)), null, 'BitLen 0 (e.g. 8-byte ULONGs)');
  assert.equal(rsaBlobModuli(blob(128, 4096)), null, 'more than Modulus[256] holds');
  assert.equal(rsaBlobModuli(blob(128, 1024, 132)), null, 'an ECCPUBLICKEYBLOB-sized answer');
});
