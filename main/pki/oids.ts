/**
 * Object identifiers, named in one place (as PKI.js's ObjectIdentifiers.ts and node-forge's oids
 * name them): every dotted OID the code compares or writes comes from here. Grouped: key and
 * signature algorithms, hashes and ciphers, password-based encryption, CMS/PKCS#7, PKCS#12,
 * name attributes, extensions, extended key usages, revocation, CA-private identity OIDs.
 */
export const OID = {
  // ---- public keys and curves
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecPublicKey: '1.2.840.10045.2.1',
  /** GM/T 0006 SM2 curve (also written as an algorithm OID by some CAs). */
  sm2Curve: '1.2.156.10197.1.301',
  /** GM/T 0006 SM2 public-key encryption (sm2-3), the key transport of GM/T 0010 envelopes. */
  sm2Encryption: '1.2.156.10197.1.301.3',
  p256: '1.2.840.10045.3.1.7',
  p384: '1.3.132.0.34',
  p521: '1.3.132.0.35',
  ed25519: '1.3.101.112',

  // ---- signature algorithms
  sm2WithSm3: '1.2.156.10197.1.501',
  /** SM2-1 digital signature (GM/T 0006 sm2sign), what OpenSSL writes in a CMS SignerInfo. */
  sm2Sign: '1.2.156.10197.1.301.1',
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

  // ---- hashes and MACs
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  sm3: '1.2.156.10197.1.401',
  /** GOST R 34.11-2012 (256-bit): recognised only to name it in a refusal. */
  gostR3411_2012_256: '1.2.643.7.1.1.2.2',
  hmacWithSha1: '1.2.840.113549.2.7',
  hmacWithSha224: '1.2.840.113549.2.8',
  hmacWithSha256: '1.2.840.113549.2.9',
  hmacWithSha384: '1.2.840.113549.2.10',
  hmacWithSha512: '1.2.840.113549.2.11',

  // ---- block ciphers
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  desEde3Cbc: '1.2.840.113549.3.7',
  sm4Cbc: '1.2.156.10197.1.104.2',
  camellia128Cbc: '1.2.392.200011.61.1.1.1.2',
  camellia192Cbc: '1.2.392.200011.61.1.1.1.3',
  camellia256Cbc: '1.2.392.200011.61.1.1.1.4',

  // ---- password-based encryption (PKCS#5, PKCS#12 appendix C)
  pbeWithShaAnd128BitRc4: '1.2.840.113549.1.12.1.1',
  pbeWithShaAnd40BitRc4: '1.2.840.113549.1.12.1.2',
  pbeWithShaAnd3KeyTripleDesCbc: '1.2.840.113549.1.12.1.3',
  pbeWithShaAnd2KeyTripleDesCbc: '1.2.840.113549.1.12.1.4',
  pbeWithShaAnd128BitRc2Cbc: '1.2.840.113549.1.12.1.5',
  pbeWithShaAnd40BitRc2Cbc: '1.2.840.113549.1.12.1.6',
  pbeWithMd5AndDesCbc: '1.2.840.113549.1.5.3',
  pbeWithMd5AndRc2Cbc: '1.2.840.113549.1.5.6',
  pbeWithSha1AndDesCbc: '1.2.840.113549.1.5.10',
  pbeWithSha1AndRc2Cbc: '1.2.840.113549.1.5.11',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbes2: '1.2.840.113549.1.5.13',
  pbmac1: '1.2.840.113549.1.5.14',

  // ---- PKCS#7 / CMS content types and attributes
  pkcs7Data: '1.2.840.113549.1.7.1',
  pkcs7SignedData: '1.2.840.113549.1.7.2',
  pkcs7EnvelopedData: '1.2.840.113549.1.7.3',
  pkcs7EncryptedData: '1.2.840.113549.1.7.6',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  /** GM/T 0010 content types (data, signedData, envelopedData), written when a relying party asks. */
  gmData: '1.2.156.10197.6.1.4.2.1',
  gmSignedData: '1.2.156.10197.6.1.4.2.2',
  gmEnvelopedData: '1.2.156.10197.6.1.4.2.3',

  // ---- PKCS#12 bags and bag attributes (RFC 7292)
  keyBag: '1.2.840.113549.1.12.10.1.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  crlBag: '1.2.840.113549.1.12.10.1.4',
  secretBag: '1.2.840.113549.1.12.10.1.5',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',

  // ---- name attributes (X.520, PKCS#9, RFC 4519); DN_ATTRIBUTES below gives their short names
  commonName: '2.5.4.3',
  surname: '2.5.4.4',
  serialNumber: '2.5.4.5',
  countryName: '2.5.4.6',
  localityName: '2.5.4.7',
  stateOrProvinceName: '2.5.4.8',
  streetAddress: '2.5.4.9',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  title: '2.5.4.12',
  description: '2.5.4.13',
  name: '2.5.4.41',
  givenName: '2.5.4.42',
  x500UniqueIdentifier: '2.5.4.45',
  organizationIdentifier: '2.5.4.97',
  emailAddress: '1.2.840.113549.1.9.1',
  userId: '0.9.2342.19200300.100.1.1',
  domainComponent: '0.9.2342.19200300.100.1.25',

  // ---- certificate extensions
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

  // ---- extended key usages
  ekuServerAuth: '1.3.6.1.5.5.7.3.1',
  ekuClientAuth: '1.3.6.1.5.5.7.3.2',
  ekuCodeSigning: '1.3.6.1.5.5.7.3.3',
  ekuEmailProtection: '1.3.6.1.5.5.7.3.4',
  ekuTimeStamping: '1.3.6.1.5.5.7.3.8',
  ekuOcspSigning: '1.3.6.1.5.5.7.3.9',
  anyExtendedKeyUsage: '2.5.29.37.0',

  // ---- revocation: CRL and CRL entry extensions, OCSP (RFC 5280, RFC 6960)
  crlNumber: '2.5.29.20',
  deltaCrlIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  reasonCode: '2.5.29.21',
  holdInstructionCode: '2.5.29.23',
  invalidityDate: '2.5.29.24',
  certificateIssuer: '2.5.29.29',
  adOcsp: '1.3.6.1.5.5.7.48.1',
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
  ocspNonce: '1.3.6.1.5.5.7.48.1.2',

  // ---- CA-private identity OIDs (more, by CA, in certs/ca-profiles.json)
  /** BJCA (北京CA) SVS UniqueID extension. */
  bjcaSvsUniqueId: '2.16.840.1.113732.2',
  /** BJCA (北京CA) entity ID extension. */
  bjcaEntityId: '1.2.156.112562.2.1.1.1',
} as const;

