/**
 * Path building and signature checks from a leaf to a trust anchor, for RSA, ECDSA and SM2.
 * Issuers are matched by exact subject DN bytes, then proven by signature: a look-alike CA with
 * the same DN but another key fails here, not later.
 */
import { verify as cryptoVerify, constants as cryptoConstants, type KeyObject } from 'node:crypto';
import type { ParsedCertificate } from './certificate.ts';
import { SIGNATURE_ALGORITHMS } from './oids.ts';
import { validatePath, type PathCode } from './path-validation.ts';
import { publicKeyObject } from './public-key.ts';
import { bytesToHex, sm2Verify } from './sm2.ts';

export type ChainCode =
  | 'CHAIN_NO_ANCHOR'
  | 'CHAIN_UNTRUSTED_ROOT'
  | 'CHAIN_SELF_SIGNED'
  | 'CHAIN_LOOKALIKE_ISSUER'
  | 'CHAIN_BAD_SIGNATURE'
  | 'CHAIN_ISSUER_NOT_CA'
  | 'CHAIN_CA_EXPIRED'
  | 'CHAIN_TOO_LONG'
  | PathCode;

export interface ChainResult {
  ok: boolean;
  code?: ChainCode;
  /** zh-CN explanation; says which CA root to add when one is missing. */
  message?: string;
  messageEn?: string;
  /** Leaf first, anchor last when ok; the best partial path otherwise. */
  path: ParsedCertificate[];
}

export interface ChainContext {
  intermediates: ParsedCertificate[];
  anchors: ParsedCertificate[];
  now: Date;
  /** Longest path accepted (certificates, leaf included). */
  maxLength?: number;
}

const sm2KeyCache = new WeakMap<ParsedCertificate, string>();

function nodePublicKey(issuer: ParsedCertificate): KeyObject {
  return publicKeyObject(issuer.publicKey);
}

// Verdicts per (certificate, issuer) pair, kept on the certificate object: anchors and
// intermediates are parsed once and checked again for every leaf, so their own signatures are
// verified once. (A WeakMap keyed by short-lived leaves costs more in GC than it saves.)
const VERDICTS = Symbol('signatureVerdicts');
type WithVerdicts = ParsedCertificate & { [VERDICTS]?: Map<string, boolean> };

// Verdicts for CA certificates (intermediate → root links) by the exact bytes of both sides
// (SHA-256 fingerprints): tokens carry their intermediates, parsed anew each time, but the few
// CA links a portal sees are proven once. Bounded; leaves never enter it.
const MAX_CA_VERDICTS = 1000;
const caVerdicts = new Map<string, boolean>();

/** True when `issuer`'s key made `cert`'s signature. Never throws. */
export function verifyCertificateSignature(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  const c = cert as WithVerdicts;
  const known = c[VERDICTS]?.get(issuer.fingerprintSha256);
  if (known !== undefined) return known;
  const linkKey = cert.isCA ? cert.fingerprintSha256 + issuer.fingerprintSha256 : null;
  let ok = linkKey !== null ? caVerdicts.get(linkKey) : undefined;
  if (ok === undefined) {
    ok = verifySignatureUncached(cert, issuer);
    if (linkKey !== null) {
      if (caVerdicts.size >= MAX_CA_VERDICTS) caVerdicts.delete(caVerdicts.keys().next().value as string);
      caVerdicts.set(linkKey, ok);
    }
  }
  (c[VERDICTS] ??= new Map()).set(issuer.fingerprintSha256, ok);
  return ok;
}

