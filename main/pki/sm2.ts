/**
 * SM2 / SM3 (GM/T 0003, 0004, 0009) in JavaScript: Electron's BoringSSL has neither, so every
 * SM2/SM3 operation in the product goes through sm-crypto-v2, never through Node's crypto.
 */
import { sm2, sm3 as sm3Hex } from 'sm-crypto-v2';
import { TAG } from './asn1-tags.ts';

/** GM/T 0009 default signer ID; both sides must use it or Z_A differs. */
export const SM2_DEFAULT_USER_ID = '1234567812345678';
const SM2_OPTIONS = { der: true, hash: true, userId: SM2_DEFAULT_USER_ID } as const;

export function bytesToHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function hexToBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** SM3 digest (32 bytes). */
export function sm3(data: Uint8Array): Uint8Array {
  return hexToBytes(sm3Hex(data));
}

/** Signs `data` (hashed inside with Z_A) and returns the DER SEQUENCE{r,s}. */
export function sm2Sign(privateKeyHex: string, data: Uint8Array): Uint8Array {
  const publicKey = sm2.getPublicKeyFromPrivateKey(privateKeyHex);
  return hexToBytes(sm2.doSignature(data, privateKeyHex, { ...SM2_OPTIONS, publicKey }));
}

// CA keys verify many signatures: from a key's second use on, verify with a precomputed
// window table (~50 ms once, then ~4x faster per verify). Bounded, oldest evicted first. Only
// keys vouched for (configured anchors and intermediates, keys on a proven path) are ever
// precomputed: a token full of fresh look-alike CA keys would otherwise buy 50 ms per key and
// push the real CAs out of the table.
const MAX_PRECOMPUTED_KEYS = 64;
const MAX_VOUCHED_KEYS = MAX_PRECOMPUTED_KEYS * 4;
const vouched = new Map<string, number>();
const precomputed = new Map<string, ReturnType<typeof sm2.precomputePublicKey>>();

/** Allows precomputation for an SM2 key (uncompressed hex) the caller trusts to come back. */
export function vouchForSm2Key(publicKeyHex: string): void {
  const key = publicKeyHex.toLowerCase();
  if (vouched.has(key) || precomputed.has(key)) return;
  if (vouched.size >= MAX_VOUCHED_KEYS) vouched.delete(vouched.keys().next().value!);
  vouched.set(key, 0);
}

/** True when the key's table is built (for tests: real CAs stay in it). */
export function isSm2KeyPrecomputed(publicKeyHex: string): boolean {
  return precomputed.has(publicKeyHex.toLowerCase());
}

function verifyKey(publicKeyHex: string): string | ReturnType<typeof sm2.precomputePublicKey> {
  const hit = precomputed.get(publicKeyHex);
  if (hit) return hit;
  const uses = vouched.get(publicKeyHex);
  if (uses === undefined) return publicKeyHex;
  if (uses < 1) {
    vouched.set(publicKeyHex, uses + 1);
    return publicKeyHex;
  }
  vouched.delete(publicKeyHex);
  const point = sm2.precomputePublicKey(publicKeyHex, 6);
  if (precomputed.size >= MAX_PRECOMPUTED_KEYS) precomputed.delete(precomputed.keys().next().value!);
  precomputed.set(publicKeyHex, point);
  return point;
}

/** Order n of the SM2 curve's base point (GM/T 0003.5). */
const SM2_N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;

/** One minimal, positive DER INTEGER at `pos`; null when the encoding is not the only one possible. */
function strictInteger(b: Uint8Array, pos: number): { value: bigint; end: number } | null {
  if (b[pos] !== TAG.integer || pos + 2 > b.length) return null;
  const len = b[pos + 1]!;
  const body = pos + 2;
  if (len < 1 || len > 33 || body + len > b.length) return null;
  const first = b[body]!;
  if (first & 0x80) return null; // negative
  if (first === 0 && (len === 1 || (b[body + 1]! & 0x80) === 0)) return null; // zero, or a needless leading 0x00
  let value = 0n;
  for (let i = body; i < body + len; i++) value = (value << 8n) | BigInt(b[i]!);
  return { value, end: body + len };
}

/**
 * (r, s) of an SM2 signature in its one strict DER form: SEQUENCE of two minimal INTEGERs,
 * 1 <= r, s < n, nothing after. The library's decoder ignores trailing bytes and s + n, so a
 * certificate could get a new fingerprint with the same signature; we decide, not it.
 */
export function parseSm2SignatureDer(der: Uint8Array): { r: bigint; s: bigint } | null {
  if (der.length < 8 || der[0] !== TAG.sequence || der[1]! >= 0x80 || der[1]! + 2 !== der.length) return null;
  const r = strictInteger(der, 2);
  if (!r) return null;
  const s = strictInteger(der, r.end);
  if (!s || s.end !== der.length) return null;
  if (r.value >= SM2_N || s.value >= SM2_N) return null;
  return { r: r.value, s: s.value };
}

function rawSignatureHex(rs: { r: bigint; s: bigint }): string {
  return rs.r.toString(16).padStart(64, '0') + rs.s.toString(16).padStart(64, '0');
}

