/**
 * Builds certificates in-process with pkijs (no signing needed for identity extraction: the
 * signature is a dummy), round-tripped through DER so the parser sees what a file would give.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { MAX_CERTIFICATE_BYTES, parseCertificate, type ParsedCertificate } from '../../../main/pki/certificate.ts';

export type AttrValue = string | { type: 'utf8' | 'printable' | 'ia5' | 'bmp'; value: string } | asn1js.AsnType;
export interface CertSpec {
  subject: [string, AttrValue][];
  issuer: [string, AttrValue][];
  /** Extension OID -> raw extnValue bytes (the OCTET STRING content). */
  extensions?: [string, Uint8Array][];
}

export const OID = { C: '2.5.4.6', ST: '2.5.4.8', L: '2.5.4.7', O: '2.5.4.10', OU: '2.5.4.11', CN: '2.5.4.3', serialNumber: '2.5.4.5' } as const;

function attrValue(oid: string, v: AttrValue): asn1js.AsnType {
  if (typeof v === 'string') return oid === OID.C ? new asn1js.PrintableString({ value: v }) : new asn1js.Utf8String({ value: v });
  if ('type' in v && typeof v.type === 'string' && 'value' in v && typeof v.value === 'string') return derString(v.type, v.value);
  return v as asn1js.AsnType;
}

export function derString(type: 'utf8' | 'printable' | 'ia5' | 'bmp', value: string): asn1js.AsnType {
  switch (type) {
    case 'utf8': return new asn1js.Utf8String({ value });
    case 'printable': return new asn1js.PrintableString({ value });
    case 'ia5': return new asn1js.IA5String({ value });
    case 'bmp': return new asn1js.BmpString({ value });
  }
}

export function der(node: asn1js.AsnType): Uint8Array {
  return new Uint8Array(node.toBER(false));
}

export function ascii(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function rdn(list: [string, AttrValue][]): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: list.map(([type, v]) => new pkijs.AttributeTypeAndValue({ type, value: attrValue(type, v) as never })),
  });
}

/** A certificate with the given names and extensions, read by the product's own parser (unsigned: identity extraction never checks it). */
export function buildCertificate(spec: CertSpec): ParsedCertificate {
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: 4242 });
  cert.subject = rdn(spec.subject);
  cert.issuer = rdn(spec.issuer);
  cert.notBefore.value = new Date('2025-01-01T00:00:00Z');
  cert.notAfter.value = new Date('2027-01-01T00:00:00Z');
  cert.signature.algorithmId = '1.2.840.113549.1.1.11';
  cert.signatureAlgorithm.algorithmId = '1.2.840.113549.1.1.11';
  cert.subjectPublicKeyInfo = new pkijs.PublicKeyInfo({
    algorithm: new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.840.113549.1.1.1', algorithmParams: new asn1js.Null() }),
    // A well-formed RSAPublicKey (the parser reads the modulus size); the key itself is never used.
    subjectPublicKey: new asn1js.BitString({ valueHex: new asn1js.Sequence({ value: [new asn1js.Integer({ valueHex: new Uint8Array([0x00, ...new Uint8Array(64).fill(7)]).buffer }), new asn1js.Integer({ value: 65537 })] }).toBER(false) }),
  });
  cert.extensions = (spec.extensions ?? []).map(([extnID, value]) => new pkijs.Extension({ extnID, critical: false, extnValue: value.slice().buffer }));
  cert.signatureValue = new asn1js.BitString({ valueHex: new Uint8Array(256).fill(1).buffer });
  cert.tbsView = new Uint8Array(cert.encodeTBS().toBER(false));
  const bytes = new Uint8Array(cert.toSchema(false).toBER(false));
  if (bytes.length <= MAX_CERTIFICATE_BYTES) return parseCertificate(bytes);
  // Larger than the parser accepts (hostile-value tests of the identity reader): the parsed names
  // of the same certificate without extensions, with the extensions as given.
  const names = buildCertificate({ ...spec, extensions: [] });
  return { ...names, extensions: (spec.extensions ?? []).map(([oid, value]) => ({ oid, critical: false, value })) };
}
