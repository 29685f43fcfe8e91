/**
 * A minimal, bounds-checked DER reader for the fields the certificate core needs. asn1js builds
 * an object per node and dominates inspect time; reading X.509 fields directly keeps inspect
 * near the speed of a native parse. asn1js/pkijs stay the full parser behind `cert`.
 */
import { AssistantError } from '../errors.ts';
import { TAG } from './asn1-tags.ts';

export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the contents. */
  body: number;
  /** Offset just past the contents. */
  end: number;
}

export function derError(why: string, en: string): AssistantError {
  return new AssistantError('CERT_MALFORMED', `证书格式错误：${why}`, { en: `malformed certificate: ${en}` });
}

/** Reads one definite-length TLV at `pos`, never past `limit`. Low tag numbers only (X.509 needs no more). */
export function readTlv(b: Uint8Array, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) throw derError('数据被截断', 'truncated');
  const tag = b[pos]!;
  if ((tag & 0x1f) === 0x1f) throw derError('不支持的标签', 'unsupported tag');
  let p = pos + 1;
  const first = b[p++]!;
  let len: number;
  if (first < 0x80) len = first;
  else {
    const n = first & 0x7f;
    if (n === 0 || n > 4) throw derError('长度字段无效', 'bad length');
    if (p + n > limit) throw derError('数据被截断', 'truncated');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p++]!;
  }
  if (p + len > limit) throw derError('长度超出数据范围', 'length exceeds data');
  return { tag, start: pos, body: p, end: p + len };
}

/** Children of a constructed TLV. */
export function children(b: Uint8Array, t: Tlv, max = 4096): Tlv[] {
  const out: Tlv[] = [];
  let p = t.body;
  while (p < t.end) {
    if (out.length >= max) throw derError('元素过多', 'too many elements');
    const c = readTlv(b, p, t.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw derError(`${what}结构错误`, `bad ${what}`);
  return t;
}

/** Dotted OID from the contents of an OBJECT IDENTIFIER. */
export function oidText(b: Uint8Array, t: Tlv): string {
  if (t.tag !== TAG.objectIdentifier || t.end === t.body) throw derError('对象标识符无效', 'bad OID');
  const parts: number[] = [];
  let v = 0;
  let bytes = 0;
  for (let i = t.body; i < t.end; i++) {
    const x = b[i]!;
    v = v * 128 + (x & 0x7f);
    if (++bytes > 8) throw derError('对象标识符无效', 'bad OID');
    if ((x & 0x80) === 0) {
      if (parts.length === 0) {
        const first = v < 80 ? Math.floor(v / 40) : 2;
        parts.push(first, v - first * 40);
      } else parts.push(v);
      v = 0;
      bytes = 0;
    }
  }
  if (bytes !== 0) throw derError('对象标识符无效', 'bad OID');
  return parts.join('.');
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf16be = new TextDecoder('utf-16be', { fatal: false });
const latin1 = new TextDecoder('latin1');

/** Text of a directory string value of any type; `#hex` for types that are not strings. */
export function stringValue(b: Uint8Array, t: Tlv): string {
  const body = b.subarray(t.body, t.end);
  switch (t.tag) {
    case TAG.utf8String:
      return utf8.decode(body);
    case TAG.printableString:
    case TAG.ia5String:
    case TAG.numericString:
    case TAG.visibleString:
    case TAG.teletexString:
      return latin1.decode(body);
    case TAG.bmpString:
      return utf16be.decode(body);
    case TAG.universalString: {
      // UniversalString (UTF-32BE)
      let s = '';
      for (let i = 0; i + 3 < body.length; i += 4) {
        const cp = ((body[i]! << 24) | (body[i + 1]! << 16) | (body[i + 2]! << 8) | body[i + 3]!) >>> 0;
        s += String.fromCodePoint(cp > 0x10ffff ? 0xfffd : cp);
      }
      return s;
    }
    default:
      return '#' + Buffer.from(b.subarray(t.start, t.end)).toString('hex');
  }
}

/** UTCTime / GeneralizedTime → Date. */
export function timeValue(b: Uint8Array, t: Tlv): Date {
  const s = latin1.decode(b.subarray(t.body, t.end));
  let m: RegExpExecArray | null;
  let year: number;
  let rest: string;
  if (t.tag === TAG.utcTime) {
    m = /^(\d{2})(\d{8,10})(.*)$/.exec(s);
    if (!m) throw derError('时间格式无效', 'bad UTCTime');
    const yy = Number(m[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
    rest = m[2]! + m[3]!;
  } else if (t.tag === TAG.generalizedTime) {
    m = /^(\d{4})(\d{8,10}(?:[.,]\d+)?)(.*)$/.exec(s);
    if (!m) throw derError('时间格式无效', 'bad GeneralizedTime');
    year = Number(m[1]);
    rest = m[2]! + m[3]!;
  } else throw derError('时间类型无效', 'bad time type');
  const r = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?([.,]\d+)?(Z|[+-]\d{4})?$/.exec(rest);
  if (!r) throw derError('时间格式无效', 'bad time');
  const [mo, d, h, mi] = [Number(r[1]), Number(r[2]), Number(r[3]), Number(r[4])];
  const sec = r[5] ? Number(r[5]) : 0;
  const ms = r[6] ? Math.round(Number('0.' + r[6].slice(1)) * 1000) : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) throw derError('时间值无效', 'time out of range');
  let when = Date.UTC(year, mo - 1, d, h, mi, sec, ms);
  const tz = r[7];
  if (tz && tz !== 'Z') when -= (tz[0] === '+' ? 1 : -1) * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(3, 5))) * 60_000;
  return new Date(when);
}
