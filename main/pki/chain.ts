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
import { bytesToHex, sm2Verify, vouchForSm2Key } from './sm2.ts';

export type ChainCode =
  | 'CHAIN_NO_ANCHOR'
  | 'CHAIN_UNTRUSTED_ROOT'
  | 'CHAIN_SELF_SIGNED'
  | 'CHAIN_LOOKALIKE_ISSUER'
  | 'CHAIN_BAD_SIGNATURE'
  | 'CHAIN_ISSUER_NOT_CA'
  | 'CHAIN_CA_EXPIRED'
  | 'CHAIN_TOO_LONG'
  | 'CHAIN_TOO_MANY_SIGNATURES'
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
  /**
   * Intermediates the relying party configured (also listed in `intermediates`): like anchors,
   * their SM2 keys may be precomputed and their signature checks do not count as unvouched.
   */
  configuredIntermediates?: readonly ParsedCertificate[];
  /** Signature checks (not answered from cache) one call may spend; default 32. */
  maxSignatureChecks?: number;
  /** Of those, checks under issuers neither configured nor proven on an earlier path; default 32 (the verifier: 1). */
  maxUnvouchedSignatureChecks?: number;
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

// CA certificates (by fingerprint) that were on a proven path: a token that carries one again
// is treated like a configured intermediate (its checks are vouched for). Bounded.
const provenCas = new Set<string>();
function rememberProvenCa(fingerprint: string): void {
  if (provenCas.has(fingerprint)) return;
  if (provenCas.size >= MAX_CA_VERDICTS) provenCas.delete(provenCas.values().next().value as string);
  provenCas.add(fingerprint);
}

