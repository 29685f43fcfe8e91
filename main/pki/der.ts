/**
 * A bounded pre-pass over BER/DER bytes before asn1js sees them: asn1js recurses without a
 * depth limit and trusts length fields, so absurd lengths and deep nesting are rejected here.
 */
import * as asn1js from 'asn1js';
import { AssistantError } from '../errors.ts';

export const MAX_DER_DEPTH = 48;

export interface DerCheckOptions {
  maxDepth?: number;
  /** PKCS#12 from Java or old Windows tools may use BER indefinite lengths. */
  allowIndefinite?: boolean;
  /** Error code thrown on malformed input. */
  code?: string;
}

function malformed(code: string, why: string, en: string): AssistantError {
  return new AssistantError(code, `证书数据格式错误：${why}`, { en: `malformed ASN.1 data: ${en}` });
}

/**
 * Checks that `bytes` hold exactly one well-formed TLV whose nested lengths all fit inside their
 * parents, with nesting at most `maxDepth`. Iterative, so hostile input cannot exhaust the stack.
 * Returns the length of the outer TLV.
 */
export function checkDerStructure(bytes: Uint8Array, opts: DerCheckOptions = {}): number {
  const maxDepth = opts.maxDepth ?? MAX_DER_DEPTH;
  const code = opts.code ?? 'CERT_MALFORMED';
  // Stack of end offsets of the constructed values we are inside (-1 = indefinite).
  const ends: number[] = [];
  let pos = 0;
  const total = bytes.length;
  if (total < 2) throw malformed(code, '数据过短', 'too short');
  let outerEnd = -2;
  for (;;) {
    const limit = ends.length ? ends[ends.length - 1]! : total;
    const hardLimit = limit < 0 ? total : limit;
    if (pos === hardLimit && ends.length) {
      if (limit < 0) throw malformed(code, '不定长编码缺少结束标记', 'indefinite length without end-of-contents');
      ends.pop();
      if (!ends.length) break;
      continue;
    }
    if (!ends.length && outerEnd !== -2) break;
    if (pos + 2 > hardLimit) throw malformed(code, '数据被截断', 'truncated');
    const tag = bytes[pos++]!;
    if ((tag & 0x1f) === 0x1f) {
      // High tag number: base-128, at most 4 bytes.
      let n = 0;
      for (;;) {
        if (pos >= hardLimit || ++n > 4) throw malformed(code, '标签编码无效', 'bad tag');
        if ((bytes[pos++]! & 0x80) === 0) break;
      }
    }
    if (pos >= hardLimit) throw malformed(code, '数据被截断', 'truncated');
    const first = bytes[pos++]!;
    const constructed = (tag & 0x20) !== 0;
    if (tag === 0 && first === 0) {
      // End-of-contents closes an indefinite-length value.
      if (!ends.length || ends[ends.length - 1] !== -1) throw malformed(code, '意外的结束标记', 'unexpected end-of-contents');
      ends.pop();
      if (!ends.length) {
        outerEnd = pos;
        break;
      }
      continue;
    }
    let len: number;
    if (first < 0x80) len = first;
    else if (first === 0x80) {
      if (!opts.allowIndefinite || !constructed) throw malformed(code, '不允许的不定长编码', 'indefinite length not allowed');
      len = -1;
    } else {
      const n = first & 0x7f;
      if (n > 4) throw malformed(code, '长度字段过大', 'length field too large');
      if (pos + n > hardLimit) throw malformed(code, '数据被截断', 'truncated');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + bytes[pos++]!;
    }
    if (len >= 0 && pos + len > hardLimit) throw malformed(code, '长度超出数据范围', 'length exceeds available data');
    const isOuter = ends.length === 0;
    if (constructed) {
      if (ends.length + 1 > maxDepth) throw malformed(code, '嵌套层数过深', 'nesting too deep');
      ends.push(len < 0 ? -1 : pos + len);
      if (isOuter) outerEnd = len < 0 ? -1 : pos + len;
      if (len === 0) {
        ends.pop();
        if (!ends.length) break;
      }
    } else {
      pos += len;
      if (isOuter) {
        outerEnd = pos;
        break;
      }
    }
  }
  return outerEnd < 0 ? pos : outerEnd;
}

/**
 * asn1js.fromBER behind the bounded pre-pass, with its exceptions (bad times, bad strings)
 * turned into the typed error `code`. Returns the outer value; trailing bytes are allowed.
 */
export function parseBer(bytes: Uint8Array, code = 'CERT_MALFORMED', opts: { allowIndefinite?: boolean; maxDepth?: number } = {}): asn1js.AsnType {
  const end = checkDerStructure(bytes, { ...opts, code });
  let asn;
  try {
    asn = asn1js.fromBER(bytes.subarray(0, end));
  } catch {
    throw malformed(code, '无法解码', 'cannot decode');
  }
  if (asn.offset === -1) throw malformed(code, '无法解码', 'cannot decode');
  return asn.result;
}
