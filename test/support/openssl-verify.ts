/**
 * OpenSSL's verdict on what a bridge handed a page: raw signatures (RSA PKCS#1 v1.5 over SHA-256
 * or SHA-1; SM2 over SM3 with the default ID) and PKCS#7 SignedData (RSA: `openssl cms -verify`
 * to the root; SM2, which OpenSSL 3.0's CMS cannot do: pkeyutl over the signed attributes plus
 * `dgst -sm3` of the content against the message digest).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { readSignedMessage } from '../../main/bridge/formats/pkcs7.ts';
import type { PkiEntry, TestPki } from '../fixtures/pki.ts';

function pubKey(entry: PkiEntry, dir: string): string {
  const pub = path.join(dir, `${entry.id}.pub.pem`);
  if (!fs.existsSync(pub)) fs.writeFileSync(pub, execFileSync('openssl', ['x509', '-in', entry.certPem, '-pubkey', '-noout']));
  return pub;
}

export function opensslVerifiesRaw(entry: PkiEntry, data: Uint8Array, sig: Uint8Array, dir: string, hash: 'sha256' | 'sha1' = 'sha256'): boolean {
  const d = path.join(dir, 'raw.dat');
  const s = path.join(dir, 'raw.sig');
  fs.writeFileSync(d, data);
  fs.writeFileSync(s, sig);
  const args = entry.keyAlg === 'sm2'
    ? ['pkeyutl', '-verify', '-pubin', '-inkey', pubKey(entry, dir), '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', d, '-sigfile', s]
    : ['dgst', `-${hash}`, '-verify', pubKey(entry, dir), '-signature', s, d];
  return spawnSync('openssl', args, { stdio: 'pipe' }).status === 0;
}

/** The one signer's signed attributes (re-tagged SET OF), signature and message digest, read without needing a certificate inside. */
function signerOf(p7: Uint8Array): { signedAttrs: Uint8Array; signature: Uint8Array; messageDigest: Uint8Array; content: Uint8Array | null } {
  const ci = new pkijs.ContentInfo({ schema: asn1js.fromBER(p7).result });
  const sd = new pkijs.SignedData({ schema: ci.content });
  const si = sd.signerInfos[0]!;
  const signedAttrs = new Uint8Array(si.signedAttrs!.encodedValue.slice(0));
  signedAttrs[0] = 0x31;
  const md = si.signedAttrs!.attributes.find((a) => a.type === '1.2.840.113549.1.9.4')!.values[0] as asn1js.OctetString;
  const e = sd.encapContentInfo.eContent;
  return { signedAttrs, signature: new Uint8Array(si.signature.valueBlock.valueHexView), messageDigest: new Uint8Array(md.valueBlock.valueHexView), content: e ? new Uint8Array(e.getValue()) : null };
}

/**
 * `content`: the signed bytes (detached: given to OpenSSL; attached: must equal what the message carries).
 * `certificatesOmitted`: the message must carry no certificate at all; OpenSSL gets the signer's with `-certfile`.
 */
export function opensslVerifiesP7(pki: TestPki, entry: PkiEntry, p7: Uint8Array, content: Uint8Array, detached: boolean, dir: string, opts: { certificatesOmitted?: boolean } = {}): { ok: boolean; why: string } {
  const der = path.join(dir, 'p7.der');
  const c = path.join(dir, 'p7.content');
  fs.writeFileSync(der, p7);
  fs.writeFileSync(c, content);
  const printed = execFileSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', der], { encoding: 'utf8' });
  if (/eContent: <ABSENT>/.test(printed) !== detached) return { ok: false, why: `detached should be ${detached}` };
  if (/certificates:\s*<ABSENT>/.test(printed) !== (opts.certificatesOmitted === true)) return { ok: false, why: `certificates should be ${opts.certificatesOmitted ? 'absent' : 'present'}` };
  if (entry.keyAlg === 'sm2') {
    const msg = opts.certificatesOmitted ? signerOf(p7) : readSignedMessage(p7);
    const attrs = path.join(dir, 'p7.attrs');
    const sig = path.join(dir, 'p7.sig');
    fs.writeFileSync(attrs, msg.signedAttrs!);
    fs.writeFileSync(sig, msg.signature);
    const r = spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', pubKey(entry, dir), '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', attrs, '-sigfile', sig], { stdio: 'pipe' });
    if (r.status !== 0) return { ok: false, why: r.stderr.toString() };
    const md = execFileSync('openssl', ['dgst', '-sm3', '-binary', c]);
    if (!Buffer.from(msg.messageDigest!).equals(md)) return { ok: false, why: 'SM3 message digest differs' };
    if (!detached && !Buffer.from(msg.content!).equals(Buffer.from(content))) return { ok: false, why: 'attached content differs' };
    return { ok: true, why: '' };
  }
  // The CA certificates of the entry's chain (the message may carry its intermediates or not).
  const cas = path.join(dir, 'p7.cas.pem');
  fs.writeFileSync(cas, entry.chain.filter((id) => id !== entry.id).map((id) => fs.readFileSync(pki.get(id).certPem, 'utf8')).join('\n'));
  const out = path.join(dir, 'p7.out');
  const args = ['cms', '-verify', '-binary', '-inform', 'DER', '-in', der, '-CAfile', cas, '-purpose', 'any', '-out', out, ...(detached ? ['-content', c] : []),
    ...(opts.certificatesOmitted ? ['-certfile', entry.certPem] : [])];
  const r = spawnSync('openssl', args, { stdio: 'pipe' });
  if (r.status !== 0) return { ok: false, why: r.stderr.toString() };
  return fs.readFileSync(out).equals(Buffer.from(content)) ? { ok: true, why: '' } : { ok: false, why: 'content differs' };
}
