/**
 * Which web origins may be shown in the embedded portal and may ask for a login signature.
 * Entries come from policy: `https://www.hbzwfw.gov.cn`, `https://*.hbzwfw.gov.cn` (sub-sites),
 * `http://127.0.0.1:8443` (a local demo portal; plain http only for loopback hosts).
 * Everything is compared after the WHATWG URL parser has normalised it (IDN -> punycode,
 * default ports dropped, case folded); anything odd is refused rather than guessed.
 */

export interface OriginRule {
  scheme: 'https:' | 'http:';
  /** ASCII host (punycode). For wildcard rules: the suffix after `*.`. */
  host: string;
  wildcard: boolean;
  /** '' = the scheme's default port. */
  port: string;
}

export interface PortalOriginAllowList {
  readonly rules: readonly OriginRule[];
  /** The origins as policy gave them, normalised (for diagnostics). */
  readonly entries: readonly string[];
  isAllowedOrigin(origin: string): boolean;
  isAllowedUrl(url: string): boolean;
}

/** The loopback address the assistant's local services bind and probe. */
export const LOOPBACK_IPV4 = '127.0.0.1';
/** Host names (as `URL.hostname` gives them) that always mean this machine. */
export const LOOPBACK_HOSTNAMES: ReadonlySet<string> = new Set([LOOPBACK_IPV4, 'localhost', '[::1]']);
const MAX_URL_LENGTH = 8192;

/** Parses one policy entry; null when it is not a usable origin (then it is ignored and reported). */
export function parseOriginRule(entry: string): OriginRule | null {
  if (typeof entry !== 'string' || entry.length === 0 || entry.length > 512) return null;
  const m = /^(https?):\/\/(\*\.)?([^/?#@\\\s]+)\/?$/i.exec(entry.trim());
  if (!m) return null;
  const scheme = `${m[1]!.toLowerCase()}:` as 'https:' | 'http:';
  const wildcard = m[2] !== undefined;
  let u: URL;
  try {
    u = new URL(`${scheme}//${m[3]}/`);
  } catch {
    return null;
  }
  if (u.username || u.password) return null;
  const host = u.hostname;
  if (!host || host.endsWith('.') || host.includes('*')) return null;
  if (scheme === 'http:' && (wildcard || !LOOPBACK_HOSTNAMES.has(host))) return null;
  // A wildcard needs at least a registrable-looking suffix: `*.cn` or `*.gov.cn` would allow far too much.
  if (wildcard && host.split('.').length < 3) return null;
  return { scheme, host, wildcard, port: u.port };
}

function matches(rule: OriginRule, u: URL): boolean {
  if (u.protocol !== rule.scheme || u.port !== rule.port) return false;
  const host = u.hostname;
  if (!rule.wildcard) return host === rule.host;
  return host.endsWith(`.${rule.host}`) && host.length > rule.host.length + 1;
}

/** Parses a URL the strict way: http(s) only, no credentials, no trailing-dot hosts. */
export function parsePortalUrl(url: string): URL | null {
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_URL_LENGTH) return null;
  // Control characters and backslashes are how parsers get fooled; a real link never has them.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(url)) return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
  if (u.username || u.password) return null;
  if (!u.hostname || u.hostname.endsWith('.')) return null;
  return u;
}

export function createPortalOriginAllowList(entries: readonly string[]): PortalOriginAllowList {
  const rules: OriginRule[] = [];
  const normalised: string[] = [];
  for (const e of entries) {
    const r = parseOriginRule(e);
    if (!r) continue;
    rules.push(r);
    normalised.push(`${r.scheme}//${r.wildcard ? '*.' : ''}${r.host}${r.port ? `:${r.port}` : ''}`);
  }
  const isAllowedUrl = (url: string): boolean => {
    const u = parsePortalUrl(url);
    return u !== null && rules.some((r) => matches(r, u));
  };
  return {
    rules,
    entries: normalised,
    isAllowedUrl,
    isAllowedOrigin(origin: string): boolean {
      // An origin is scheme://host[:port] and nothing else; 'null' (opaque origins) never matches.
      if (typeof origin !== 'string' || !/^https?:\/\/[^/?#]+$/i.test(origin)) return false;
      const u = parsePortalUrl(origin);
      return u !== null && u.origin === origin.toLowerCase() && rules.some((r) => matches(r, u));
    },
  };
}

/** The origin to sign for, from the sender frame's URL; null when it is not a plain web origin. */
export function originOfFrameUrl(url: string): string | null {
  const u = parsePortalUrl(url);
  return u ? u.origin : null;
}
