/**
 * Windows write checks judged from owners and DACLs as data (the real advapi32 reading runs in
 * test/windows/places.win.test.ts under Wine): SID/ACL bytes, the verdicts, and checkModulePath.
 */
import assert from 'node:assert/strict';
import type fs from 'node:fs';
import { describe, test } from 'node:test';
import { checkModulePath } from '../../../main/keystores/module-path.ts';
import { ADMIN_SIDS, parseAcl, parseSid, SID, untrustedWriter, type Ace, type SecurityInfo } from '../../../main/keystores/windows/acl.ts';
import { systemDriverFolders, usersFolder, windowsWriteProblem } from '../../../main/keystores/windows/admin-only.ts';

/** Binary SID as Windows lays it out. */
function sidBytes(s: string): Buffer {
  const [, rev, auth, ...subs] = s.split('-');
  const b = Buffer.alloc(8 + 4 * subs.length);
  b[0] = Number(rev);
  b[1] = subs.length;
  b.writeUIntBE(Number(auth), 2, 6);
  subs.forEach((x, i) => b.writeUInt32LE(Number(x), 8 + 4 * i));
  return b;
}
function aclBytes(aces: Array<{ type?: number; flags?: number; mask: number; sid: string }>): Buffer {
  const parts = aces.map((a) => {
    const sid = sidBytes(a.sid);
    const h = Buffer.alloc(8);
    h[0] = a.type ?? 0;
    h[1] = a.flags ?? 0;
    h.writeUInt16LE(8 + sid.length, 2);
    h.writeUInt32LE(a.mask >>> 0, 4);
    return Buffer.concat([h, sid]);
  });
  const body = Buffer.concat(parts);
  const hdr = Buffer.alloc(8);
  hdr[0] = 2;
  hdr.writeUInt16LE(8 + body.length, 2);
  hdr.writeUInt16LE(aces.length, 4);
  return Buffer.concat([hdr, body]);
}

const FULL = 0x1f01ff;
const READ_EXECUTE = 0x1200a9;
const MODIFY = 0x1301bf;
const USER = 'S-1-5-21-1004336348-1177238915-682003330-1001';
const ADMINS = new Set(ADMIN_SIDS);
const allow = (sid: string, mask: number, flags = 0): Ace => ({ type: 0, flags, mask, sid });
/** Program Files as Windows 10 ships it. */
const programFiles: SecurityInfo = {
  owner: SID.TRUSTED_INSTALLER,
  dacl: [allow(SID.TRUSTED_INSTALLER, FULL), allow(SID.SYSTEM, MODIFY), allow(SID.ADMINISTRATORS, MODIFY), allow(SID.USERS, READ_EXECUTE), allow(SID.CREATOR_OWNER, 0x10000000, 0x0b)],
};

describe('SIDs and ACLs from their binary form', () => {
  test('well-known SIDs decode as Windows prints them', () => {
    assert.equal(parseSid(Buffer.from('0102000000000005200000002002000000', 'hex')), SID.ADMINISTRATORS);
    assert.equal(parseSid(Buffer.from('010100000000000512000000', 'hex')), SID.SYSTEM);
    assert.equal(parseSid(sidBytes(SID.TRUSTED_INSTALLER)), SID.TRUSTED_INSTALLER);
    assert.throws(() => parseSid(Buffer.from('0105000000000005', 'hex')), RangeError);
  });

  test('an ACL walks to its ACEs, and a lying AceSize is refused', () => {
    const b = aclBytes([{ mask: FULL, sid: SID.SYSTEM }, { type: 1, mask: 0x2, sid: SID.EVERYONE }, { flags: 0x0b, mask: 0x10000000, sid: SID.CREATOR_OWNER }]);
    assert.deepEqual(parseAcl(b), [
      { type: 0, flags: 0, mask: FULL, sid: SID.SYSTEM },
      { type: 1, flags: 0, mask: 0x2, sid: SID.EVERYONE },
      { type: 0, flags: 0x0b, mask: 0x10000000, sid: SID.CREATOR_OWNER },
    ]);
    const bad = Buffer.from(b);
    bad.writeUInt16LE(200, 8 + 2);
    assert.throws(() => parseAcl(bad), RangeError);
  });
});

describe('who may write', () => {
  const strict = { trusted: ADMINS, strict: true };
  test('Program Files as shipped: admin-only (the CREATOR OWNER ACE is inherit-only)', () => {
    assert.equal(untrustedWriter(programFiles, strict), null);
  });
  test('a NULL DACL, a user owner, a user or a broad group with write are refused', () => {
    assert.match(untrustedWriter({ owner: SID.ADMINISTRATORS, dacl: null }, strict)!.en, /no DACL/);
    assert.match(untrustedWriter({ owner: USER, dacl: [allow(SID.SYSTEM, FULL)] }, strict)!.en, /owned by/);
    assert.match(untrustedWriter({ owner: SID.ADMINISTRATORS, dacl: [allow(USER, MODIFY)] }, strict)!.en, /not an administrator/);
    for (const broad of [SID.EVERYONE, SID.USERS, SID.AUTHENTICATED_USERS, SID.INTERACTIVE, 'S-1-5-21-1-2-3-513']) {
      const v = untrustedWriter({ owner: SID.TRUSTED_INSTALLER, dacl: [allow(broad, 0x2)] }, { trusted: ADMINS, strict: false });
      assert.ok(v && /writable by/.test(v.en), broad);
      assert.match(v.zh, /可被/u);
    }
  });
  test('read, execute and deny ACEs do not make a writer; GENERIC_WRITE does', () => {
    assert.equal(untrustedWriter({ owner: SID.SYSTEM, dacl: [allow(SID.EVERYONE, READ_EXECUTE), { type: 1, flags: 0, mask: FULL, sid: USER }] }, strict), null);
    assert.ok(untrustedWriter({ owner: SID.SYSTEM, dacl: [allow(SID.EVERYONE, 0x40000000)] }, strict));
  });
  test('the current user counts only when the caller says it is an administrator', () => {
    const mine: SecurityInfo = { owner: USER, dacl: [allow(SID.SYSTEM, FULL), allow(USER, FULL), allow(SID.EVERYONE, READ_EXECUTE)] };
    assert.ok(untrustedWriter(mine, strict));
    assert.equal(untrustedWriter(mine, { trusted: new Set([...ADMIN_SIDS, USER]), strict: true }), null);
  });
});