/** Verifies a DER SM2 signature over `data`; publicKeyHex is the uncompressed point `04‖x‖y`. */
export function sm2Verify(publicKeyHex: string, data: Uint8Array, derSig: Uint8Array): boolean {
  try {
    const key = publicKeyHex.toLowerCase();
    if (!/^04[0-9a-f]{128}$/.test(key)) return false;
    const rs = parseSm2SignatureDer(derSig);
    if (!rs) return false;
    return sm2.doVerifySignature(data, rawSignatureHex(rs), verifyKey(key), { ...SM2_OPTIONS, der: false });
  } catch {
    // Malformed points or signatures are simply not valid signatures.
    return false;
  }
}

/** Public point (uncompressed hex) for a private scalar (hex). */
export function sm2PublicKeyFromPrivate(privateKeyHex: string): string {
  return sm2.getPublicKeyFromPrivateKey(privateKeyHex);
}

/** SM3(Z_A ‖ M): the value e an SM2 signature over `data` signs (the default ID unless another is given). */
export function sm2MessageHash(publicKeyHex: string, data: Uint8Array, userId: string = SM2_DEFAULT_USER_ID): Uint8Array {
  return hexToBytes(sm2.getHash(bytesToHex(data), publicKeyHex, userId));
}

/** Verifies a DER SM2 signature over a precomputed e = SM3(Z_A ‖ M) (32 bytes). Never throws. */
export function sm2VerifyHash(publicKeyHex: string, e: Uint8Array, derSig: Uint8Array): boolean {
  try {
    if (e.length !== 32 || !/^04[0-9a-f]{128}$/i.test(publicKeyHex)) return false;
    const rs = parseSm2SignatureDer(derSig);
    if (!rs) return false;
    return sm2.doVerifySignature(e, rawSignatureHex(rs), publicKeyHex.toLowerCase(), { der: false, hash: false });
  } catch {
    return false;
  }
}

/** Signs a precomputed e = SM3(Z_A ‖ M) (32 bytes) and returns the DER SEQUENCE{r,s}. */
export function sm2SignHash(privateKeyHex: string, e: Uint8Array): Uint8Array {
  if (e.length !== 32) throw new RangeError('SM2 hash must be 32 bytes');
  return hexToBytes(sm2.doSignature(e, privateKeyHex, { der: true, hash: false }));
}

/** The two ways SM2 ciphertexts travel: GM/T 0003-4 C1‖C3‖C2 (C1 = 04‖x‖y) and GM/T 0009 DER. */
export type Sm2CiphertextForm = 'c1c3c2' | 'der';

/** SM2 public-key encryption (GM/T 0003-4) of `data` for the point `04‖x‖y` (hex). */
export function sm2Encrypt(publicKeyHex: string, data: Uint8Array, form: Sm2CiphertextForm): Uint8Array {
  if (form === 'der') return hexToBytes(sm2.doEncrypt(data, publicKeyHex, 1, { asn1: true }));
  // sm-crypto leaves out C1's 04 prefix; the standard (and OpenSSL's raw form) keeps it.
  return hexToBytes('04' + sm2.doEncrypt(data, publicKeyHex, 1));
}

/**
 * GM/T 0009 DER SEQUENCE{x, y, C3, C2} → C1‖C3‖C2 with the 04 prefix; null when it is not that DER.
 * Already-raw input (04‖…) is returned as it is.
 */
export function sm2CiphertextToC1C3C2(ct: Uint8Array): Uint8Array | null {
  if (ct.length >= 97 && ct[0] === 0x04) return ct;
  if (ct[0] !== 0x30) return null;
  let p = 0;
  const readLen = (): number => {
    let len = ct[p++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n < 1 || n > 3) return -1;
      len = 0;
      for (let i = 0; i < n; i++) len = (len << 8) | ct[p++]!;
    }
    return len;
  };
  const item = (tag: number): Uint8Array | null => {
    if (ct[p++] !== tag) return null;
    const len = readLen();
    if (len < 0 || p + len > ct.length) return null;
    const v = ct.subarray(p, p + len);
    p += len;
    return v;
  };
  const seq = item(0x30);
  if (!seq || p !== ct.length) return null;
  p = ct.length - seq.length;
  const x = item(0x02);
  const y = item(0x02);
  const c3 = item(0x04);
  const c2 = item(0x04);
  if (!x || !y || !c3 || !c2 || p !== ct.length || c3.length !== 32) return null;
  const coord = (v: Uint8Array): Buffer | null => {
    const t = v.length > 32 && v[0] === 0 ? v.subarray(v.length - 32) : v;
    if (t.length > 32) return null;
    return Buffer.concat([Buffer.alloc(32 - t.length), t]);
  };
  const cx = coord(x);
  const cy = coord(y);
  if (!cx || !cy) return null;
  return new Uint8Array(Buffer.concat([Buffer.from([4]), cx, cy, c3, c2]));
}

/**
 * SM2 decryption of C1‖C3‖C2 (04-prefixed) or GM/T 0009 DER; null when C3 does not check
 * (wrong key or damaged data) or the input is neither form.
 */
export function sm2Decrypt(privateKeyHex: string, ct: Uint8Array): Uint8Array | null {
  const raw = sm2CiphertextToC1C3C2(ct);
  if (!raw || raw.length < 97) return null;
  try {
    const out = sm2.doDecrypt(bytesToHex(raw.subarray(1)), privateKeyHex, 1, { output: 'array' });
    // sm-crypto answers a failed C3 check with an empty result; an empty message cannot be encrypted.
    return out.length === 0 && raw.length !== 97 ? null : new Uint8Array(out);
  } catch {
    return null;
  }
}
