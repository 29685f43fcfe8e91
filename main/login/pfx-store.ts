/**
 * Opens a PFX file as a KeyStore for `cert-assistant login --pfx`. The file's password is the
 * PIN. Stopgap until main/keystores/pkcs12 (Pkcs12KeyStore) lands: reading and decryption are
 * the certificate core's (readCertificateFile); this only pairs key and certificate and signs.
 */
import { createPublicKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { AssistantError, isAssistantError } from '../errors.ts';
import type { KeyIdentity, KeyStore, PinState, SignatureAlgorithm } from '../keystores/types.ts';
import type { ParsedCertificate } from '../pki/certificate.ts';
import { nodePrivateKey, sm2PrivateKeyHex, sm2PublicKeyHex, type PrivateKeyMaterial } from '../pki/private-key.ts';
import { MAX_FILE_BYTES, readCertificateFile } from '../pki/read.ts';
import { bytesToHex, sm2Sign } from '../pki/sm2.ts';

function pinIncorrect(): AssistantError {
  return new AssistantError('PIN_INCORRECT', 'PIN（PFX 文件密码）错误', { en: 'wrong PIN (PFX password)' });
}

function algorithmOf(cert: ParsedCertificate): SignatureAlgorithm | null {
  if (cert.publicKey.kind === 'RSA') return 'RS256';
  if (cert.publicKey.kind === 'SM2') return 'SM2-SM3';
  if (cert.publicKey.kind === 'EC' && cert.publicKey.curveOid === '1.2.840.10045.3.1.7') return 'ES256';
  return null;
}

function sameKey(key: PrivateKeyMaterial, cert: ParsedCertificate): boolean {
  try {
    if (key.kind === 'SM2') return cert.publicKey.kind === 'SM2' && sm2PublicKeyHex(key.pkcs8) === bytesToHex(cert.publicKey.keyBytes);
    if (cert.publicKey.kind !== 'RSA' && cert.publicKey.kind !== 'EC') return false;
    const spki = createPublicKey(nodePrivateKey(key.pkcs8)).export({ type: 'spki', format: 'der' });
    return Buffer.compare(spki, Buffer.from(cert.publicKey.spki)) === 0;
  } catch {
    return false;
  }
}

interface Entry {
  identity: KeyIdentity;
  key: PrivateKeyMaterial;
}

/** Reads and decrypts the PFX with the PIN; a wrong password is PIN_INCORRECT. */
export async function openPfxKeyStore(file: string, pin: string): Promise<KeyStore> {
  let bytes: Uint8Array;
  try {
    if ((await stat(file)).size > MAX_FILE_BYTES) throw new AssistantError('FILE_TOO_LARGE', '文件过大，不是证书文件', { en: 'file too large' });
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    if (isAssistantError(e)) throw e;
    throw new AssistantError('FILE_NOT_FOUND', `无法读取文件：${file}`, { en: `cannot read file: ${file}` });
  }
  let contents;
  try {
    contents = readCertificateFile(bytes, { password: pin, fileName: file });
  } catch (e) {
    if (isAssistantError(e) && (e.code === 'PFX_BAD_PASSWORD' || e.code === 'PFX_PASSWORD_REQUIRED')) throw pinIncorrect();
    throw e;
  }
  const entries: Entry[] = [];
  contents.certificates.forEach((cert) => {
    const key = contents.keys.find((k) => sameKey(k, cert));
    const algorithm = algorithmOf(cert);
    if (!key || !algorithm) return;
    entries.push({
      key,
      identity: {
        id: String(entries.length),
        label: contents.friendlyNames[cert.fingerprintSha256] ?? cert.subject,
        certificate: cert.der,
        intermediates: contents.certificates.filter((c) => c !== cert).map((c) => c.der),
        algorithm,
        location: { kind: 'pkcs12', file },
      },
    });
  });
  let closed = false;
  const keyObjects = new Map<string, KeyObject>();
  return {
    kind: 'pkcs12',
    async listIdentities() {
      return closed ? [] : entries.map((e) => e.identity);
    },
    async pinState(): Promise<PinState> {
      return { retriesLeft: null, low: false, finalTry: false, locked: false };
    },
    async sign(identityId: string, data: Uint8Array, algorithm: SignatureAlgorithm, signPin: string) {
      const entry = entries.find((e) => e.identity.id === identityId);
      if (closed || !entry) throw new AssistantError('NO_CERTIFICATE', '找不到所选证书', { en: 'identity not found' });
      if (signPin !== pin) throw pinIncorrect();
      if (algorithm !== entry.identity.algorithm) throw new AssistantError('ALGORITHM_UNSUPPORTED', '该证书的密钥不支持此签名算法', { en: 'key does not support this algorithm' });
      if (algorithm === 'SM2-SM3') return sm2Sign(sm2PrivateKeyHex(entry.key.pkcs8), data);
      let k = keyObjects.get(identityId);
      if (!k) {
        k = nodePrivateKey(entry.key.pkcs8);
        keyObjects.set(identityId, k);
      }
      return new Uint8Array(algorithm === 'ES256' ? cryptoSign('sha256', data, { key: k, dsaEncoding: 'ieee-p1363' }) : cryptoSign('sha256', data, k));
    },
    async close() {
      closed = true;
      keyObjects.clear();
    },
  };
}