describe('driver places on Windows', () => {
  const env = { SystemRoot: 'C:\\Windows', ProgramFiles: 'C:\\Program Files', 'ProgramFiles(x86)': 'C:\\Program Files (x86)', PUBLIC: 'C:\\Users\\Public', SystemDrive: 'C:' };
  const adminOnly: SecurityInfo = { owner: SID.ADMINISTRATORS, dacl: [allow(SID.SYSTEM, FULL), allow(SID.ADMINISTRATORS, FULL), allow(SID.USERS, READ_EXECUTE)] };
  const userOwned: SecurityInfo = { owner: USER, dacl: [allow(SID.SYSTEM, FULL), allow(USER, FULL)] };
  const worldWritable: SecurityInfo = { owner: USER, dacl: [allow(SID.EVERYONE, MODIFY)] };
  const tree = (sds: Record<string, SecurityInfo>) => (p: string) => {
    const sd = sds[p.toLowerCase()];
    if (!sd) throw new Error(`no such path in the test tree: ${p}`);
    return sd;
  };
  const sds = tree({
    'c:\\windows': programFiles, 'c:\\windows\\system32': programFiles, 'c:\\windows\\system32\\hebcap11x.dll': programFiles,
    'c:\\program files': programFiles, 'c:\\program files\\vendor': { owner: USER, dacl: [allow(SID.SYSTEM, FULL), allow(USER, FULL)] },
    'c:\\program files\\vendor\\p11.dll': { owner: USER, dacl: [allow(SID.SYSTEM, FULL)] },
    'c:\\program files\\lax': worldWritable, 'c:\\program files\\lax\\p11.dll': programFiles,
    'd:\\drivers': adminOnly, 'd:\\drivers\\p11.dll': adminOnly, 'd:\\mine': userOwned, 'd:\\mine\\p11.dll': adminOnly,
    'd:\\nulldacl': { owner: SID.ADMINISTRATORS, dacl: null }, 'd:\\nulldacl\\p11.dll': adminOnly,
  });
  const opts = { platform: 'win32' as const, stat: () => ({ isFile: () => true, mode: 0o666 }) as unknown as fs.Stats, realpath: (p: string) => p, windows: { env, security: sds, trusted: ADMINS } };
  const verdict = (p: string) => {
    try {
      checkModulePath(p, opts);
      return 'OK';
    } catch (e) {
      const err = e as { code: string; message: string; details: { reason: string } };
      assert.match(err.message, /拒绝加载/u);
      return `${err.code}: ${err.details.reason}`;
    }
  };

  test('the folders come from the environment, with Windows defaults', () => {
    assert.deepEqual(systemDriverFolders(env), ['C:\\Program Files', 'C:\\Program Files (x86)', 'C:\\Windows\\System32', 'C:\\Windows\\SysWOW64']);
    assert.equal(usersFolder({}), 'C:\\Users');
  });
  test('System32 and Program Files: allowed unless everyone may write', () => {
    assert.equal(verdict('C:\\Windows\\System32\\HebcaP11X.dll'), 'OK');
    assert.equal(verdict('C:\\Program Files\\Vendor\\p11.dll'), 'OK', 'an installer-owned vendor folder is fine');
    assert.match(verdict('C:\\Program Files\\Lax\\p11.dll'), /^MODULE_PATH_UNSAFE: C:\\Program Files\\Lax: writable by Everyone/);
  });
  test('elsewhere the DACL check decides: admin-only passes, a user-owned folder or a NULL DACL does not', () => {
    assert.equal(verdict('D:\\Drivers\\p11.dll'), 'OK');
    assert.match(verdict('D:\\Mine\\p11.dll'), /MODULE_PATH_UNSAFE: D:\\Mine: owned by S-1-5-21-/);
    assert.match(verdict('D:\\NullDacl\\p11.dll'), /no DACL/);
  });
  test('C:\\Users\\Public\\…\\evil.dll is refused whatever its DACL says; unreadable permissions too', () => {
    assert.match(verdict('C:\\Users\\Public\\Documents\\evil.dll'), /MODULE_PATH_UNSAFE: in a user folder/);
    assert.match(verdict('E:\\unknown\\p11.dll'), /cannot read its permissions/);
    assert.equal(windowsWriteProblem('C:\\Users\\Public\\policy.json', 'policy', { env, security: () => adminOnly, trusted: ADMINS }), null, 'the user-folder rule is for drivers');
  });
});
