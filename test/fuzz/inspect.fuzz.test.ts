/**
 * Seeded, reproducible fuzzing of the whole inspect pipeline (read → parse → identity → checks)
 * with mutated certificates, bundles and PFX files. Every outcome must be a report or an
 * AssistantError with a known code. Reproduce a case with FUZZ_SEED=<seed>.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getTestPki } from '../fixtures/pki.ts';
import { AssistantError } from '../../main/errors.ts';
import { parseCertificate, type ParsedCertificate } from '../../main/pki/certificate.ts';
import { inspectCertificate } from '../../main/pki/inspect.ts';
import { readCertificateFile, readCertificatePath } from '../../main/pki/read.ts';
import { loadCaProfiles } from '../../main/pki/ca-profiles.ts';
import { seededRandom as prng } from '../support/random.ts';

const KNOWN_CODES = new Set([
  'CERT_MALFORMED',
  'CERT_TOO_LARGE',
  'FORMAT_UNRECOGNIZED',
  'FILE_EMPTY',
  'FILE_TOO_LARGE',
  'PEM_MALFORMED',
  'PFX_MALFORMED',
  'PFX_BAD_PASSWORD',
  'PFX_PASSWORD_REQUIRED',
  'PFX_UNSUPPORTED_ALGORITHM',
  'KEY_MALFORMED',
  'KEY_BAD_PASSWORD',
  'TOO_MANY_CERTIFICATES',
  // RFC 5280 §4.2: a repeated extension is refused while reading (the security work's check).
  'CERT_DUPLICATE_EXTENSION',
  // A mutated iteration count or bag count meets the PFX cost caps before any key is derived.
  'PFX_TOO_EXPENSIVE',
  'PFX_TOO_MANY_BAGS',
  'KEY_TOO_EXPENSIVE',
]);

/** Offsets of TLV headers (tag byte) in well-formed DER/BER, for length-field corruption. */
function headerOffsets(b: Uint8Array): number[] {
  const out: number[] = [];
  const walk = (start: number, end: number, depth: number): void => {
    let p = start;
    while (p + 2 <= end && depth < 40 && out.length < 5000) {
      const tagAt = p;
      const tag = b[p++]!;
      let len = b[p++]!;
      if (len === 0x80) return;
      if (len & 0x80) {
        const n = len & 0x7f;
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + b[p++]!;
      }
      out.push(tagAt);
      if (tag & 0x20) walk(p, Math.min(end, p + len), depth + 1);
      else if (tag === 0x04 && len > 2 && b[p] === 0x30) walk(p, Math.min(end, p + len), depth + 1); // DER inside OCTET STRING (PFX)
      p += len;
    }
  };
  walk(0, b.length, 0);
  return out;
}

interface Seed {
  name: string;
  bytes: Uint8Array;
  headers: number[];
  pfx: boolean;
}

function mutate(rand: () => number, seed: Seed, seeds: Seed[]): Uint8Array {
  const b = Buffer.from(seed.bytes);
  const int = (n: number): number => Math.floor(rand() * n);
  switch (int(7)) {
    case 0: {
      // bit flips
      const n = 1 + int(8);
      for (let i = 0; i < n; i++) {
        const at = int(b.length);
        b[at] = b[at]! ^ (1 << int(8));
      }
      return b;
    }
    case 1:
      return b.subarray(0, int(b.length));
    case 2: {
      // length-field corruption at a real header
      const at = seed.headers[int(seed.headers.length)]! + 1;
      const choices = [0x00, 0x7f, 0x80, 0x81, 0x84, 0x85, 0xff, b[at]! + 1, b[at]! - 1];
      b[at] = choices[int(choices.length)]! & 0xff;
      if (b[at] === 0x84 && at + 4 < b.length) b.writeUInt32BE(0xffffffff - int(1000), at + 1);
      return b;
    }
    case 3: {
      // splice two inputs
      const other = seeds[int(seeds.length)]!.bytes;
      return Buffer.concat([b.subarray(0, int(b.length)), Buffer.from(other.subarray(int(other.length)))]);
    }
    case 4: {
      // duplicate or delete a chunk
      const at = int(b.length);
      const len = 1 + int(64);
      return rand() < 0.5 ? Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]) : Buffer.concat([b.subarray(0, at), b.subarray(at + len)]);
    }
    case 5: {
      // overwrite a chunk with random bytes
      const at = int(b.length);
      for (let i = at; i < Math.min(b.length, at + 1 + int(32)); i++) b[i] = int(256);
      return b;
    }
    default: {
      // tag corruption at a header
      const at = seed.headers[int(seed.headers.length)]!;
      b[at] = int(256);
      return b;
    }
  }
}