/** OID arcs whose members are compared by prefix. */
export const OID_ARC = {
  /** id-ce: the X.509 standard certificate extensions. */
  certificateExtension: '2.5.29',
  /** id-pe: PKIX private certificate extensions. */
  pkixExtension: '1.3.6.1.5.5.7.1',
  /** Google's arc (Certificate Transparency SCT lists). */
  googleCertificateTransparency: '1.3.6.1.4.1.11129',
  /** pkcs-12PbeIds: the PKCS#12 password-based encryption schemes. */
  pkcs12Pbe: '1.2.840.113549.1.12.1',
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

/** One attribute type a distinguished name can carry. */
export interface DnAttribute {
  oid: string;
  /** The key in every output: the display DN (`CN=…, emailAddress=…`), identity sources (`subject:CN`), issuer matching. */
  short: string;
  /** The attribute's long name (X.520 / PKCS#9 / RFC 4519). */
  long: string;
  /** What the CLI's human report calls it (`使用者：名称：…；单位：…`), where it has a name. */
  zh?: string;
  /**
   * The display DN has always written this one as its dotted OID (`2.5.4.45=…`): inspect output and
   * the bridge's DN strings keep that form, while identity sources use the short name.
   */
  displayAsOid?: true;
}

/**
 * The one DN attribute table: display, inspect JSON, identity extraction, CA matching and the CLI
 * read it. Short names are OpenSSL's (`openssl x509 -subject` prints `street`, `emailAddress`),
 * which the display DN has always used; an attribute not listed shows as its dotted OID.
 */
export const DN_ATTRIBUTES: readonly DnAttribute[] = [
  { oid: OID.commonName, short: 'CN', long: 'commonName', zh: '名称' },
  { oid: OID.surname, short: 'SN', long: 'surname' },
  { oid: OID.serialNumber, short: 'serialNumber', long: 'serialNumber', zh: '序列号' },
  { oid: OID.countryName, short: 'C', long: 'countryName', zh: '国家' },
  { oid: OID.localityName, short: 'L', long: 'localityName', zh: '城市' },
  { oid: OID.stateOrProvinceName, short: 'ST', long: 'stateOrProvinceName', zh: '省份' },
  { oid: OID.streetAddress, short: 'street', long: 'streetAddress' },
  { oid: OID.organizationName, short: 'O', long: 'organizationName', zh: '单位' },
  { oid: OID.organizationalUnitName, short: 'OU', long: 'organizationalUnitName', zh: '部门' },
  { oid: OID.title, short: 'title', long: 'title' },
  { oid: OID.description, short: 'description', long: 'description', displayAsOid: true },
  { oid: OID.name, short: 'name', long: 'name', zh: '名称' },
  { oid: OID.givenName, short: 'GN', long: 'givenName' },
  { oid: OID.x500UniqueIdentifier, short: 'x500UniqueIdentifier', long: 'x500UniqueIdentifier', displayAsOid: true },
  { oid: OID.organizationIdentifier, short: 'organizationIdentifier', long: 'organizationIdentifier' },
  { oid: OID.emailAddress, short: 'emailAddress', long: 'emailAddress', zh: '邮箱' },
  { oid: OID.userId, short: 'UID', long: 'userId' },
  { oid: OID.domainComponent, short: 'DC', long: 'domainComponent' },
];

const DN_BY_OID: ReadonlyMap<string, DnAttribute> = new Map(DN_ATTRIBUTES.map((a) => [a.oid, a]));
const DN_BY_SHORT: ReadonlyMap<string, DnAttribute> = new Map(DN_ATTRIBUTES.map((a) => [a.short, a]));

/** The attribute's short name (`CN`, `emailAddress`), or its dotted OID when the table has none. */
export function dnShortName(oid: string): string {
  return DN_BY_OID.get(oid)?.short ?? oid;
}

/** The attribute's key in a display DN: its short name, or its dotted OID (not in the table, or `displayAsOid`). */
export function dnDisplayKey(oid: string): string {
  const a = DN_BY_OID.get(oid);
  return a && !a.displayAsOid ? a.short : oid;
}

/** The zh-CN label for a short name in a display DN, or undefined when it has none. */
export function dnLabelZh(short: string): string | undefined {
  return DN_BY_SHORT.get(short)?.zh;
}

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
  crlDistributionPoints: OID.crlDistributionPoints,
  authorityInfoAccess: OID.authorityInfoAccess,
  adOcsp: OID.adOcsp,
  kpOcspSigning: OID.ekuOcspSigning,
  ocspBasic: OID.ocspBasic,
  ocspNonce: OID.ocspNonce,
  ocspNoCheck: OID.ocspNoCheck,
  sha1: OID.sha1,
  // CRL extensions
  authorityKeyId: OID.authorityKeyId,
  issuerAltName: OID.issuerAltName,
  crlNumber: OID.crlNumber,
  deltaCrlIndicator: OID.deltaCrlIndicator,
  issuingDistributionPoint: OID.issuingDistributionPoint,
  freshestCrl: OID.freshestCrl,
  // CRL entry extensions
  reasonCode: OID.reasonCode,
  holdInstructionCode: OID.holdInstructionCode,
  invalidityDate: OID.invalidityDate,
  certificateIssuer: OID.certificateIssuer,
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
  [OID.ekuCodeSigning]: 'codeSigning',
  [OID.ekuEmailProtection]: 'emailProtection',
  [OID.ekuTimeStamping]: 'timeStamping',
  [OID.ekuOcspSigning]: 'OCSPSigning',
  [OID.anyExtendedKeyUsage]: 'anyExtendedKeyUsage',
};
