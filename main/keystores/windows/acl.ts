/**
 * Who may write a file on Windows, from its owner and DACL — what mode bits say on POSIX.
 * Driver DLLs and the machine policy are trusted only when no one but administrators can change
 * them (the file and every folder above it): otherwise any user could plant code in every user's
 * key-store worker or add trusted roots. The judging is pure (SIDs and ACEs as data, tested on
 * Linux); reading a real security descriptor goes through advapi32 with koffi (Windows only).
 */

/** A SID in its string form (S-1-5-32-544). */
export type Sid = string;

export interface Ace {
  /** ACE_HEADER.AceType: 0 allowed, 1 denied, 9 allowed-callback, … */
  type: number;
  flags: number;
  mask: number;
  /** null for ACE types whose layout we do not read (object ACEs). */
  sid: Sid | null;
}

export interface SecurityInfo {
  owner: Sid | null;
  /** null: a NULL DACL, which grants everyone everything. */
  dacl: Ace[] | null;
}

export const SID = {
  SYSTEM: 'S-1-5-18',
  ADMINISTRATORS: 'S-1-5-32-544',
  TRUSTED_INSTALLER: 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464',
  EVERYONE: 'S-1-1-0',
  USERS: 'S-1-5-32-545',
  AUTHENTICATED_USERS: 'S-1-5-11',
  INTERACTIVE: 'S-1-5-4',
  GUESTS: 'S-1-5-32-546',
  ANONYMOUS: 'S-1-5-7',
  NETWORK: 'S-1-5-2',
  CREATOR_OWNER: 'S-1-3-0',
} as const;

/** Principals that are "everyone" in practice: write for one of them is world-writable. */
const BROAD = new Set<Sid>([SID.EVERYONE, SID.USERS, SID.AUTHENTICATED_USERS, SID.INTERACTIVE, SID.GUESTS, SID.ANONYMOUS, SID.NETWORK]);
/** Domain Users / Domain Guests (S-1-5-21-<domain>-513/514) are broad as well. */
const isBroad = (sid: Sid) => BROAD.has(sid) || /^S-1-5-21-\d+-\d+-\d+-51[34]$/.test(sid);

export const ADMIN_SIDS: readonly Sid[] = [SID.SYSTEM, SID.ADMINISTRATORS, SID.TRUSTED_INSTALLER];

// Rights that let a principal replace the content or take control: write/append data (add file /
// subfolder on a folder), delete child, delete, WRITE_DAC, WRITE_OWNER, GENERIC_ALL, GENERIC_WRITE.
const WRITE_RIGHTS = 0x2 | 0x4 | 0x40 | 0x10000 | 0x40000 | 0x80000 | 0x10000000 | 0x40000000;
const INHERIT_ONLY_ACE = 0x08;
const ALLOW_TYPES_WITH_SID_AT_8 = new Set([0x0 /* ACCESS_ALLOWED */, 0x9 /* ACCESS_ALLOWED_CALLBACK */]);
const ALLOW_OBJECT_TYPES = new Set([0x5, 0xb /* ACCESS_ALLOWED_OBJECT(_CALLBACK) */]);

/** A binary SID (Revision, SubAuthorityCount, 48-bit big-endian authority, 32-bit LE sub-authorities) → S-R-A-…. */
export function parseSid(b: Uint8Array, off = 0): Sid {
  if (off + 8 > b.length) throw new RangeError('SID truncated');
  const count = b[off + 1]!;
  if (off + 8 + 4 * count > b.length) throw new RangeError('SID truncated');
  let authority = 0;
  for (let i = 2; i < 8; i++) authority = authority * 256 + b[off + i]!;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let s = `S-${b[off]}-${authority}`;
  for (let i = 0; i < count; i++) s += `-${view.getUint32(off + 8 + 4 * i, true)}`;
  return s;
}

/** A binary ACL (ACL header, then AceCount ACEs) → its ACEs. Throws RangeError on a malformed ACL. */
export function parseAcl(b: Uint8Array): Ace[] {
  if (b.length < 8) throw new RangeError('ACL truncated');
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const size = Math.min(view.getUint16(2, true), b.length);
  const count = view.getUint16(4, true);
  const aces: Ace[] = [];
  let off = 8;
  for (let i = 0; i < count; i++) {
    if (off + 8 > size) throw new RangeError('ACE truncated');
    const type = b[off]!;
    const flags = b[off + 1]!;
    const aceSize = view.getUint16(off + 2, true);
    if (aceSize < 8 || off + aceSize > size) throw new RangeError('ACE size out of range');
    const mask = view.getUint32(off + 4, true);
    const sid = ALLOW_TYPES_WITH_SID_AT_8.has(type) || type === 0x1 ? parseSid(b.subarray(off, off + aceSize), 8) : null;
    aces.push({ type, flags, mask, sid });
    off += aceSize;
  }
  return aces;
}

export interface JudgeOptions {
  /** Principals allowed to own and write: ADMIN_SIDS, plus the current user when it is an administrator. */
  trusted: ReadonlySet<Sid>;
  /** false: only world-writability counts (Program Files, System32 and SysWOW64 for drivers). */
  strict: boolean;
}

export interface Verdict { en: string; zh: string }

/** Why `info` lets someone other than the trusted principals change the object, or null when it does not. */
export function untrustedWriter(info: SecurityInfo, opts: JudgeOptions): Verdict | null {
  if (info.dacl === null) return { en: 'no DACL: everyone may write', zh: '没有访问控制列表，任何用户都可修改' };
  if (opts.strict && (info.owner === null || !opts.trusted.has(info.owner))) {
    return { en: `owned by ${info.owner ?? 'nobody'}, not by an administrator`, zh: `所有者 ${info.owner ?? '（无）'} 不是管理员` };
  }
  for (const ace of info.dacl) {
    if (ace.flags & INHERIT_ONLY_ACE) continue; // applies to children only, not to this object
    const allows = ALLOW_TYPES_WITH_SID_AT_8.has(ace.type) || ALLOW_OBJECT_TYPES.has(ace.type);
    if (!allows || !(ace.mask & WRITE_RIGHTS)) continue;
    if (ace.sid === null) return { en: `an access-allowed object ACE (type ${ace.type}) grants write`, zh: '访问控制列表中有无法判断的写入授权' };
    const sid = ace.sid === SID.CREATOR_OWNER ? info.owner ?? ace.sid : ace.sid;
    if (isBroad(sid)) return { en: `writable by ${wellKnownName(sid)} (${sid})`, zh: `可被 ${wellKnownName(sid)} 写入` };
    if (opts.strict && !opts.trusted.has(sid)) return { en: `writable by ${sid}, not an administrator`, zh: `可被非管理员账户 ${sid} 写入` };
  }
  return null;
}

function wellKnownName(sid: Sid): string {
  const names: Record<string, string> = {
    [SID.EVERYONE]: 'Everyone', [SID.USERS]: 'Users', [SID.AUTHENTICATED_USERS]: 'Authenticated Users', [SID.INTERACTIVE]: 'INTERACTIVE',
    [SID.GUESTS]: 'Guests', [SID.ANONYMOUS]: 'ANONYMOUS LOGON', [SID.NETWORK]: 'NETWORK',
  };
  return names[sid] ?? (sid.endsWith('-514') ? 'Domain Guests' : 'Domain Users');
}
