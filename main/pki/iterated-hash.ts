/**
 * A = H^n(A) for the PKCS#12 KDF (RFC 7292 B.2). node:crypto has no iterated hash, and one call
 * into it per iteration costs ~0.7 µs of call overhead for ~0.1 µs of hashing, so a PFX MAC with
 * 600,000 iterations took most of the time opening a file. SHA-1 and SHA-256 (what real PFX files
 * use) run the whole loop in a small WebAssembly module (wasm/iterated-hash.wat); other digests
 * keep the node:crypto loop. The module is written by scripts/iterated-hash-wat.ts (`npm run wasm`).
 */
import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { ITERATED_HASH_WASM_BASE64 } from './iterated-hash-wasm.ts';

// The main tsconfig has no DOM lib: just the part of the WebAssembly global used here.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

interface IteratedHashExports {
  memory: { buffer: ArrayBuffer };
  sha256_iter(n: number): void;
  sha1_iter(n: number): void;
}

let wasm: IteratedHashExports | null | undefined;
const SLICE = 1000;

function wasmExports(): IteratedHashExports | null {
  if (wasm === undefined) {
    try {
      // Synchronous compile: Node allows it at any size (the module is 13 KB).
      const module = new WebAssembly.Module(Buffer.from(ITERATED_HASH_WASM_BASE64, 'base64'));
      wasm = new WebAssembly.Instance(module, {}).exports as unknown as IteratedHashExports;
    } catch {
      wasm = null; // no WebAssembly here: the node:crypto loop still gives the right answer
    }
  }
  return wasm;
}

// One-shot hashing (Node >= 20.12) is several times cheaper than a Hash object per iteration.
const oneShot = (crypto as { hash?: (alg: string, data: Uint8Array, enc: 'buffer') => Buffer }).hash;
function digestOnce(alg: string, data: Buffer): Buffer {
  return oneShot ? oneShot(alg, data, 'buffer') : createHash(alg).update(data).digest();
}

/** The node:crypto loop (any digest); also the reference the tests hold the WebAssembly loop to. */
export function iterateHashNode(alg: string, digest: Uint8Array, n: number): Buffer {
  let a: Buffer = Buffer.from(digest);
  for (let i = 0; i < n; i++) a = digestOnce(alg, a);
  return a;
}

/** Hashes `digest` (a digest of `alg`) n more times: H(H(...H(digest))). */
export function iterateHash(alg: string, digest: Uint8Array, n: number): Buffer {
  const words = alg === 'sha256' ? 8 : alg === 'sha1' ? 5 : 0;
  const w = words && digest.length === words * 4 ? wasmExports() : null;
  if (!w) return iterateHashNode(alg, digest, n);
  const mem = new DataView(w.memory.buffer);
  const input = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
  for (let i = 0; i < words; i++) mem.setUint32(i * 4, input.getUint32(i * 4), true);
  // In slices: V8 runs new WebAssembly in its baseline compiler and moves to optimised code only
  // between calls, so one 600,000-iteration call would stay ~5x slower on a fresh worker's first open.
  const run = words === 8 ? w.sha256_iter : w.sha1_iter;
  for (let left = n; left > 0; left -= SLICE) run(Math.min(left, SLICE));
  const out = Buffer.alloc(words * 4);
  for (let i = 0; i < words; i++) out.writeUInt32BE(mem.getUint32(i * 4, true), i * 4);
  // The last digest is key material: leave none of it in the module's memory.
  new Uint8Array(w.memory.buffer, 0, 64).fill(0);
  return out;
}
