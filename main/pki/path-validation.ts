/**
 * RFC 5280 section 6 checks on a path whose signatures are already proven (chain.ts builds it):
 * unrecognised critical extensions, keyCertSign on issuers, pathLenConstraint, nameConstraints,
 * and the leaf's extended key usage for a login. Each failure has its own code; see docs/pki.md.
 */
import type { ParsedCertificate } from './certificate.ts';
import { children, expectTag, oidText, readTlv, stringValue, type Tlv } from './der-reader.ts';
import { EXTENDED_KEY_USAGE_NAMES, LOGIN_EXTENDED_KEY_USAGES, OID, RECOGNISED_CRITICAL_EXTENSIONS } from './oids.ts';
import { GENERAL_NAME_TAG, TAG } from './asn1-tags.ts';

export type PathCode =
  | 'CHAIN_CRITICAL_EXTENSION'
  | 'CHAIN_ISSUER_KEY_USAGE'
  | 'CHAIN_PATH_LENGTH'
  | 'CHAIN_NAME_CONSTRAINTS'
  | 'CHAIN_NAME_CONSTRAINTS_UNSUPPORTED';

export interface PathViolation {
  code: PathCode;
  message: string;
  messageEn: string;
  /** The certificate the failure is about. */
  certificate: ParsedCertificate;
}

/** GeneralName kinds we compare; others in a constraint make the path refused. */
type NameKind = 'dns' | 'email' | 'ip' | 'dn';

interface GeneralName {
  kind: NameKind | 'other';
  /** dns/email: the IA5 text; ip: the address bytes (4/16) or address+mask (8/32) in a constraint. */
  text?: string;
  bytes?: Uint8Array;
  /** dn: the RDNs, each a sorted list of canonical "type=value" strings. */
  rdns?: string[][];
}

interface NameConstraints {
  permitted: GeneralName[];
  excluded: GeneralName[];
  /** Subtrees we cannot process (a name type we do not compare, or minimum/maximum set). */
  unsupported: string | null;
}

function ext(cert: ParsedCertificate, oid: string): Uint8Array | null {
  return cert.extensions.find((e) => e.oid === oid)?.value ?? null;
}