/** The cached verdict for (cert, issuer), if any: such a check costs nothing. */
function cachedVerdict(cert: ParsedCertificate, issuer: ParsedCertificate): boolean | undefined {
  const known = (cert as WithVerdicts)[VERDICTS]?.get(issuer.fingerprintSha256);
  if (known !== undefined) return known;
  return cert.isCA ? caVerdicts.get(cert.fingerprintSha256 + issuer.fingerprintSha256) : undefined;
}

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
  CHAIN_TOO_MANY_SIGNATURES: 9,
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
  const configuredPrints = new Set((ctx.configuredIntermediates ?? []).map((c) => c.fingerprintSha256));
  for (const c of [...ctx.anchors, ...(ctx.configuredIntermediates ?? [])]) if (c.publicKey.kind === 'SM2') vouchForSm2Key(bytesToHex(c.publicKey.keyBytes));
  let checksLeft = ctx.maxSignatureChecks ?? 32;
  let unvouchedLeft = ctx.maxUnvouchedSignatureChecks ?? 32;
  let exhausted = false;
  /** A signature check within the budget; null once the budget is spent (the search stops). */
  const checkSignature = (cert: ParsedCertificate, issuer: ParsedCertificate): boolean | null => {
    const cached = cachedVerdict(cert, issuer);
    if (cached !== undefined) return cached;
    const vouched = anchorPrints.has(issuer.fingerprintSha256) || configuredPrints.has(issuer.fingerprintSha256) || provenCas.has(issuer.fingerprintSha256);
    if (checksLeft <= 0 || (!vouched && unvouchedLeft <= 0)) {
      exhausted = true;
      return null;
    }
    checksLeft--;
    if (!vouched) unvouchedLeft--;
    return verifyCertificateSignature(cert, issuer);
  };

  let best: Failure | null = null;
  const note = (f: Failure): void => {
    if (!best || f.rank > best.rank) best = f;
  };

  // By names alone, can a certificate issued by `issuerDer` reach an anchor through the
  // intermediates? Candidates that cannot are never signature-checked (a stack of self-issued
  // look-alikes never names an anchor, so it costs no signature check at all).
  const reach = new Map<string, boolean>();
  const reachesAnchor = (issuerDer: Uint8Array, depth: number): boolean => {
    const key = Buffer.from(issuerDer.buffer, issuerDer.byteOffset, issuerDer.byteLength).toString('latin1');
    const known = reach.get(key);
    if (known !== undefined) return known;
    if (ctx.anchors.some((a) => sameBytes(a.subjectDer, issuerDer))) {
      reach.set(key, true);
      return true;
    }
    reach.set(key, false); // cycles (self-issued names) end here
    const ok = depth < maxLength && ctx.intermediates.some((c) => sameBytes(c.subjectDer, issuerDer) && !c.selfIssued && reachesAnchor(c.issuerDer, depth + 1));
    reach.set(key, ok);
    return ok;
  };

  let nameFilter = true;
  let droppedByNames = false;
  const walk = (path: ParsedCertificate[]): ParsedCertificate[] | null => {
    if (exhausted) return null;
    const cur = path[path.length - 1]!;
    if (path.length >= maxLength) {
      note(failure('CHAIN_TOO_LONG', `证书链过长（超过 ${maxLength} 级）`, `chain longer than ${maxLength}`, path));
      return null;
    }
    const anchors = ctx.anchors.filter((a) => sameBytes(a.subjectDer, cur.issuerDer));
    const seen = new Set<string>(path.map((p) => p.fingerprintSha256));
    const inters = ctx.intermediates.filter((c) => {
      // Each certificate once (tokens may repeat one), never one already on the path.
      if (!sameBytes(c.subjectDer, cur.issuerDer) || seen.has(c.fingerprintSha256)) return false;
      seen.add(c.fingerprintSha256);
      // A self-issued CA (key rollover) is viable when some other CA of its name reaches an anchor.
      const viable = !nameFilter || reachesAnchor(c.issuerDer, 0) || (c.selfIssued && reachesAnchor(c.subjectDer, 0));
      if (!viable) droppedByNames = true;
      return viable;
    });
    // Configured issuers first, then those whose key id matches the authority key id: the real
    // issuer is tried before any look-alike the token brings.
    const rank = (c: ParsedCertificate): number =>
      (configuredPrints.has(c.fingerprintSha256) ? 0 : 2) + (cur.authorityKeyIdentifier !== null && c.subjectKeyIdentifier === cur.authorityKeyIdentifier ? 0 : 1);
    inters.sort((a, b) => rank(a) - rank(b));
    const candidates = [...anchors.map((c) => ({ c, anchor: true })), ...inters.filter((c) => !anchorPrints.has(c.fingerprintSha256)).map((c) => ({ c, anchor: false }))];
    if (candidates.length === 0) {
      const selfSigned = cur.selfIssued ? checkSignature(cur, cur) : false;
      if (selfSigned === null) return null;
      if (selfSigned) {
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
      // A candidate issued straight by an anchor is checked against it first: that check is
      // vouched for (cheap), so a look-alike under an anchor's name costs no unvouched check.
      if (!anchor && !c.selfIssued) {
        const issuers = ctx.anchors.filter((a) => sameBytes(a.subjectDer, c.issuerDer));
        if (issuers.length > 0) {
          let byAnchor = false;
          for (const a of issuers) {
            const v = checkSignature(c, a);
            if (v === null) return null;
            if (v) {
              byAnchor = true;
              break;
            }
          }
          if (!byAnchor) {
            note(failure('CHAIN_LOOKALIKE_ISSUER', `签发者名称与“${c.subject}”相同，但不是用它的密钥签发的：疑似仿冒的 CA，不可信`, `issuer has the same name as "${c.subject}" but another key signed it: look-alike CA, not trusted`, path));
            continue;
          }
        }
      }
      const signed = checkSignature(cur, c);
      if (signed === null) return null;
      if (!signed) {
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

  let path = walk([leaf]);
  // Without a budget (inspect: a local file, not a remote token) the names that lead nowhere are
  // walked too, only to say why (an untrusted root, a look-alike): nothing they prove is accepted
  // that the filtered walk would refuse, as none of them reaches an anchor.
  if (!path && droppedByNames && !exhausted && ctx.maxUnvouchedSignatureChecks === undefined) {
    nameFilter = false;
    path = walk([leaf]);
  }
  if (path) {
    // Keys on a proven path come back (the enterprise logs in again): they may be precomputed.
    for (const c of path) if (c.publicKey.kind === 'SM2') vouchForSm2Key(bytesToHex(c.publicKey.keyBytes));
    for (const c of path.slice(1)) rememberProvenCa(c.fingerprintSha256);
    return { ok: true, path };
  }
  if (exhausted) {
    note(failure('CHAIN_TOO_MANY_SIGNATURES', '证书链中同名的候选 CA 证书过多，已停止验证（疑似恶意构造的令牌）', 'too many candidate CA certificates with the same names; verification stopped (a crafted token?)', [leaf]));
  }
  const f = best as Failure | null;
  if (!f) return { ok: false, code: 'CHAIN_NO_ANCHOR', message: '找不到可信的证书链', messageEn: 'no trusted chain', path: [leaf] };
  return { ok: false, code: f.code, message: f.message, messageEn: f.messageEn, path: f.path };
}
