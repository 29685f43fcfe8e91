import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import koffi from 'koffi';
import { isAssistantError } from '../../../main/errors.ts';
import { declareCryptoki, ULONG_BYTES } from '../../../main/keystores/pkcs11/binding.ts';
import { ckrTable, describeCkr, pkcs11Error } from '../../../main/keystores/pkcs11/ckr.ts';
import { configuredDriverPaths } from '../../../main/keystores/driver-paths.ts';
import { checkModulePath } from '../../../main/keystores/module-path.ts';
import { pinStateFromFlags } from '../../../main/keystores/pkcs11/store.ts';

const zh = /[\u4e00-\u9fff]/u;

describe('CK_RV table', () => {
  test('every standard value has a stable code and a zh-CN message; values are unique', () => {
    const t = ckrTable();
    assert.ok(t.length >= 90, `only ${t.length} entries`);
    assert.equal(new Set(t.map((e) => e.value)).size, t.length);
    for (const e of t) {
      assert.match(e.code, /^[A-Z][A-Z0-9_]+$/, e.name);
      assert.match(e.name, /^CKR_[A-Z_]+$/);
      assert.ok(zh.test(e.zh), e.name);
      assert.ok(e.en.length > 0);
    }
  });

  test('the codes users meet', () => {
    const want: Record<string, string> = {
      CKR_PIN_INCORRECT: 'PIN_INCORRECT', CKR_PIN_LOCKED: 'PIN_LOCKED', CKR_PIN_LEN_RANGE: 'PIN_LEN_RANGE', CKR_PIN_EXPIRED: 'PIN_EXPIRED',
      CKR_DEVICE_REMOVED: 'DEVICE_REMOVED', CKR_TOKEN_NOT_PRESENT: 'TOKEN_NOT_PRESENT', CKR_DEVICE_ERROR: 'DEVICE_ERROR',
      CKR_SESSION_HANDLE_INVALID: 'SESSION_HANDLE_INVALID', CKR_USER_NOT_LOGGED_IN: 'USER_NOT_LOGGED_IN', CKR_FUNCTION_FAILED: 'FUNCTION_FAILED',
      CKR_MECHANISM_INVALID: 'MECHANISM_NOT_SUPPORTED', CKR_TOKEN_NOT_RECOGNIZED: 'TOKEN_NOT_RECOGNIZED',
    };
    const byName = new Map(ckrTable().map((e) => [e.name, e]));
    for (const [name, code] of Object.entries(want)) assert.equal(byName.get(name)?.code, code, name);
    assert.equal(describeCkr(0xa0).code, 'PIN_INCORRECT');
    assert.equal(describeCkr(0x80000123).code, 'PKCS11_VENDOR_ERROR');
    assert.match(describeCkr(0x80000123).zh, /0x80000123/);
    assert.equal(describeCkr(0x7777).code, 'PKCS11_UNKNOWN_ERROR');
    const e = pkcs11Error(0x32, 'C_Sign');
    assert.ok(isAssistantError(e));
    assert.deepEqual(e.details, { function: 'C_Sign', ckr: 'CKR_DEVICE_REMOVED' });
  });

  test('token flags → PinState', () => {
    assert.deepEqual(pinStateFromFlags(0x40d), { retriesLeft: null, low: false, finalTry: false, locked: false });
    assert.deepEqual(pinStateFromFlags(0x10000), { retriesLeft: null, low: true, finalTry: false, locked: false });
    assert.deepEqual(pinStateFromFlags(0x30000), { retriesLeft: 1, low: true, finalTry: true, locked: false });
    assert.deepEqual(pinStateFromFlags(0x40000), { retriesLeft: 0, low: false, finalTry: false, locked: true });
  });
});

describe('Cryptoki declarations follow the platform ABI', () => {
  test('Linux/macOS x64: CK_ULONG is 64-bit, natural alignment', () => {
    const { types: t, ulongBytes } = declareCryptoki(false);
    assert.equal(ulongBytes, koffi.sizeof('unsigned long'));
    if (process.platform !== 'win32') assert.equal(ULONG_BYTES, ulongBytes);
    if (ulongBytes !== 8) return;
    assert.equal(koffi.sizeof(t.CK_ATTRIBUTE), 24);
    assert.equal(koffi.sizeof(t.CK_MECHANISM), 24);
    assert.equal(koffi.sizeof(t.CK_TOKEN_INFO), 208);
    assert.equal(koffi.offsetof(t.CK_TOKEN_INFO, 'flags'), 96);
    assert.equal(koffi.sizeof(t.CK_C_INITIALIZE_ARGS), 48);
    assert.equal(koffi.offsetof(t.CK_FUNCTION_LIST, 'C_Initialize'), 8);
    assert.equal(koffi.offsetof(t.CK_FUNCTION_LIST, 'C_Sign'), 8 + 43 * 8);
  });

  test('Windows: CK_ULONG is 32-bit and every struct is pack(1)', { skip: koffi.sizeof('void *') === 8 ? false : 'sizes below are for 64-bit pointers' }, () => {
    const { types: t, ulongBytes } = declareCryptoki(true);
    assert.equal(ulongBytes, 4);
    assert.equal(koffi.sizeof(t.CK_VERSION), 2);
    assert.equal(koffi.sizeof(t.CK_INFO), 2 + 32 + 4 + 32 + 2);
    assert.equal(koffi.sizeof(t.CK_SLOT_INFO), 64 + 32 + 4 + 2 + 2);
    assert.equal(koffi.sizeof(t.CK_TOKEN_INFO), 160);
    assert.equal(koffi.offsetof(t.CK_TOKEN_INFO, 'flags'), 96);
    assert.equal(koffi.offsetof(t.CK_TOKEN_INFO, 'utcTime'), 144);
    assert.equal(koffi.sizeof(t.CK_ATTRIBUTE), 4 + 8 + 4);
    assert.equal(koffi.offsetof(t.CK_ATTRIBUTE, 'pValue'), 4);
    assert.equal(koffi.sizeof(t.CK_MECHANISM), 16);
    assert.equal(koffi.sizeof(t.CK_C_INITIALIZE_ARGS), 4 * 8 + 4 + 8);
    assert.equal(koffi.offsetof(t.CK_FUNCTION_LIST, 'C_Initialize'), 2);
    assert.equal(koffi.offsetof(t.CK_FUNCTION_LIST, 'C_Sign'), 2 + 43 * 8);
    assert.equal(koffi.sizeof(t.CK_FUNCTION_LIST), 2 + 68 * 8);
  });
});

