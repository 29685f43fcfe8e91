/**
 * SoftHSM2 as the USB key in tests: a private token directory per call, initialised with
 * softhsm2-util and loaded with OpenSC's pkcs11-tool. Other areas' tests may use it too.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
export const USER_PIN = '123456';
export const SO_PIN = '87654321';

export function softHsmAvailable(): boolean {
  const onPath = (cmd: string) => (process.env['PATH'] ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, cmd)));
  return onPath('softhsm2-util') && onPath('pkcs11-tool') && onPath('openssl') && fs.existsSync(SOFTHSM_MODULE);
}

export interface TokenObject {
  /** Hex CKA_ID. */
  id: string;
  label: string;
  certDer?: string;
  /** Unencrypted PKCS#8 PEM (converted to DER for pkcs11-tool). */
  keyPem?: string;
}

export interface SoftHsmToken {
  dir: string;
  tokenDir: string;
  conf: string;
  /** Environment for a worker that should see this token. */
  env: NodeJS.ProcessEnv;
  label: string;
  cleanup(): void;
}

export function createSoftHsmToken(label: string, objects: TokenObject[]): SoftHsmToken {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-pkcs11-'));
  const tokenDir = path.join(dir, 'tokens');
  fs.mkdirSync(tokenDir);
  const conf = path.join(dir, 'softhsm2.conf');
  fs.writeFileSync(conf, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  run('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', SO_PIN, '--pin', USER_PIN]);
  const p11 = ['--module', SOFTHSM_MODULE, '--token-label', label, '--login', '--pin', USER_PIN];
  for (const o of objects) {
    if (o.keyPem) {
      const der = path.join(dir, `key-${o.id}.der`);
      run('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', o.keyPem, '-outform', 'DER', '-out', der]);
      run('pkcs11-tool', [...p11, '--write-object', der, '--type', 'privkey', '--id', o.id, '--label', o.label, '--usage-sign']);
    }
    if (o.certDer) run('pkcs11-tool', [...p11, '--write-object', o.certDer, '--type', 'cert', '--id', o.id, '--label', o.label]);
  }
  return { dir, tokenDir, conf, env, label, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** ECDSA r||s (IEEE P1363) → DER SEQUENCE{r,s}, for OpenSSL. */
export function p1363ToDer(sig: Uint8Array): Buffer {
  const half = sig.length / 2;
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = Buffer.from(b.subarray(i));
    if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([int(sig.subarray(0, half)), int(sig.subarray(half))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** `openssl dgst -sha256 -verify` with the certificate's public key: true when OpenSSL accepts. */
export function opensslVerifySha256(certPem: string, data: Uint8Array, derOrPkcs1Sig: Uint8Array, dir: string): boolean {
  const pub = path.join(dir, 'pub.pem');
  fs.writeFileSync(pub, execFileSync('openssl', ['x509', '-in', certPem, '-pubkey', '-noout']));
  const dataFile = path.join(dir, 'data.bin');
  const sigFile = path.join(dir, 'sig.bin');
  fs.writeFileSync(dataFile, data);
  fs.writeFileSync(sigFile, derOrPkcs1Sig);
  try {
    execFileSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', sigFile, dataFile], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}
