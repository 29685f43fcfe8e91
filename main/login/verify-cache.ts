/**
 * Bounded caches that keep the verifier fast for certificates it has seen before (a portal
 * sees the same enterprises log in again and again): parsed certificates by their exact DER,
 * USCC extraction per parsed certificate, and proven chain paths per trust-anchor set, reused
 * only while every CA on the path is valid. Everything is derived from the bytes alone, so a
 * hit gives exactly what recomputing would.
 */
import { identityCertificate, parseCertificate, type ParsedCertificate } from '../pki/certificate.ts';
import { extractIdentity, type CertificateIdentity } from '../pki/identity.ts';
import { isValidUscc } from '../pki/uscc.ts';

/** Insertion-ordered map that drops its oldest entry when full. */
class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(k: K): V | undefined {
    return this.map.get(k);
  }
  set(k: K, v: V): void {
    if (!this.map.has(k) && this.map.size >= this.max) this.map.delete(this.map.keys().next().value as K);
    this.map.set(k, v);
  }
  clear(): void {
    this.map.clear();
  }
}

const MAX_CERTIFICATES = 1000;
const parsed = new BoundedMap<string, ParsedCertificate>(MAX_CERTIFICATES);
const identities = new WeakMap<ParsedCertificate, CertificateIdentity>();

/** parseCertificate, memoised by the exact DER bytes. Throws like parseCertificate. */
export function parseCertificateCached(der: Uint8Array): ParsedCertificate {
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  let c = parsed.get(key);
  if (!c) {
    c = parseCertificate(der);
    parsed.set(key, c);
  }
  return c;
}

/** extractIdentity, memoised per parsed certificate. */
export function identityOf(cert: ParsedCertificate): CertificateIdentity {
  let id = identities.get(cert);
  if (!id) {
    // The light pkijs view: a full pkijs parse costs ten times the rest of a verification.
    id = extractIdentity(identityCertificate(cert));
    identities.set(cert, id);
  }
  return id;
}

const usccChecks = new BoundedMap<string, boolean>(MAX_CERTIFICATES);

/** isValidUscc, memoised (the full analysis decodes regions and tables). */
export function usccIsValid(normalized: string): boolean {
  let v = usccChecks.get(normalized);
  if (v === undefined) {
    v = isValidUscc(normalized);
    usccChecks.set(normalized, v);
  }
  return v;
}

interface ProvenPath {
  path: ParsedCertificate[];
  /** Window in which every CA certificate on the path is valid (ms since epoch). */
  from: number;
  to: number;
}

const paths = new WeakMap<readonly ParsedCertificate[], BoundedMap<string, ProvenPath>>();

function pathKey(leaf: ParsedCertificate, intermediates: readonly ParsedCertificate[]): string {
  return leaf.fingerprintSha256 + '|' + intermediates.map((c) => c.fingerprintSha256).join(',');
}

/** A path proven earlier for this leaf, these intermediates and this anchor array, if still valid at `now`. */
export function provenPath(anchors: readonly ParsedCertificate[], leaf: ParsedCertificate, intermediates: readonly ParsedCertificate[], now: Date): ParsedCertificate[] | null {
  const hit = paths.get(anchors)?.get(pathKey(leaf, intermediates));
  if (!hit) return null;
  const t = now.getTime();
  return t >= hit.from && t <= hit.to ? hit.path : null;
}

export function rememberPath(anchors: readonly ParsedCertificate[], leaf: ParsedCertificate, intermediates: readonly ParsedCertificate[], path: ParsedCertificate[]): void {
  let m = paths.get(anchors);
  if (!m) {
    m = new BoundedMap(MAX_CERTIFICATES);
    paths.set(anchors, m);
  }
  const cas = path.slice(1);
  m.set(pathKey(leaf, intermediates), {
    path,
    from: Math.max(...cas.map((c) => c.notBefore.getTime())),
    to: Math.min(...cas.map((c) => c.notAfter.getTime())),
  });
}

/** Forgets parsed certificates (the benchmark's cold runs; memory pressure). */
export function clearVerifyCaches(): void {
  parsed.clear();
  usccChecks.clear();
}
