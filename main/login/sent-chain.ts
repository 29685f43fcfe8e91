/**
 * Which CA certificates travel with a signature (the cert-login:1 token's `intermediates`, the
 * certificates of a CMS / PKCS#7 SignedData): the certification path the assistant validated
 * itself — leaf → intermediates → anchor, built by the verdict's own path builder over the key
 * store's certificates and the locally trusted ones (certs/trust/, policy trustAnchorDirs, on
 * Windows the Trusted Root store). Exactly that path's CA certificates below the root go, issuer
 * of the leaf first, so a portal that trusts only the CA's root can follow it; certificates the
 * store holds that are not on the path stay home. Without a local path the store's certificates go
 * as the store gave them (the portal may still know the way). See docs/login-token.md.
 */
import type { ParsedCertificate } from '../pki/certificate.ts';
import { verifyCertificateSignature, verifyChain } from '../pki/chain.ts';
import { shortName } from '../pki/inspect.ts';
import { validatePath } from '../pki/path-validation.ts';
import { parseCertificateCached } from './verify-cache.ts';

export interface SentChain {
  /** DER, the leaf's issuer first, the root never. */
  certificates: Uint8Array[];
  /** local-path: the path validated here; key-store: no local path, the store's certificates as they are. */
  source: 'local-path' | 'key-store';
}

export interface SentChainContext {
  /** The trust anchors the certificate verdict uses (roots, and any intermediates an admin trusts). */
  anchors: readonly ParsedCertificate[];
  now: Date;
}

/** Memoised by the exact bytes: the same key signs again and again, its signature verdicts kept on the object. */
function parsedOrNull(der: Uint8Array): ParsedCertificate | null {
  try {
    return parseCertificateCached(der);
  } catch {
    return null;
  }
}

const MAX_PATH = 8;

/** A root: self-issued and self-signed (a key-rollover CA is self-issued but signed by the old key). */
function isRoot(c: ParsedCertificate): boolean {
  return c.selfIssued && verifyCertificateSignature(c, c);
}

/** The CA certificates to send with `leafDer`'s signature; see the file comment. Never throws. */
export function chainToSend(leafDer: Uint8Array, storeCertificates: readonly Uint8Array[], ctx: SentChainContext): SentChain {
  const asStored: SentChain = { certificates: [...storeCertificates], source: 'key-store' };
  const leaf = parsedOrNull(leafDer);
  if (!leaf || ctx.anchors.length === 0) return asStored;
  // A broken extra certificate only weakens the search, as in the verdict (describeIdentity).
  const store = storeCertificates.map(parsedOrNull).filter((c): c is ParsedCertificate => c !== null && c.fingerprintSha256 !== leaf.fingerprintSha256);
  const anchors = [...ctx.anchors];
  const verdict = verifyChain(leaf, { intermediates: store, anchors, now: ctx.now });
  if (!verdict.ok) return asStored;
  let path = verdict.path;
  const top = path[path.length - 1]!;
  if (!isRoot(top)) {
    // The path ended at an intermediate an admin trusts (certs/trust/ may hold them): carry on to a
    // root known here, so a portal that configured only the root can follow the whole way.
    const roots = anchors.filter(isRoot);
    const below = [...anchors.filter((a) => !isRoot(a)), ...store];
    const up = roots.length > 0 ? verifyChain(top, { intermediates: below, anchors: roots, now: ctx.now }) : null;
    if (up?.ok) {
      const whole = [...path, ...up.path.slice(1)];
      // No longer than the verifier builds (8, leaf and root included; a token carries at most 6 CAs).
      if (whole.length <= MAX_PATH && !validatePath(whole)) path = whole;
    }
  }
  const last = path[path.length - 1]!;
  // The root is the portal's own anchor; an intermediate the path stops at is not, so it goes.
  const cas = path.slice(1, isRoot(last) ? -1 : undefined);
  return { certificates: cas.map((c) => c.der), source: 'local-path' };
}

/** One line for 技术信息 and the admin's log: what the token carries and why (zh-CN, English). */
export function sentChainNote(chain: SentChain): { message: string; messageEn: string } {
  const names = chain.certificates.map((der) => {
    const c = parsedOrNull(der);
    return c ? shortName(c.subject) : '?';
  });
  const n = names.length;
  if (chain.source === 'local-path') {
    return n > 0
      ? { message: `登录令牌随附本机验证的证书链中的 ${n} 张中级证书：${names.join(' → ')}（根证书不随附，由网站自行配置）`, messageEn: `The login token carries the ${n} intermediate certificate${n > 1 ? 's' : ''} of the chain verified here: ${names.join(' → ')} (the root is not sent; the site configures it)` }
      : { message: '登录令牌不随附中级证书：本机验证的证书链中，本证书直接由根证书签发', messageEn: 'The login token carries no intermediate certificate: on the chain verified here the certificate is issued by the root itself' };
  }
  return n > 0
    ? { message: `本机未能验证证书链，登录令牌随附证书存储中的全部 ${n} 张其他证书，由网站自行验证`, messageEn: `No chain could be verified here; the login token carries all ${n} other certificate${n > 1 ? 's' : ''} of the key store and the site verifies them` }
    : { message: '本机未能验证证书链，证书存储中也没有其他证书：登录令牌只含本证书，网站须已配置其签发 CA 的中级证书', messageEn: 'No chain could be verified here and the key store holds no other certificate: the login token carries this certificate alone, so the site must have its issuing CA\'s intermediates configured' };
}
