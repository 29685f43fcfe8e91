// Writes main/pki/wasm/iterated-hash.wat: SHA-256 and SHA-1 of a one-block message (the previous
// digest), n times over, with every round written out and the message schedule in locals (about
// 1.4x faster under V8 than the same rounds as a loop over memory). `npm run wasm` runs it.

const K256 = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];
const IV256 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
const IV1 = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];

/** A word the generator knows at generation time (padding, length) or a local read at run time. */
type Word = { k: number } | { local: string };

const konst = (x: number): string => `(i32.const ${x | 0})`;
const expr = (w: Word): string => ('k' in w ? konst(w.k) : `(local.get $${w.local})`);
const get = (name: string): string => `(local.get $${name})`;
const op = (name: string, xs: string[]): string => xs.reduce((a, b) => `(i32.${name} ${a} ${b})`);
const add = (...xs: string[]): string => op('add', xs);
const xor = (...xs: string[]): string => op('xor', xs);
const and = (a: string, b: string): string => `(i32.and ${a} ${b})`;
const or = (a: string, b: string): string => `(i32.or ${a} ${b})`;
const not = (a: string): string => `(i32.xor ${a} (i32.const -1))`;
const rotr = (a: string, n: number): string => `(i32.rotr ${a} (i32.const ${n}))`;
const rotl = (a: string, n: number): string => `(i32.rotl ${a} (i32.const ${n}))`;
const shr = (a: string, n: number): string => `(i32.shr_u ${a} (i32.const ${n}))`;
const rotr32 = (x: number, n: number): number => ((x >>> n) | (x << (32 - n))) >>> 0;
const locals = (prefix: string, n: number): string => Array.from({ length: n }, (_, i) => `(local $${prefix}${i} i32)`).join(' ');

/** Loads the digest, loops n times (message = digest, padding and length known), stores it back. */
function iterFunction(name: string, words: number, lengthBits: number, rounds: (out: string[], msg: Word[]) => void): string[] {
  const out: string[] = [];
  out.push(`  (func (export "${name}") (param $n i32)`);
  out.push(`    ${locals('h', words)}`, `    ${locals('v', 8)}`, `    ${locals('w', 16)} (local $t i32)`);
  for (let i = 0; i < words; i++) out.push(`    (local.set $h${i} (i32.load offset=${i * 4} (i32.const 0)))`);
  out.push('    (block $done', '      (loop $iter', '        (br_if $done (i32.eqz (local.get $n)))');
  const msg: Word[] = [];
  for (let i = 0; i < 16; i++) {
    if (i < words) {
      out.push(`        (local.set $w${i} ${get(`h${i}`)})`);
      msg.push({ local: `w${i}` });
    } else msg.push({ k: i === words ? 0x80000000 : i === 15 ? lengthBits : 0 });
  }
  rounds(out, msg);
  out.push('        (local.set $n (i32.sub (local.get $n) (i32.const 1)))', '        (br $iter)))');
  for (let i = 0; i < words; i++) out.push(`    (i32.store offset=${i * 4} (i32.const 0) (local.get $h${i}))`);
  out.push('  )');
  return out;
}