function verifySignatureUncached(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  const alg = SIGNATURE_ALGORITHMS[cert.signatureAlgorithmOid];
  if (!alg) return false;
  try {
    if (alg.key === 'SM2') {
      if (issuer.publicKey.kind !== 'SM2') return false;
      let pub = sm2KeyCache.get(issuer);
      if (!pub) {
        pub = bytesToHex(issuer.publicKey.keyBytes);
        sm2KeyCache.set(issuer, pub);
      }
      return sm2Verify(pub, cert.tbs, cert.signature);
    }
    if (alg.key === 'RSA') {
      if (issuer.publicKey.kind !== 'RSA') return false;
      return cryptoVerify(alg.hash, cert.tbs, nodePublicKey(issuer), cert.signature);
    }
    if (alg.key === 'RSA-PSS') {
      if (issuer.publicKey.kind !== 'RSA') return false;
      // Parameters are rarely anything but SHA-256 / MGF1-SHA-256 / salt 32 in CA practice.
      return cryptoVerify('sha256', cert.tbs, { key: nodePublicKey(issuer), padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: cryptoConstants.RSA_PSS_SALTLEN_AUTO }, cert.signature);
    }
    if (alg.key === 'EC') {
      if (issuer.publicKey.kind !== 'EC') return false;
      return cryptoVerify(alg.hash, cert.tbs, nodePublicKey(issuer), cert.signature);
    }
    return false;
  } catch {
    return false;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

interface Failure {
  rank: number;
  code: ChainCode;
  message: string;
  messageEn: string;
  path: ParsedCertificate[];
}

const RANK: Record<ChainCode, number> = {
  // A path proven by signatures that breaks an RFC 5280 rule is the most telling failure.
  CHAIN_CRITICAL_EXTENSION: 8,
  CHAIN_ISSUER_KEY_USAGE: 8,
  CHAIN_PATH_LENGTH: 8,
  CHAIN_NAME_CONSTRAINTS: 8,
  CHAIN_NAME_CONSTRAINTS_UNSUPPORTED: 8,
  CHAIN_LOOKALIKE_ISSUER: 7,
  CHAIN_BAD_SIGNATURE: 6,
  CHAIN_ISSUER_NOT_CA: 5,
  CHAIN_CA_EXPIRED: 4,
  CHAIN_TOO_LONG: 3,
  CHAIN_UNTRUSTED_ROOT: 2,
  CHAIN_SELF_SIGNED: 2,
  CHAIN_NO_ANCHOR: 1,
};

function failure(code: ChainCode, message: string, messageEn: string, path: ParsedCertificate[]): Failure {
  return { rank: RANK[code], code, message, messageEn, path };
}

/** Builds a path leaf → anchor through `intermediates`, verifying every signature on the way. */
export function verifyChain(leaf: ParsedCertificate, ctx: ChainContext): ChainResult {
  const maxLength = ctx.maxLength ?? 8;
  const anchorPrints = new Set(ctx.anchors.map((a) => a.fingerprintSha256));
  if (anchorPrints.has(leaf.fingerprintSha256)) return { ok: true, path: [leaf] };

  let best: Failure | null = null;
  const note = (f: Failure): void => {
    if (!best || f.rank > best.rank) best = f;
  };

  const walk = (path: ParsedCertificate[]): ParsedCertificate[] | null => {
    const cur = path[path.length - 1]!;
    if (path.length >= maxLength) {
      note(failure('CHAIN_TOO_LONG', `证书链过长（超过 ${maxLength} 级）`, `chain longer than ${maxLength}`, path));
      return null;
    }
    const anchors = ctx.anchors.filter((a) => sameBytes(a.subjectDer, cur.issuerDer));
    const inters = ctx.intermediates.filter((c) => sameBytes(c.subjectDer, cur.issuerDer) && !path.some((p) => p.fingerprintSha256 === c.fingerprintSha256));
    const candidates = [...anchors.map((c) => ({ c, anchor: true })), ...inters.filter((c) => !anchorPrints.has(c.fingerprintSha256)).map((c) => ({ c, anchor: false }))];
    if (candidates.length === 0) {
      if (cur.selfIssued && verifyCertificateSignature(cur, cur)) {
        if (path.length === 1 && !cur.isCA) {
          note(failure('CHAIN_SELF_SIGNED', `这是自签名证书，不是由受信任的 CA 签发：${cur.subject}`, `self-signed certificate, not issued by a trusted CA: ${cur.subject}`, path));
        } else {
          note(failure('CHAIN_UNTRUSTED_ROOT', `根证书“${cur.subject}”不在信任列表中。如确认可信，请把它放入 certs/trust/ 目录、用 --trust 指定，或由管理员在策略中加入信任目录`, `root "${cur.subject}" is not trusted; add it to certs/trust/, pass --trust, or add a trust directory in policy`, path));
        }
      } else {
        note(failure('CHAIN_NO_ANCHOR', `找不到签发者“${cur.issuer}”的证书：请把该 CA 的根证书（及中级证书）放入 certs/trust/ 目录、用 --trust 指定，或由管理员在策略中加入信任目录`, `issuer "${cur.issuer}" not found: add that CA's root (and intermediate) certificate to certs/trust/, pass --trust, or add a trust directory in policy`, path));
      }
      return null;
    }
    for (const { c, anchor } of candidates) {
      if (!verifyCertificateSignature(cur, c)) {
        const akiMatches = cur.authorityKeyIdentifier !== null && cur.authorityKeyIdentifier === c.subjectKeyIdentifier;
        if (akiMatches) note(failure('CHAIN_BAD_SIGNATURE', `证书“${cur.subject}”的签名验证失败（证书可能被篡改）`, `signature of "${cur.subject}" does not verify (tampered?)`, [...path, c]));
        else note(failure('CHAIN_LOOKALIKE_ISSUER', `签发者名称与“${c.subject}”相同，但不是用它的密钥签发的：疑似仿冒的 CA，不可信`, `issuer has the same name as "${c.subject}" but another key signed it: look-alike CA, not trusted`, path));
        continue;
      }
      const next = [...path, c];
      // A v1 root (no basicConstraints) is accepted only as a configured anchor.
      if (!c.isCA && !(anchor && c.version < 3)) {
        note(failure('CHAIN_ISSUER_NOT_CA', `签发者“${c.subject}”不是 CA 证书`, `issuer "${c.subject}" is not a CA certificate`, next));
        continue;
      }
      if (ctx.now < c.notBefore || ctx.now > c.notAfter) {
        note(failure('CHAIN_CA_EXPIRED', `CA 证书“${c.subject}”不在有效期内（${c.notBefore.toISOString().slice(0, 10)} 至 ${c.notAfter.toISOString().slice(0, 10)}）`, `CA certificate "${c.subject}" is outside its validity period`, next));
        continue;
      }
      if (anchor) {
        const violation = validatePath(next);
        if (!violation) return next;
        note(failure(violation.code, violation.message, violation.messageEn, next));
        continue;
      }
      const done = walk(next);
      if (done) return done;
    }
    return null;
  };

  const path = walk([leaf]);
  if (path) return { ok: true, path };
  const f = best as Failure | null;
  if (!f) return { ok: false, code: 'CHAIN_NO_ANCHOR', message: '找不到可信的证书链', messageEn: 'no trusted chain', path: [leaf] };
  return { ok: false, code: f.code, message: f.message, messageEn: f.messageEn, path: f.path };
}
