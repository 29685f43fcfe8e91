/**
 * A hostile SM2 login token (the CPU-amplification attack from issue 12): a leaf under a stack
 * of self-issued look-alike CAs, each with the real CA's exact subject DN and a fresh key, so
 * every candidate has the right name and a signature that must be checked to be refused. The
 * certificates are the real CA's and leaf's TBS with the key, issuer and serial replaced, signed
 * by the OpenSSL CLI (`openssl dgst -sm3 -sign`).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { assembleCertificate, certificateParts, opensslSign } from '../fixtures/generate-crafted-chains.ts';
import type { PkiEntry } from '../fixtures/pki.ts';

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Whole TLVs directly inside the constructed TLV `b`. */
function childrenOf(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let p = 1 + (b[1]! < 0x80 ? 1 : 1 + (b[1]! & 0x7f));
  while (p < b.length) {
    const first = b[p + 1]!;
    let len = first;
    let hdr = 2;
    if (first >= 0x80) {
      len = 0;
      for (let i = 0; i < (first & 0x7f); i++) len = len * 256 + b[p + 2 + i]!;
      hdr = 2 + (first & 0x7f);
    }
    out.push(b.subarray(p, p + hdr + len));
    p += hdr + len;
  }
  return out;
}

function sequence(parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
}

/** The TBS of `der` with a new serial, issuer and SubjectPublicKeyInfo. */
function retarget(der: Buffer, issuer: Buffer, spki: Buffer): Buffer {
  const fields = childrenOf(certificateParts(der).tbs);
  const v = fields[0]![0] === 0xa0 ? 1 : 0;
  fields[v] = Buffer.concat([Buffer.from([0x02, 0x09, 0x01]), randomBytes(8)]);
  fields[v + 2] = issuer;
  fields[v + 5] = spki;
  return sequence(fields);
}

export interface HostileToken {
  leaf: PkiEntry;
  intermediates: Uint8Array[];
  /** The look-alike CAs' public keys (uncompressed hex), to check they never reach the precompute table. */
  lookalikeKeys: string[];
}

/**
 * Builds `count` look-alikes of `realCa` (a stack: each signed by the next, the last by itself)
 * and a copy of `realLeaf` under the first, each with a fresh SM2 key, in `dir`.
 */
export function buildLookalikeSm2Chain(dir: string, realCa: PkiEntry, realLeaf: PkiEntry, count = 4): HostileToken {
  fs.mkdirSync(dir, { recursive: true });
  const caDer = fs.readFileSync(realCa.certDer);
  const subject = childrenOf(certificateParts(caDer).tbs)[childrenOf(certificateParts(caDer).tbs)[0]![0] === 0xa0 ? 5 : 4]!;
  const keys = Array.from({ length: count + 1 }, (_, i) => {
    const key = path.join(dir, `k${i}.pem`);
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-pkeyopt', 'ec_param_enc:named_curve', '-out', key], { stdio: 'ignore' });
    const spki = execFileSync('openssl', ['pkey', '-in', key, '-pubout', '-outform', 'DER']);
    return { key, spki };
  });
  // keys[0] is the leaf's; keys[i] (i >= 1) is look-alike i's, signed by keys[i + 1] (the last by itself).
  const cas: Buffer[] = [];
  for (let i = 1; i <= count; i++) {
    const tbs = retarget(caDer, subject, keys[i]!.spki);
    const signer = keys[Math.min(i + 1, count)]!.key;
    cas.push(assembleCertificate(tbs, certificateParts(caDer).alg, opensslSign('sm2', signer, tbs, dir)));
  }
  const leafDer = fs.readFileSync(realLeaf.certDer);
  const leafTbs = retarget(leafDer, subject, keys[0]!.spki);
  const leaf = assembleCertificate(leafTbs, certificateParts(leafDer).alg, opensslSign('sm2', keys[1]!.key, leafTbs, dir));
  const certDer = path.join(dir, 'leaf.der');
  fs.writeFileSync(certDer, leaf);
  const lookalikeKeys = keys.slice(1).map((k) => k.spki.subarray(k.spki.length - 65).toString('hex'));
  return { leaf: { ...realLeaf, id: 'hostile-lookalike', keyPem: keys[0]!.key, certDer }, intermediates: cas.map((c) => new Uint8Array(c)), lookalikeKeys };
}