function sha256Rounds(out: string[], msg: Word[]): void {
  for (let i = 0; i < 8; i++) out.push(`        (local.set $v${i} ${konst(IV256[i]!)})`);
  const w: Word[] = [...msg];
  for (let t = 0; t < 64; t++) {
    if (t >= 16) {
      const x = w[t - 15]!;
      const y = w[t - 2]!;
      const terms = [xor(rotr(expr(y), 17), rotr(expr(y), 19), shr(expr(y), 10)), expr(w[t - 7]!), expr(w[t - 16]!)];
      if ('k' in x) {
        const s0 = (rotr32(x.k, 7) ^ rotr32(x.k, 18) ^ (x.k >>> 3)) >>> 0;
        if (s0) terms.push(konst(s0));
      } else terms.push(xor(rotr(expr(x), 7), rotr(expr(x), 18), shr(expr(x), 3)));
      out.push(`        (local.set $w${t % 16} ${add(...terms.filter((s) => s !== '(i32.const 0)'))})`);
      w[t] = { local: `w${t % 16}` };
    }
    // Names rotate instead of values: in round t, a is v[-t mod 8], b v[1-t mod 8], …
    const r = Array.from({ length: 8 }, (_, i) => `v${(((i - t) % 8) + 8) % 8}`);
    const [a, b, c, d, e, f, g, h] = r.map(get) as [string, string, string, string, string, string, string, string];
    const terms = [h, xor(rotr(e, 6), rotr(e, 11), rotr(e, 25)), xor(and(e, f), and(not(e), g)), konst(K256[t]!)];
    if (expr(w[t]!) !== '(i32.const 0)') terms.push(expr(w[t]!));
    out.push(`        (local.set $t ${add(...terms)})`);
    out.push(`        (local.set $${r[3]} ${add(d, get('t'))})`);
    out.push(`        (local.set $${r[7]} ${add(get('t'), xor(rotr(a, 2), rotr(a, 13), rotr(a, 22)), xor(and(a, b), and(a, c), and(b, c)))})`);
  }
  for (let i = 0; i < 8; i++) out.push(`        (local.set $h${i} (i32.add ${konst(IV256[i]!)} (local.get $v${i})))`);
}

function sha1Rounds(out: string[], msg: Word[]): void {
  for (let i = 0; i < 5; i++) out.push(`        (local.set $v${i} ${konst(IV1[i]!)})`);
  const w: Word[] = [...msg];
  for (let t = 0; t < 80; t++) {
    if (t >= 16) {
      const parts = [w[t - 3]!, w[t - 8]!, w[t - 14]!, w[t - 16]!];
      let k = 0;
      const vars: string[] = [];
      for (const p of parts) {
        if ('k' in p) k ^= p.k;
        else vars.push(expr(p));
      }
      if (k) vars.push(konst(k));
      out.push(`        (local.set $w${t % 16} ${rotl(vars.length > 1 ? xor(...vars) : vars[0]!, 1)})`);
      w[t] = { local: `w${t % 16}` };
    }
    const r = Array.from({ length: 5 }, (_, i) => `v${(((i - t) % 5) + 5) % 5}`);
    const [a, b, c, d, e] = r.map(get) as [string, string, string, string, string];
    const [f, k] = t < 20 ? [or(and(b, c), and(not(b), d)), 0x5a827999]
      : t < 40 ? [xor(b, c, d), 0x6ed9eba1]
        : t < 60 ? [or(or(and(b, c), and(b, d)), and(c, d)), 0x8f1bbcdc]
          : [xor(b, c, d), 0xca62c1d6];
    const terms = [rotl(a, 5), f, e, konst(k)];
    if (expr(w[t]!) !== '(i32.const 0)') terms.push(expr(w[t]!));
    out.push(`        (local.set $${r[4]} ${add(...terms)})`);
    out.push(`        (local.set $${r[1]} ${rotl(b, 30)})`);
  }
  // After 80 rounds the names have turned 80 mod 5 = 0 times: v0..v4 are a..e again.
  for (let i = 0; i < 5; i++) out.push(`        (local.set $h${i} (i32.add ${konst(IV1[i]!)} (local.get $v${i})))`);
}

export function iteratedHashWat(): string {
  return [
    ';; Generated by scripts/iterated-hash-wat.ts (`npm run wasm`). Do not edit.',
    ';; Iterated SHA-256 and SHA-1 for the PKCS#12 KDF (RFC 7292 B.2: A = H^r(D || I)): each call hashes a',
    ';; one-block message (the previous digest) n times without leaving WebAssembly, so a 600,000-iteration',
    ';; MAC costs no per-iteration call into JS or node:crypto. Memory [0, 32): the digest as native-order',
    ';; words, in and out.',
    '(module',
    '  (memory (export "memory") 1)',
    ...iterFunction('sha256_iter', 8, 256, sha256Rounds),
    ...iterFunction('sha1_iter', 5, 160, sha1Rounds),
    ')',
    '',
  ].join('\n');
}