describe('module paths: only admin-controlled places', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-pkcs11-paths-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return isAssistantError(e) ? e.code : String(e);
    }
    return 'OK';
  };

  test('SoftHSM2 in /usr/lib is allowed; relative, missing, world-writable are not', { skip: fs.existsSync('/usr/lib/softhsm/libsofthsm2.so') ? false : 'softhsm2 not installed' }, () => {
    assert.equal(code(() => checkModulePath('/usr/lib/softhsm/libsofthsm2.so')), 'OK');
    assert.equal(code(() => checkModulePath('softhsm/libsofthsm2.so')), 'MODULE_PATH_UNSAFE');
    assert.equal(code(() => checkModulePath('./libsofthsm2.so')), 'MODULE_PATH_UNSAFE');
    assert.equal(code(() => checkModulePath(path.join(dir, 'missing.so'))), 'MODULE_NOT_FOUND');
    const f = path.join(dir, 'lib.so');
    fs.writeFileSync(f, 'x');
    fs.chmodSync(f, 0o644);
    assert.equal(code(() => checkModulePath(f)), 'OK');
    fs.chmodSync(f, 0o666);
    assert.equal(code(() => checkModulePath(f)), 'MODULE_PATH_UNSAFE');
    fs.chmodSync(f, 0o644);
    fs.chmodSync(dir, 0o777);
    assert.equal(code(() => checkModulePath(f)), 'MODULE_PATH_UNSAFE');
    fs.chmodSync(dir, 0o700);
    // A symlink is judged by where it points.
    const open = path.join(dir, 'open');
    fs.mkdirSync(open, { mode: 0o777 });
    fs.chmodSync(open, 0o777);
    fs.writeFileSync(path.join(open, 'evil.so'), 'x');
    fs.symlinkSync(path.join(open, 'evil.so'), path.join(dir, 'link.so'));
    assert.equal(code(() => checkModulePath(path.join(dir, 'link.so'))), 'MODULE_PATH_UNSAFE');
  });

  test('Windows: drive-absolute paths only', () => {
    const stat = () => ({ isFile: () => true, mode: 0o666 }) as unknown as fs.Stats;
    // Owner and DACL are judged too (test/unit/keystores/windows-acl.test.ts): here an admin-only tree.
    const windows = { env: { SystemRoot: 'C:\\Windows' }, security: () => ({ owner: 'S-1-5-18', dacl: [] }), trusted: new Set(['S-1-5-18']) };
    const opts = { platform: 'win32' as const, stat, realpath: (p: string) => p, windows };
    assert.equal(code(() => checkModulePath('C:\\Windows\\System32\\HebcaP11X.dll', opts)), 'OK');
    assert.equal(code(() => checkModulePath('HebcaP11X.dll', opts)), 'MODULE_PATH_UNSAFE');
    assert.equal(code(() => checkModulePath('\\\\server\\share\\x.dll', opts)), 'MODULE_PATH_UNSAFE');
  });

  test('configured modules: policy first, then CA profiles; bare names only from library dirs; broken file → none', () => {
    const profiles = path.join(dir, 'profiles.json');
    fs.writeFileSync(profiles, JSON.stringify({ version: 1, knownFields: [], profiles: [
      { id: 'a', pkcs11Modules: { win32: ['A.dll'], linux: ['liba.so', '../evil.so', '/opt/b/libb.so'], darwin: [] } },
    ] }));
    const present = new Set(['/usr/lib/liba.so', '/opt/b/libb.so', '/srv/policy.so']);
    const exists = (p: string) => present.has(p);
    // The profile file may not satisfy the real loader's schema; then the result is just the policy list.
    const got = configuredDriverPaths('pkcs11Modules', { platform: 'linux', profilesFile: profiles, policyModules: ['/srv/policy.so', '/srv/policy.so'], libraryDirs: ['/usr/lib'], exists });
    assert.equal(got[0], '/srv/policy.so');
    assert.equal(new Set(got).size, got.length);
    assert.ok(!got.some((p) => p.includes('evil')));
    fs.writeFileSync(profiles, '{not json');
    assert.deepEqual(configuredDriverPaths('pkcs11Modules', { platform: 'linux', profilesFile: profiles, libraryDirs: ['/usr/lib'], exists }), []);
  });

  test('the bundled CA profiles list Windows drivers by name (resolved in System32 only)', () => {
    const got = configuredDriverPaths('pkcs11Modules', { platform: 'win32', env: { SystemRoot: 'C:\\Windows' }, exists: (p) => p.toLowerCase().startsWith('c:\\windows\\system32\\') });
    assert.ok(got.length > 0, 'profiles name at least one Windows PKCS#11 module');
    for (const p of got) assert.match(p, /^C:\\Windows\\System32\\[^\\]+\.dll$/i);
  });
});
