/**
 * ASN.1 identifier octets by name (X.690), for the DER reader and writers: universal types, and
 * context-specific tags as X.509/CMS use them ([n] constructed = 0xa0 | n, [n] primitive = 0x80 | n).
 * Only single-byte tags: nothing we read needs a tag number above 30.
 */
export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  objectIdentifier: 0x06,
  utf8String: 0x0c,
  numericString: 0x12,
  printableString: 0x13,
  teletexString: 0x14,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  visibleString: 0x1a,
  universalString: 0x1c,
  bmpString: 0x1e,
  /** SEQUENCE / SEQUENCE OF (constructed). */
  sequence: 0x30,
  /** SET / SET OF (constructed). */
  set: 0x31,
  /** [0] … [4] constructed (EXPLICIT, or IMPLICIT over a constructed type). */
  context0: 0xa0,
  context1: 0xa1,
  context2: 0xa2,
  context3: 0xa3,
  context4: 0xa4,
  /** [0] … [2] primitive (IMPLICIT over a primitive type). */
  contextPrimitive0: 0x80,
  contextPrimitive1: 0x81,
  contextPrimitive2: 0x82,
} as const;

/** The GeneralName choices (RFC 5280 4.2.1.6) that name-constraint checking reads. */
export const GENERAL_NAME_TAG = {
  /** [1] IA5String */
  rfc822Name: 0x81,
  /** [2] IA5String */
  dnsName: 0x82,
  /** [7] OCTET STRING */
  ipAddress: 0x87,
  /** [4] EXPLICIT Name */
  directoryName: 0xa4,
} as const;

