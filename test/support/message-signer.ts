/** A MessageSigner over the test PKI's PEM keys (SHA-1/SHA-256 RSA, SM2 with Z_A), for the formats tests. */
import { createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { MessageSignerWithCertificate } from '../../main/bridge/formats/pkcs7.ts';
import { sm2Sign } from '../../main/pki/sm2.ts';
import type { PkiEntry, TestPki } from '../fixtures/pki.ts';
import { chainIntermediates, sm2PrivateKeyHex } from './key-store.ts';

export function pemMessageSigner(pki: TestPki, entry: PkiEntry): MessageSignerWithCertificate & { calls: number } {
  const pem = readFileSync(entry.keyPem, 'utf8');
  const sm2Hex = entry.keyAlg === 'sm2' ? sm2PrivateKeyHex(pem) : null;
  const key = sm2Hex ? null : createPrivateKey(pem);
  const out = {
    calls: 0,
    keyKind: (sm2Hex ? 'SM2' : 'RSA') as 'SM2' | 'RSA',
    certificate: new Uint8Array(readFileSync(entry.certDer)),
    intermediates: chainIntermediates(pki, entry),
    async sign(message: Uint8Array, hash: 'sha1' | 'sha256' | 'sm3'): Promise<Uint8Array> {
      out.calls++;
      if (sm2Hex) {
        if (hash !== 'sm3') throw new Error('SM2 signs with SM3 only');
        return sm2Sign(sm2Hex, message);
      }
      return new Uint8Array(cryptoSign(hash, message, key!));
    },
  };
  return out;
}
