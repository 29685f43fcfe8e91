/**
 * The TLS certificate for wss://127.0.0.1:21061 (BJCA's https pages), per machine:
 * a one-time CA signs one leaf and is gone. The CA's private key is a non-extractable WebCrypto
 * key that exists only inside issueLocalhostCertificate — never exported, never written, its
 * last reference dropped when the function returns — so no reusable CA key exists anywhere.
 * The CA is also name-constrained (RFC 5280 4.2.1.10, critical) to 127.0.0.1, ::1 and
 * localhost, and may not sign further CAs (pathlen 0): even its certificate in the machine's
 * trust store vouches for nothing but loopback. The leaf's key and certificate are what the
 * bridge serves; the embedded portal pins the leaf's SHA-256 fingerprint instead of trusting the CA.
 */
import { createHash, webcrypto } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { OID } from '../../pki/oids.ts';
import { LOOPBACK_IPV4 } from '../../../common/portal-origins.ts';

/** Chrome and macOS refuse TLS leaves valid for longer than 825 days, even under local roots. */
export const LOCALHOST_CERT_DAYS = 825;

const OIDS = {
  commonName: OID.commonName,
  organization: OID.organizationName,
  basicConstraints: OID.basicConstraints,
  keyUsage: OID.keyUsage,
  extKeyUsage: OID.extKeyUsage,
  subjectAltName: OID.subjectAltName,
  nameConstraints: OID.nameConstraints,
  subjectKeyId: OID.subjectKeyId,
  authorityKeyId: OID.authorityKeyId,
  serverAuth: OID.ekuServerAuth,
} as const;

const LOOPBACK_V4 = [127, 0, 0, 1];
const LOOPBACK_V6 = [...new Array(15).fill(0), 1];

export interface LocalhostTls {
  /** The one-time CA's certificate (installed in the machine's trust store by an admin-opted installer). */
  caCertificatePem: string;
  /** The leaf the bridge serves: SAN 127.0.0.1, ::1, localhost. */
  certificatePem: string;
  /** The leaf's private key, PKCS#8 PEM (the only private key that leaves this function). */
  privateKeyPem: string;
  /** Lower-case hex SHA-256 of the leaf DER: what the embedded portal pins. */
  certificateSha256: string;
  caSha256: string;
  notAfter: Date;
}

const subtle = webcrypto.subtle;
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;

function pem(label: string, der: ArrayBuffer | Uint8Array): string {
  const b64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

function name(cn: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({ type: OIDS.organization, value: new asn1js.Utf8String({ value: '证书助手 Cert Assistant' }) }),
      new pkijs.AttributeTypeAndValue({ type: OIDS.commonName, value: new asn1js.Utf8String({ value: cn }) }),
    ],
  });
}

function ext(extnID: string, critical: boolean, value: { toSchema(): asn1js.AsnType } | asn1js.AsnType): pkijs.Extension {
  const asn = 'toSchema' in value ? value.toSchema() : value;
  return new pkijs.Extension({ extnID, critical, extnValue: asn.toBER(false) });
}

/** keyUsage BIT STRING from bit numbers (0 = digitalSignature … 5 = keyCertSign, 6 = cRLSign). */
function keyUsage(bits: number[]): { toSchema(): asn1js.AsnType } {
  let v = 0;
  for (const b of bits) v |= 0x80 >> b;
  return { toSchema: () => new asn1js.BitString({ valueHex: new Uint8Array([v]).buffer, unusedBits: 1 }) };
}

function serial(): asn1js.Integer {
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = (b[0]! & 0x7f) | 0x40;
  return new asn1js.Integer({ valueHex: b.buffer });
}

async function keyId(key: webcrypto.CryptoKey): Promise<Uint8Array> {
  const raw = new Uint8Array(await subtle.exportKey('raw', key));
  return new Uint8Array(createHash('sha1').update(raw).digest());
}

function loopbackNames(): pkijs.GeneralName[] {
  return [
    new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: new Uint8Array(LOOPBACK_V4).buffer }) }),
    new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: new Uint8Array(LOOPBACK_V6).buffer }) }),
    new pkijs.GeneralName({ type: 2, value: 'localhost' }),
  ];
}

function nameConstraints(): pkijs.NameConstraints {
  const subtree = (base: pkijs.GeneralName) => new pkijs.GeneralSubtree({ base });
  return new pkijs.NameConstraints({
    permittedSubtrees: [
      subtree(new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: new Uint8Array([...LOOPBACK_V4, 255, 255, 255, 255]).buffer }) })),
      subtree(new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: new Uint8Array([...LOOPBACK_V6, ...new Array(16).fill(255)]).buffer }) })),
      subtree(new pkijs.GeneralName({ type: 2, value: 'localhost' })),
    ],
  });
}

function validity(cert: pkijs.Certificate, now: Date, days: number): Date {
  // A little back-dating so clocks a few minutes apart still accept it.
  const from = new Date(now.getTime() - 10 * 60_000);
  const to = new Date(now.getTime() + days * 86_400_000);
  cert.notBefore = new pkijs.Time({ type: 0, value: from });
  cert.notAfter = new pkijs.Time({ type: 0, value: to });
  return to;
}

