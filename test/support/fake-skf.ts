/** Builds the fake SKF USB key (test/fixtures/skf-fake/fake-skf.c) with gcc against libcrypto. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PkiEntry } from '../fixtures/pki.ts';

export const FAKE_SKF_SOURCE = fileURLToPath(new URL('../fixtures/skf-fake/fake-skf.c', import.meta.url));
const onPath = (cmd: string) => (process.env['PATH'] ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, cmd)));

/** Why the SKF tests cannot run here, or false. */
export const skipFakeSkf: string | false = !onPath('gcc')
  ? 'gcc not installed'
  : !fs.existsSync('/usr/include/openssl/evp.h')
    ? 'OpenSSL headers missing (apt-get install libssl-dev)'
    : false;

/** Compiles the fake library into `dir` (a private temp directory) and returns its path. */
export function buildFakeSkf(dir: string): string {
  const out = path.join(dir, 'libfakeskf.so');
  execFileSync('gcc', ['-shared', '-fPIC', '-O1', '-Wall', '-o', out, FAKE_SKF_SOURCE, '-lcrypto'], { stdio: 'pipe' });
  return out;
}

export interface FakeSkfFiles { state: string; removed: string; log: string }

const SM2_ID = '1234567812345678';

/**
 * An encryption (exchange) key pair for `entry`'s container, as a CA issues it next to the signing
 * pair: same subject and key type (SM2, or RSA 2048 for an RSA entry), issued by `issuer` (entry's
 * CA), keyEncipherment/dataEncipherment. Built with the OpenSSL CLI into `dir`;
 * FAKE_SKF_ENC_KEY / FAKE_SKF_ENC_CERT for fakeSkfEnv's `extra`.
 */
export function makeEncryptionPair(entry: PkiEntry, issuer: PkiEntry, dir: string): { keyPem: string; certPem: string; certDer: string; env: Record<string, string> } {
  const f = (name: string) => path.join(dir, name);
  const ssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const sm2 = entry.keyAlg === 'sm2';
  const signWith = sm2 ? ['-sm3', '-sigopt', `distid:${SM2_ID}`] : ['-sha256'];
  ssl(['genpkey', ...(sm2 ? ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-pkeyopt', 'ec_param_enc:named_curve'] : ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']), '-out', f('enc.key')]);
  ssl(['pkey', '-in', f('enc.key'), '-pubout', '-out', f('enc.pub')]);
  // A request carrying the signing certificate's subject; the encryption key goes in by -force_pubkey.
  ssl(['x509', '-x509toreq', '-in', entry.certPem, '-signkey', entry.keyPem, ...signWith, '-out', f('enc.csr')]);
  fs.writeFileSync(f('enc.ext'), `keyUsage = critical,keyEncipherment,dataEncipherment${sm2 ? ',keyAgreement' : ''}\nbasicConstraints = CA:FALSE\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n`);
  ssl(['x509', '-req', '-in', f('enc.csr'), ...(sm2 ? ['-vfyopt', `distid:${SM2_ID}`] : []), '-force_pubkey', f('enc.pub'), '-CA', issuer.certPem, '-CAkey', issuer.keyPem,
    ...signWith, '-extfile', f('enc.ext'), '-days', '30', '-set_serial', '0x7e' + Date.now().toString(16), '-out', f('enc.pem')]);
  ssl(['x509', '-in', f('enc.pem'), '-outform', 'DER', '-out', f('enc.der')]);
  return { keyPem: f('enc.key'), certPem: f('enc.pem'), certDer: f('enc.der'), env: { FAKE_SKF_ENC_KEY: f('enc.key'), FAKE_SKF_ENC_CERT: f('enc.der') } };
}

/** The user PIN the fake key takes unless FAKE_SKF_PIN names another (fake-skf.c's default). */
export const FAKE_SKF_PIN = '12345678';

/** Environment for a fake key holding `entry`'s key and certificate; state files live in `dir`. */
export function fakeSkfEnv(entry: PkiEntry, dir: string, extra: Record<string, string> = {}): { env: Record<string, string>; files: FakeSkfFiles } {
  const files = { state: path.join(dir, 'retries'), removed: path.join(dir, 'removed'), log: path.join(dir, 'verify.log') };
  return {
    env: { FAKE_SKF_KEY: entry.keyPem, FAKE_SKF_CERT: entry.certDer, FAKE_SKF_STATE: files.state, FAKE_SKF_REMOVED: files.removed, FAKE_SKF_LOG: files.log, ...extra },
    files,
  };
}

/** How many times SKF_VerifyPIN was called (each call may spend a try). */
export function verifyCalls(files: FakeSkfFiles): number {
  return fs.existsSync(files.log) ? fs.readFileSync(files.log, 'utf8').split('\n').filter(Boolean).length : 0;
}

/** A fake key: its temporary folder (the caller removes it), the built library, its state files and environment. */
export interface FakeSkfKey { dir: string; lib: string; files: FakeSkfFiles; env: Record<string, string> }

/** Builds the fake library into a fresh temporary folder (`<prefix>XXXXXX`) and sets it up to hold `entry`. */
export function makeFakeSkfKey(entry: PkiEntry, prefix: string, extra: Record<string, string> = {}): FakeSkfKey {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const lib = buildFakeSkf(dir);
  return { dir, lib, ...fakeSkfEnv(entry, dir, extra) };
}