function canonicalText(b: Uint8Array, t: Tlv): string {
  // Close to OpenSSL's canonical name form: strings compare case-insensitively with spaces folded.
  const s = stringValue(b, t);
  return s.startsWith('#') ? s : s.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** A Name (SEQUENCE OF RDN) as canonical RDNs. */
function readRdns(b: Uint8Array, name: Tlv): string[][] {
  return children(b, expectTag(name, TAG.sequence, '名称'), 256).map((rdn) =>
    children(b, expectTag(rdn, TAG.set, '名称'), 64)
      .map((atv) => {
        const [type, value] = children(b, expectTag(atv, TAG.sequence, '名称属性'), 2);
        return `${oidText(b, type!)}=${value ? canonicalText(b, value) : ''}`;
      })
      .sort(),
  );
}

function ia5(b: Uint8Array, t: Tlv): string {
  return Buffer.from(b.subarray(t.body, t.end)).toString('latin1');
}

function readGeneralName(b: Uint8Array, t: Tlv): GeneralName {
  switch (t.tag) {
    case GENERAL_NAME_TAG.rfc822Name:
      return { kind: 'email', text: ia5(b, t) };
    case GENERAL_NAME_TAG.dnsName:
      return { kind: 'dns', text: ia5(b, t) };
    case GENERAL_NAME_TAG.ipAddress:
      return { kind: 'ip', bytes: b.subarray(t.body, t.end) };
    case GENERAL_NAME_TAG.directoryName:
      return { kind: 'dn', rdns: readRdns(b, children(b, t, 1)[0]!) };
    default:
      return { kind: 'other' };
  }
}

function subjectAltNames(cert: ParsedCertificate): GeneralName[] {
  const v = ext(cert, OID.subjectAltName);
  if (!v) return [];
  return children(v, expectTag(readTlv(v, 0, v.length), TAG.sequence, '使用者备用名称'), 256).map((g) => readGeneralName(v, g));
}

function readSubtrees(b: Uint8Array, t: Tlv, out: GeneralName[]): string | null {
  let unsupported: string | null = null;
  for (const subtree of children(b, t, 256)) {
    const [base, ...rest] = children(b, expectTag(subtree, TAG.sequence, '名称约束'), 3);
    if (!base) continue;
    // minimum is DEFAULT 0 (so absent in DER); a maximum or a non-zero minimum is never used in practice.
    if (rest.length > 0) unsupported = 'minimum/maximum';
    const name = readGeneralName(b, base);
    if (name.kind === 'other') unsupported = `GeneralName [${base.tag & 0x1f}]`;
    else out.push(name);
  }
  return unsupported;
}

function nameConstraintsOf(cert: ParsedCertificate): NameConstraints | null {
  const v = ext(cert, OID.nameConstraints);
  if (!v) return null;
  const nc: NameConstraints = { permitted: [], excluded: [], unsupported: null };
  for (const part of children(v, expectTag(readTlv(v, 0, v.length), TAG.sequence, '名称约束'), 2)) {
    const why = part.tag === TAG.context0 ? readSubtrees(v, part, nc.permitted) : part.tag === TAG.context1 ? readSubtrees(v, part, nc.excluded) : 'unknown field';
    nc.unsupported ??= why;
  }
  return nc;
}

function dnsWithin(name: string, base: string): boolean {
  // OpenSSL nc_dns: labels may be added on the left; case-insensitive.
  const n = name.toLowerCase();
  const c = base.toLowerCase();
  if (c.length === 0) return true;
  if (n.length < c.length || !n.endsWith(c)) return false;
  return n.length === c.length || c.startsWith('.') || n[n.length - c.length - 1] === '.';
}

function emailWithin(name: string, base: string): boolean {
  const at = name.lastIndexOf('@');
  if (at < 0) return false;
  const local = name.slice(0, at);
  const host = name.slice(at + 1).toLowerCase();
  if (base.includes('@')) {
    // A whole mailbox: local part exact, host case-insensitive.
    const bat = base.lastIndexOf('@');
    return local === base.slice(0, bat) && host === base.slice(bat + 1).toLowerCase();
  }
  const b = base.toLowerCase();
  if (b.startsWith('.')) return host.endsWith(b);
  return host === b;
}

function ipWithin(addr: Uint8Array, base: Uint8Array): boolean {
  if (base.length !== addr.length * 2) return false;
  for (let i = 0; i < addr.length; i++) {
    const mask = base[addr.length + i]!;
    if ((addr[i]! & mask) !== (base[i]! & mask)) return false;
  }
  return true;
}

function dnWithin(name: string[][], base: string[][]): boolean {
  if (base.length > name.length) return false;
  return base.every((rdn, i) => {
    const other = name[i]!;
    return rdn.length === other.length && rdn.every((v, j) => v === other[j]);
  });
}

function within(name: GeneralName, base: GeneralName): boolean {
  switch (name.kind) {
    case 'dns':
      return dnsWithin(name.text!, base.text!);
    case 'email':
      return emailWithin(name.text!, base.text!);
    case 'ip':
      return ipWithin(name.bytes!, base.bytes!);
    case 'dn':
      return dnWithin(name.rdns!, base.rdns!);
    default:
      return false;
  }
}

const HOSTNAME = /^(?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;

/** The names a constraint applies to: subject DN, subject emailAddress, SAN entries, and a hostname-like CN of a leaf without DNS SANs. */
function namesOf(cert: ParsedCertificate, isLeaf: boolean): GeneralName[] {
  const b = cert.subjectDer;
  const subjectTlv = readTlv(b, 0, b.length);
  const names: GeneralName[] = [];
  const rdns = readRdns(b, subjectTlv);
  if (rdns.length > 0) names.push({ kind: 'dn', rdns });
  const cns: string[] = [];
  for (const rdn of children(b, subjectTlv, 256)) {
    for (const atv of children(b, rdn, 64)) {
      const [type, value] = children(b, atv, 2);
      if (!type || !value) continue;
      const oid = oidText(b, type);
      if (oid === OID.emailAddress) names.push({ kind: 'email', text: stringValue(b, value) });
      else if (oid === OID.commonName) cns.push(stringValue(b, value));
    }
  }
  const sans = subjectAltNames(cert);
  names.push(...sans.filter((n) => n.kind !== 'other'));
  // As OpenSSL does: with no DNS SAN, a leaf's CN that looks like a host name is checked as one.
  if (isLeaf && !sans.some((n) => n.kind === 'dns')) {
    for (const cn of cns) if (HOSTNAME.test(cn)) names.push({ kind: 'dns', text: cn });
  }
  return names;
}

function describe(n: GeneralName): string {
  if (n.kind === 'dn') return 'DN ' + n.rdns!.map((r) => r.join('+')).join(',');
  if (n.kind === 'ip') return 'IP ' + Buffer.from(n.bytes!).toString('hex');
  return `${n.kind === 'dns' ? 'DNS' : 'email'} ${n.text}`;
}

function checkNameConstraints(ca: ParsedCertificate, nc: NameConstraints, cert: ParsedCertificate, isLeaf: boolean): PathViolation | null {
  for (const name of namesOf(cert, isLeaf)) {
    const bad = nc.excluded.find((base) => base.kind === name.kind && within(name, base));
    const permittedOfKind = nc.permitted.filter((base) => base.kind === name.kind);
    const outside = permittedOfKind.length > 0 && !permittedOfKind.some((base) => within(name, base));
    if (bad || outside) {
      const what = describe(name);
      return {
        code: 'CHAIN_NAME_CONSTRAINTS',
        message: `证书“${cert.subject}”的名称（${what}）${bad ? '在 CA 排除的范围内' : '不在 CA 允许的范围内'}（名称约束，CA：${ca.subject}）`,
        messageEn: `name (${what}) of "${cert.subject}" is ${bad ? 'excluded by' : 'outside what is permitted by'} the name constraints of "${ca.subject}"`,
        certificate: cert,
      };
    }
  }
  return null;
}

/**
 * Checks a signature-proven path (leaf first, anchor last). The anchor's own constraints are
 * applied as well (as OpenSSL does): a CA that limits itself is taken at its word.
 */
export function validatePath(path: readonly ParsedCertificate[]): PathViolation | null {
  try {
    return firstViolation(path);
  } catch {
    // Only a malformed subjectAltName or nameConstraints value gets here: not something to half-check.
    const ca = path.find((c) => c.extensions.some((e) => e.oid === OID.nameConstraints)) ?? path[0]!;
    return {
      code: 'CHAIN_NAME_CONSTRAINTS_UNSUPPORTED',
      message: `证书链中的名称约束或备用名称无法解析（${ca.subject}），为安全起见拒绝该证书链`,
      messageEn: `name constraints or alternative names on the path cannot be parsed ("${ca.subject}"); the path is refused`,
      certificate: ca,
    };
  }
}

function firstViolation(path: readonly ParsedCertificate[]): PathViolation | null {
  for (const cert of path) {
    const unknown = cert.extensions.find((e) => e.critical && !RECOGNISED_CRITICAL_EXTENSIONS.has(e.oid));
    if (unknown) {
      return {
        code: 'CHAIN_CRITICAL_EXTENSION',
        message: `证书“${cert.subject}”含有无法识别的关键扩展 ${unknown.oid}，按 RFC 5280 必须拒绝`,
        messageEn: `"${cert.subject}" carries an unrecognised critical extension ${unknown.oid} and must be refused (RFC 5280)`,
        certificate: cert,
      };
    }
  }
  for (let i = 1; i < path.length; i++) {
    const ca = path[i]!;
    if (ca.keyUsage !== null && !ca.keyUsage.includes('keyCertSign')) {
      return {
        code: 'CHAIN_ISSUER_KEY_USAGE',
        message: `签发者“${ca.subject}”的密钥用法不含证书签名（keyCertSign），不能签发证书`,
        messageEn: `issuer "${ca.subject}" has a key usage without keyCertSign and may not sign certificates`,
        certificate: ca,
      };
    }
    if (ca.pathLenConstraint !== null) {
      // Intermediates below this CA, leaf excluded; self-issued ones (key rollover) do not count.
      let below = 0;
      for (let j = 1; j < i; j++) if (!path[j]!.selfIssued) below++;
      if (below > ca.pathLenConstraint) {
        return {
          code: 'CHAIN_PATH_LENGTH',
          message: `CA“${ca.subject}”限制其下最多 ${ca.pathLenConstraint} 级中级 CA（pathLenConstraint），本证书链有 ${below} 级`,
          messageEn: `CA "${ca.subject}" allows at most ${ca.pathLenConstraint} intermediate CAs below it (pathLenConstraint); this path has ${below}`,
          certificate: ca,
        };
      }
    }
    const nc = nameConstraintsOf(ca);
    if (!nc) continue;
    if (nc.unsupported) {
      return {
        code: 'CHAIN_NAME_CONSTRAINTS_UNSUPPORTED',
        message: `CA“${ca.subject}”的名称约束使用了本程序不处理的形式（${nc.unsupported}），为安全起见拒绝该证书链`,
        messageEn: `name constraints of CA "${ca.subject}" use a form we do not process (${nc.unsupported}); the path is refused`,
        certificate: ca,
      };
    }
    for (let j = i - 1; j >= 0; j--) {
      const cert = path[j]!;
      // RFC 5280 6.1.3 (b): self-issued intermediates are not subject to the constraints.
      if (j > 0 && cert.selfIssued) continue;
      const v = checkNameConstraints(ca, nc, cert, j === 0);
      if (v) return v;
    }
  }
  return null;
}

export interface EkuProblem {
  code: 'EXTENDED_KEY_USAGE';
  message: string;
  messageEn: string;
}

/** A login leaf's EKU must be absent, or contain clientAuth or anyExtendedKeyUsage. */
export function loginEkuProblem(leaf: ParsedCertificate): EkuProblem | null {
  const eku = leaf.extendedKeyUsage;
  if (eku === null || eku.some((o) => LOGIN_EXTENDED_KEY_USAGES.has(o))) return null;
  const names = eku.map((o) => EXTENDED_KEY_USAGE_NAMES[o] ?? o).join(', ') || '空';
  return {
    code: 'EXTENDED_KEY_USAGE',
    message: `证书的扩展密钥用法（${names}）不含客户端身份验证（clientAuth），不能用于登录；请选择 USB Key 中用于登录的签名证书`,
    messageEn: `the certificate's extended key usage (${names}) lacks clientAuth and cannot log in; choose the signing certificate meant for login`,
  };
}