/**
 * Issues the localhost leaf under a fresh one-time CA and lets the CA key go. Output has no CA
 * private key: there is nothing to store or leak, and a new leaf means a new CA.
 */
export async function issueLocalhostCertificate(opts: { now?: Date; days?: number } = {}): Promise<LocalhostTls> {
  const now = opts.now ?? new Date();
  const days = opts.days ?? LOCALHOST_CERT_DAYS;
  const leafKeys = (await subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const { caDer, leafDer, notAfter } = await issueUnderOneTimeCa(leafKeys.publicKey, now, days);
  const pkcs8 = await subtle.exportKey('pkcs8', leafKeys.privateKey);
  return {
    caCertificatePem: pem('CERTIFICATE', caDer),
    certificatePem: pem('CERTIFICATE', leafDer),
    privateKeyPem: pem('PRIVATE KEY', pkcs8),
    certificateSha256: createHash('sha256').update(leafDer).digest('hex'),
    caSha256: createHash('sha256').update(caDer).digest('hex'),
    notAfter,
  };
}

/** The CA key lives only in this function's scope: made non-extractable, used twice, never returned. */
async function issueUnderOneTimeCa(leafPublicKey: webcrypto.CryptoKey, now: Date, days: number): Promise<{ caDer: Uint8Array; leafDer: Uint8Array; notAfter: Date }> {
  // extractable=false: the CA's private key cannot be exported, not even by this code.
  const ca = (await subtle.generateKey(EC, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;

  const caCert = new pkijs.Certificate();
  caCert.version = 2;
  caCert.serialNumber = serial();
  caCert.issuer = name(`证书助手本机一次性 CA ${now.toISOString().slice(0, 10)}`);
  caCert.subject = caCert.issuer;
  validity(caCert, now, days);
  await caCert.subjectPublicKeyInfo.importKey(ca.publicKey);
  const caKeyId = await keyId(ca.publicKey);
  caCert.extensions = [
    ext(OIDS.basicConstraints, true, new pkijs.BasicConstraints({ cA: true, pathLenConstraint: 0 })),
    ext(OIDS.keyUsage, true, keyUsage([5, 6])),
    ext(OIDS.nameConstraints, true, nameConstraints()),
    ext(OIDS.subjectKeyId, false, new asn1js.OctetString({ valueHex: caKeyId.buffer as ArrayBuffer })),
  ];
  await caCert.sign(ca.privateKey, 'SHA-256');

  const leaf = new pkijs.Certificate();
  leaf.version = 2;
  leaf.serialNumber = serial();
  leaf.issuer = caCert.subject;
  leaf.subject = name(LOOPBACK_IPV4);
  const notAfter = validity(leaf, now, days);
  await leaf.subjectPublicKeyInfo.importKey(leafPublicKey);
  leaf.extensions = [
    ext(OIDS.basicConstraints, true, new pkijs.BasicConstraints({ cA: false })),
    ext(OIDS.keyUsage, true, keyUsage([0])),
    ext(OIDS.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: [OIDS.serverAuth] })),
    ext(OIDS.subjectAltName, false, new pkijs.AltName({ altNames: loopbackNames() })),
    ext(OIDS.subjectKeyId, false, new asn1js.OctetString({ valueHex: (await keyId(leafPublicKey)).buffer as ArrayBuffer })),
    ext(OIDS.authorityKeyId, false, new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: caKeyId.buffer as ArrayBuffer }) })),
  ];
  await leaf.sign(ca.privateKey, 'SHA-256');
  return { caDer: new Uint8Array(caCert.toSchema(true).toBER(false)), leafDer: new Uint8Array(leaf.toSchema(true).toBER(false)), notAfter };
}

/** File names inside the folder the bridge's TLS material lives in (no CA key file exists). */
export const LOCALHOST_TLS_FILES = { certificate: 'localhost.crt', privateKey: 'localhost.key', caCertificate: 'localhost-ca.crt' } as const;

/** Writes the leaf certificate, its key (owner-only) and the CA certificate into `dir`. */
export function saveLocalhostTls(dir: string, tls: LocalhostTls): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, LOCALHOST_TLS_FILES.certificate), tls.certificatePem);
  writeFileSync(join(dir, LOCALHOST_TLS_FILES.privateKey), tls.privateKeyPem, { mode: 0o600 });
  writeFileSync(join(dir, LOCALHOST_TLS_FILES.caCertificate), tls.caCertificatePem);
}

/** What the bridge's wss listener needs: `{ cert, key }` PEM, and the leaf's SHA-256 to pin; null when none was issued. */
export function loadLocalhostTls(dir: string): { cert: string; key: string; certificateSha256: string } | null {
  try {
    const cert = readFileSync(join(dir, LOCALHOST_TLS_FILES.certificate), 'utf8');
    const key = readFileSync(join(dir, LOCALHOST_TLS_FILES.privateKey), 'utf8');
    const der = Buffer.from(cert.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    return { cert, key, certificateSha256: createHash('sha256').update(der).digest('hex') };
  } catch {
    return null;
  }
}
