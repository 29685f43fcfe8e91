/** Object identifiers the certificate core needs, named in one place. */
export const OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecPublicKey: '1.2.840.10045.2.1',
  sm2Curve: '1.2.156.10197.1.301',
  p256: '1.2.840.10045.3.1.7',
  p384: '1.3.132.0.34',
  p521: '1.3.132.0.35',
  ed25519: '1.3.101.112',
  sm2WithSm3: '1.2.156.10197.1.501',
  sha1WithRSA: '1.2.840.113549.1.1.5',
  md5WithRSA: '1.2.840.113549.1.1.4',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  rsaPss: '1.2.840.113549.1.1.10',
  ecdsaWithSha1: '1.2.840.10045.4.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  nameConstraints: '2.5.29.30',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  policyConstraints: '2.5.29.36',
  inhibitAnyPolicy: '2.5.29.54',
  crlDistributionPoints: '2.5.29.31',
  freshestCrl: '2.5.29.46',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  subjectInfoAccess: '1.3.6.1.5.5.7.1.11',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  netscapeCertType: '2.16.840.1.113730.1.1',
  ekuServerAuth: '1.3.6.1.5.5.7.3.1',
  ekuClientAuth: '1.3.6.1.5.5.7.3.2',
  ekuEmailProtection: '1.3.6.1.5.5.7.3.4',
  anyExtendedKeyUsage: '2.5.29.37.0',
  emailAddress: '1.2.840.113549.1.9.1',
  pkcs7SignedData: '1.2.840.113549.1.7.2',
  pkcs7Data: '1.2.840.113549.1.7.1',
  pkcs7EncryptedData: '1.2.840.113549.1.7.6',
  pkcs7EnvelopedData: '1.2.840.113549.1.7.3',
} as const;

/** Signature algorithm OID -> { name, hash, key kind }. */
export const SIGNATURE_ALGORITHMS: Record<string, { name: string; hash: string; key: 'RSA' | 'EC' | 'SM2' | 'RSA-PSS' }> = {
  [OID.md5WithRSA]: { name: 'md5WithRSAEncryption', hash: 'md5', key: 'RSA' },
  [OID.sha1WithRSA]: { name: 'sha1WithRSAEncryption', hash: 'sha1', key: 'RSA' },
  [OID.sha256WithRSA]: { name: 'sha256WithRSAEncryption', hash: 'sha256', key: 'RSA' },
  [OID.sha384WithRSA]: { name: 'sha384WithRSAEncryption', hash: 'sha384', key: 'RSA' },
  [OID.sha512WithRSA]: { name: 'sha512WithRSAEncryption', hash: 'sha512', key: 'RSA' },
  [OID.rsaPss]: { name: 'RSASSA-PSS', hash: 'sha256', key: 'RSA-PSS' },
  [OID.ecdsaWithSha1]: { name: 'ecdsa-with-SHA1', hash: 'sha1', key: 'EC' },
  [OID.ecdsaWithSha256]: { name: 'ecdsa-with-SHA256', hash: 'sha256', key: 'EC' },
  [OID.ecdsaWithSha384]: { name: 'ecdsa-with-SHA384', hash: 'sha384', key: 'EC' },
  [OID.ecdsaWithSha512]: { name: 'ecdsa-with-SHA512', hash: 'sha512', key: 'EC' },
  [OID.sm2WithSm3]: { name: 'SM2-with-SM3', hash: 'sm3', key: 'SM2' },
};

export const CURVE_NAMES: Record<string, string> = {
  [OID.p256]: 'P256',
  [OID.p384]: 'P384',
  [OID.p521]: 'P521',
};

/** Short names for DN attributes, as OpenSSL prints them. */
export const DN_ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.41': 'name',
  '2.5.4.42': 'GN',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

export const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsageName = (typeof KEY_USAGE_BITS)[number];

/** Revocation (RFC 5280 CRLs, RFC 6960 OCSP): extensions and identifiers the checks read. */
export const REVOCATION_OID = {
  crlDistributionPoints: '2.5.29.31',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  adOcsp: '1.3.6.1.5.5.7.48.1',
  kpOcspSigning: '1.3.6.1.5.5.7.3.9',
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
  ocspNonce: '1.3.6.1.5.5.7.48.1.2',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  sha1: '1.3.14.3.2.26',
  // CRL extensions
  authorityKeyId: '2.5.29.35',
  issuerAltName: '2.5.29.18',
  crlNumber: '2.5.29.20',
  deltaCrlIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  freshestCrl: '2.5.29.46',
  // CRL entry extensions
  reasonCode: '2.5.29.21',
  holdInstructionCode: '2.5.29.23',
  invalidityDate: '2.5.29.24',
  certificateIssuer: '2.5.29.29',
} as const;

/**
 * Extensions path validation understands, so a certificate may mark them critical. AKI/SKI are
 * here (RFC 5280 forbids marking them critical, yet real SHECA SM2 certificates do; they only
 * help path building). Policy extensions are absent on purpose: we do not process policies, so a
 * path that makes them critical is refused rather than silently half-checked.
 */
export const RECOGNISED_CRITICAL_EXTENSIONS: ReadonlySet<string> = new Set([
  OID.keyUsage,
  OID.extKeyUsage,
  OID.basicConstraints,
  OID.subjectKeyId,
  OID.authorityKeyId,
  OID.subjectAltName,
  OID.nameConstraints,
  OID.certificatePolicies,
  OID.crlDistributionPoints,
]);

/** Leaf extended key usages that allow a login (TLS client authentication or any purpose). */
export const LOGIN_EXTENDED_KEY_USAGES: ReadonlySet<string> = new Set([OID.ekuClientAuth, OID.anyExtendedKeyUsage]);

/** Short names of common extended key usages, for messages. */
export const EXTENDED_KEY_USAGE_NAMES: Record<string, string> = {
  [OID.ekuServerAuth]: 'serverAuth',
  [OID.ekuClientAuth]: 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  [OID.ekuEmailProtection]: 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  [OID.anyExtendedKeyUsage]: 'anyExtendedKeyUsage',
};