test('fuzz: ≥ 10,000 mutated certificates, bundles and PFX files give a report or a typed error', async () => {
  const pki = await getTestPki();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-fuzz-'));
  try {
    // Low-iteration PFX files: PBKDF cost would otherwise dominate.
    const pfxFiles: [string, string[]][] = [
      ['hebca-ent', ['-legacy']],
      ['hebca-sm2-ent', []],
      ['cfca-ec-ent', ['-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1']],
    ];
    const seeds: Seed[] = [];
    const add = (name: string, bytes: Uint8Array, pfx = false): void => {
      seeds.push({ name, bytes, headers: headerOffsets(bytes), pfx });
    };
    for (const [id, extra] of pfxFiles) {
      const e = pki.get(id);
      const out = path.join(tmp, `${id}.pfx`);
      execFileSync('openssl', ['pkcs12', '-export', ...extra, '-noiter', '-nomaciter', '-in', e.certPem, '-inkey', e.keyPem, '-certfile', pki.get(e.chain[0]!).certPem, '-name', '河北测试', '-out', out, '-passout', 'pass:123456']);
      add(`${id}.pfx`, fs.readFileSync(out), true);
    }
    for (const id of ['hebca-ent', 'hebca-sm2-ent', 'cfca-ec-ent', 'bjca-ent', 'cucca-ent', 'neg-personal']) add(`${id}.der`, fs.readFileSync(pki.get(id).certDer));
    add('chain.p7b', fs.readFileSync(pki.bundles.p7b));
    add('leaf.pem', fs.readFileSync(pki.get('sheca-ent').certPem));

    const now = new Date();
    const profiles = loadCaProfiles();
    const anchors: ParsedCertificate[] = ['hebca-root', 'cfca-ec-root', 'hebca-sm2-root'].map((id) => parseCertificate(fs.readFileSync(pki.get(id).certDer)));
    const cas: ParsedCertificate[] = ['hebca-ca', 'cfca-ec-ca', 'hebca-sm2-ca'].map((id) => parseCertificate(fs.readFileSync(pki.get(id).certDer)));

    const seed = Number(process.env['FUZZ_SEED'] ?? 20261126);
    const rand = prng(seed);
    const total = Number(process.env['FUZZ_CASES'] ?? 10_500);
    const outcomes = new Map<string, number>();
    let reports = 0;
    for (let i = 0; i < total; i++) {
      const s = seeds[i % seeds.length]!;
      const input = mutate(rand, s, seeds);
      try {
        const r = readCertificateFile(input, { password: '123456', fileName: s.name });
        for (const c of r.certificates) {
          // SM2 verification costs ~10 ms in JS: give the chain its CAs for one SM2 case in eight.
          const withChain = c.publicKey.kind !== 'SM2' || i % 8 === 0;
          const report = inspectCertificate(c, { now, anchors: withChain ? anchors : [], intermediates: withChain ? [...cas, ...r.certificates] : [], profiles });
          assert.equal(report.checks.length, 6);
          reports++;
          // The full pkijs parse behind .cert (used by the login verifier) fails typed, too.
          if (i % 4 === 0) {
            try {
              void c.cert.subject;
            } catch (e) {
              assert.ok(e instanceof AssistantError && e.code === 'CERT_MALFORMED', String(e));
            }
          }
        }
        outcomes.set('ok', (outcomes.get('ok') ?? 0) + 1);
      } catch (e) {
        if (!(e instanceof AssistantError) || !KNOWN_CODES.has(e.code)) {
          const file = path.join(os.tmpdir(), `ca-fuzz-failure-${seed}-${i}.bin`);
          fs.writeFileSync(file, input);
          assert.fail(`case ${i} (seed ${seed}, from ${s.name}) threw ${e instanceof AssistantError ? e.code : String((e as Error)?.stack ?? e)}; input saved to ${file}`);
        }
        assert.match(e.message, /[\u4e00-\u9fff]/);
        outcomes.set(e.code, (outcomes.get(e.code) ?? 0) + 1);
      }
    }
    console.log(`fuzz seed ${seed}: ${total} inputs, ${reports} certificate reports`, Object.fromEntries(outcomes));
    assert.ok(total >= 10_000 || process.env['FUZZ_CASES'] !== undefined);
    // The mutations must reach deep: many inputs still parse, many fail in different ways.
    assert.ok((outcomes.get('ok') ?? 0) > 100, 'some mutated inputs still parse');
    assert.ok(outcomes.size >= 4, 'several distinct outcomes');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('a 50 MB file and deeply nested structures: refused early, memory bounded', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-fuzz-big-'));
  try {
    const big = path.join(tmp, 'big.cer');
    const chunk = Buffer.alloc(1024 * 1024, 0x30);
    const fd = fs.openSync(big, 'w');
    for (let i = 0; i < 50; i++) fs.writeSync(fd, chunk);
    fs.closeSync(fd);
    global.gc?.();
    const before = process.memoryUsage().rss;
    await assert.rejects(readCertificatePath(big), (e: AssistantError) => e.code === 'FILE_TOO_LARGE');
    assert.ok(process.memoryUsage().rss - before < 40 * 1024 * 1024, 'the 50 MB file was not read into memory');

    // 4 MB of indefinite-length SEQUENCE openings, and of definite-length nesting.
    const depth = 2 * 1024 * 1024;
    const indefinite = Buffer.alloc(depth * 2);
    for (let i = 0; i < depth; i++) indefinite.writeUInt16BE(0x3080, i * 2);
    assert.throws(() => readCertificateFile(indefinite), (e: AssistantError) => e.code === 'CERT_MALFORMED');
    assert.throws(() => readCertificateFile(indefinite, { fileName: 'a.pfx' }), (e: AssistantError) => e.code === 'PFX_MALFORMED');
    const n = 100_000;
    const parts: Buffer[] = [];
    let inner = Buffer.from([0x05, 0x00]);
    for (let i = 0; i < n; i++) {
      const len = inner.length;
      const header = len < 0x80 ? Buffer.from([0x30, len]) : len < 0x10000 ? Buffer.from([0x30, 0x82, len >> 8, len & 0xff]) : Buffer.from([0x30, 0x84, 0, 0, 0, 0]);
      if (len >= 0x10000) header.writeUInt32BE(len, 2);
      if (i % 1000 === 999) parts.push(header);
      inner = i < 2000 ? Buffer.concat([header, inner]) : inner;
    }
    assert.throws(() => readCertificateFile(inner), (e: AssistantError) => e.code === 'CERT_MALFORMED');
    assert.throws(() => parseCertificate(inner), (e: AssistantError) => e.code === 'CERT_MALFORMED' || e.code === 'CERT_TOO_LARGE');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
