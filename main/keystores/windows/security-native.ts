/**
 * Reads a file's owner and DACL through advapi32 (GetNamedSecurityInfoW), and who the current
 * process is — Windows only, loaded on first use. The bytes are judged in acl.ts.
 */
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';
import { ADMIN_SIDS, parseAcl, parseSid, SID, type SecurityInfo, type Sid } from './acl.ts';

const SE_FILE_OBJECT = 1;
const OWNER_SECURITY_INFORMATION = 0x1;
const DACL_SECURITY_INFORMATION = 0x4;
const TOKEN_QUERY = 0x8;
const TOKEN_USER = 1;

interface Api {
  getNamedSecurityInfo: (name: string, type: number, info: number, owner: unknown[], group: unknown[], dacl: unknown[], sacl: unknown[], sd: unknown[]) => number;
  getLengthSid: (sid: unknown) => number;
  localFree: (p: unknown) => unknown;
  checkTokenMembership: (token: unknown, sid: unknown, member: number[]) => number;
  convertStringSidToSid: (s: string, out: unknown[]) => number;
  openProcessToken: (process: unknown, access: number, token: unknown[]) => number;
  getCurrentProcess: () => unknown;
  getTokenInformation: (token: unknown, cls: number, buf: Buffer, len: number, ret: number[]) => number;
  closeHandle: (h: unknown) => number;
}

let api: Api | null = null;
// koffi is loaded on first use: the app's main process and the CLI start without the native addon.
let koffi: typeof Koffi;
function load(): Api {
  if (api) return api;
  koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
  const adv = koffi.load('advapi32.dll');
  const k32 = koffi.load('kernel32.dll');
  const out = (t: string) => koffi.out(koffi.pointer(t));
  api = {
    getNamedSecurityInfo: adv.func('__stdcall', 'GetNamedSecurityInfoW', 'uint32', ['str16', 'int', 'uint32', out('void *'), out('void *'), out('void *'), out('void *'), out('void *')]) as Api['getNamedSecurityInfo'],
    getLengthSid: adv.func('__stdcall', 'GetLengthSid', 'uint32', ['void *']) as Api['getLengthSid'],
    localFree: k32.func('__stdcall', 'LocalFree', 'void *', ['void *']) as Api['localFree'],
    checkTokenMembership: adv.func('__stdcall', 'CheckTokenMembership', 'int', ['void *', 'void *', out('int')]) as Api['checkTokenMembership'],
    convertStringSidToSid: adv.func('__stdcall', 'ConvertStringSidToSidW', 'int', ['str16', out('void *')]) as Api['convertStringSidToSid'],
    openProcessToken: adv.func('__stdcall', 'OpenProcessToken', 'int', ['void *', 'uint32', out('void *')]) as Api['openProcessToken'],
    getCurrentProcess: k32.func('__stdcall', 'GetCurrentProcess', 'void *', []) as Api['getCurrentProcess'],
    getTokenInformation: adv.func('__stdcall', 'GetTokenInformation', 'int', ['void *', 'int', 'void *', 'uint32', out('uint32')]) as Api['getTokenInformation'],
    closeHandle: k32.func('__stdcall', 'CloseHandle', 'int', ['void *']) as Api['closeHandle'],
  };
  return api;
}

function sidAt(a: Api, p: unknown): Sid | null {
  if (!p) return null;
  return parseSid(Uint8Array.from(koffi.decode(p, 'uint8', a.getLengthSid(p)) as number[]));
}

/** Owner and DACL of a file or folder; throws with the Win32 error code when they cannot be read. */
export function readFileSecurity(path: string): SecurityInfo {
  const a = load();
  const owner: unknown[] = [null];
  const dacl: unknown[] = [null];
  const sd: unknown[] = [null];
  const rv = a.getNamedSecurityInfo(path, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, owner, [null], dacl, [null], sd);
  if (rv !== 0) throw Object.assign(new Error(`GetNamedSecurityInfoW failed: ${rv}`), { win32Error: rv });
  try {
    let aces = null;
    if (dacl[0]) {
      const size = (koffi.decode(dacl[0], 'uint16', 2) as number[])[1]!;
      aces = parseAcl(Uint8Array.from(koffi.decode(dacl[0], 'uint8', size) as number[]));
    }
    return { owner: sidAt(a, owner[0]), dacl: aces };
  } finally {
    if (sd[0]) a.localFree(sd[0]);
  }
}

let trustedCache: Set<Sid> | null = null;

/**
 * SYSTEM, Administrators, TrustedInstaller — and the current user when this process runs as an
 * administrator (what such a user can write, it could change anyway). A filtered UAC token is not.
 */
export function trustedPrincipals(): ReadonlySet<Sid> {
  if (trustedCache) return trustedCache;
  const a = load();
  const trusted = new Set<Sid>(ADMIN_SIDS);
  const admins: unknown[] = [null];
  if (a.convertStringSidToSid(SID.ADMINISTRATORS, admins)) {
    const member = [0];
    const isAdmin = a.checkTokenMembership(null, admins[0], member) !== 0 && member[0] !== 0;
    a.localFree(admins[0]);
    const user = isAdmin ? currentUser(a) : null;
    if (user) trusted.add(user);
  }
  trustedCache = trusted;
  return trusted;
}

function currentUser(a: Api): Sid | null {
  const token: unknown[] = [null];
  if (!a.openProcessToken(a.getCurrentProcess(), TOKEN_QUERY, token)) return null;
  try {
    const buf = Buffer.alloc(256);
    const len = [0];
    if (!a.getTokenInformation(token[0], TOKEN_USER, buf, buf.length, len)) return null;
    // TOKEN_USER starts with a pointer to the SID, which lies inside the same buffer.
    const sidPtr = koffi.decode(buf, 'void *');
    return sidAt(a, sidPtr);
  } finally {
    a.closeHandle(token[0]);
  }
}
