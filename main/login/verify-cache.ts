/**
 * Bounded caches that keep the verifier fast for certificates it has seen before (a portal
 * sees the same enterprises log in again and again): parsed certificates by their exact DER,
 * USCC extraction per parsed certificate, and proven chain paths per trust-anchor set, reused
 * only while every CA on the path is valid. Everything is derived from the bytes alone, so a
 * hit gives exactly what recomputing would.
 */
import { parseCertificate, type ParsedCertificate } from '../pki/certificate.ts';
import { extractIdentity, type CertificateIdentity } from '../pki/identity.ts';
import { isValidUscc, normalizeUscc } from '../pki/uscc.ts';
import { memoized } from '../memo.ts';

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

/**
 * Parsed certificates by their exact base64 text. Hashing a 2 KB string on every lookup shows
 * in profiles, so the map key is the text's tail (signature bits: high entropy) and length, and
 * a hit is confirmed by comparing the whole text.
 */
class CertificateTextCache {
  private readonly map = new BoundedMap<string, { b64: string; cert: ParsedCertificate }[]>(MAX_CERTIFICATES);
  private static key(b64: string): string {
    return `${b64.length}:${b64.slice(-48)}`;
  }
  get(b64: string): ParsedCertificate | undefined {
    const bucket = this.map.get(CertificateTextCache.key(b64));
    return bucket?.find((e) => e.b64 === b64)?.cert;
  }
  set(b64: string, cert: ParsedCertificate): void {
    const k = CertificateTextCache.key(b64);
    const bucket = (this.map.get(k) ?? []).filter((e) => e.b64 !== b64).slice(-3);
    bucket.push({ b64, cert });
    this.map.set(k, bucket);
  }
  clear(): void {
    this.map.clear();
  }
}

const parsed = new CertificateTextCache();
/**
 * CA certificates (tokens carry their intermediates) kept apart: a handful per CA, shared by
 * every enterprise it serves, so a first login from a known CA does not parse them again.
 * Same exact-text keys; clearVerifyCaches keeps them, as it keeps CA-link verdicts.
 */
const caParsed = new CertificateTextCache();

function known(b64: string): ParsedCertificate | undefined {
  return parsed.get(b64) ?? caParsed.get(b64);
}
const identities = new WeakMap<ParsedCertificate, CertificateIdentity>();

/** parseCertificate, memoised by the exact DER bytes. Throws like parseCertificate. */
export function parseCertificateCached(der: Uint8Array): ParsedCertificate {
  return certificateFromRef({ b64: Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64'), der });
}

/** True when this exact base64 certificate text was decoded and parsed before. */
export function isKnownCertificate(b64: string): boolean {
  return known(b64) !== undefined;
}

/** The parsed certificate for a token's certificate reference (base64 text as the cache key). */
export function certificateFromRef(ref: { b64: string; der: Uint8Array | null }): ParsedCertificate {
  let c = known(ref.b64);
  if (!c) {
    // Known when the token was read, evicted since: decode again (it was canonical then).
    const der = ref.der ?? new Uint8Array(Buffer.from(ref.b64, 'base64'));
    c = parseCertificate(der);
    (c.isCA ? caParsed : parsed).set(ref.b64, c);
  }
  return c;
}

/** extractIdentity, memoised per parsed certificate. */
// From the parsed fields: a full pkijs parse would cost ten times the rest of a verification.
export const identityOf: (cert: ParsedCertificate) => CertificateIdentity = memoized(extractIdentity, identities);

const usccChecks = new BoundedMap<string, boolean>(MAX_CERTIFICATES);

const normalized = new BoundedMap<string, string>(MAX_CERTIFICATES);

/** normalizeUscc (NFKC and friends), memoised. */
export const normalizedUscc: (value: string) => string = memoized(normalizeUscc, normalized);

/** isValidUscc, memoised (the full analysis decodes regions and tables). */
export const usccIsValid: (normalized: string) => boolean = memoized(isValidUscc, usccChecks);

interface ProvenPath {
  path: ParsedCertificate[];
  /** Window in which every CA certificate on the path is valid (ms since epoch). */
  from: number;
  to: number;
}

let paths = new WeakMap<readonly ParsedCertificate[], BoundedMap<string, ProvenPath>>();

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

/**
 * Forgets everything learnt about leaves: parsed certificates, proven paths, USCC checks (the
 * benchmark's cold runs; memory pressure). CA-link verdicts and CA keys stay, as for a new
 * enterprise whose CA the portal has seen before.
 */
export function clearVerifyCaches(): void {
  paths = new WeakMap();
  parsed.clear();
  usccChecks.clear();
  normalized.clear();
}
