/**
 * JSON Schema of a policy / settings file (machine policy and user settings share the shape;
 * which keys a user may set is decided in policy.ts, not here). Kept as data so docs/policy.md
 * and `doctor` describe the same thing.
 */
const stringList = (maxLength: number) => ({ type: 'array', maxItems: 100, items: { type: 'string', minLength: 1, maxLength } }) as const;

export const POLICY_SCHEMA = {
  $id: 'https://cert-assistant.invalid/policy.schema.json',
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string', maxLength: 2048 },
    version: { const: 1 },
    comment: { type: 'string', maxLength: 10_000 },
    portalHome: { type: 'string', minLength: 1, maxLength: 2048 },
    portalOrigins: {
      type: 'array',
      maxItems: 200,
      items: {
        anyOf: [
          { type: 'string', minLength: 1, maxLength: 512 },
          {
            type: 'object',
            additionalProperties: false,
            required: ['origin'],
            properties: {
              origin: { type: 'string', minLength: 1, maxLength: 512 },
              name: { type: 'string', maxLength: 200 },
              nameEn: { type: 'string', maxLength: 200 },
            },
          },
        ],
      },
    },
    allowedOrigins: stringList(512),
    pkcs11Modules: stringList(4096),
    skfModules: stringList(4096),
    trustAnchorDirs: stringList(4096),
    guideBundlePublicKey: { type: ['string', 'null'], maxLength: 16_384 },
    // Updates (electron-updater, generic provider): off unless updateUrl is set; MSI installs never self-update.
    updateUrl: { type: 'string', minLength: 1, maxLength: 2048 },
    updateChannel: { enum: ['latest', 'beta'] },
    updatesEnabled: { type: 'boolean' },
    // Tray reminders 30/7/1 days before a listed certificate's notAfter; the card still says it when off.
    expiryReminders: { type: 'boolean' },
    clockSkewSeconds: { type: 'integer', minimum: 0, maximum: 3600 },
    language: { enum: ['zh-CN', 'en'] },
    windowsStoreLocalMachine: { type: 'boolean' },
    // Revocation in the certificate screen and `inspect`: off (default), prefer (revoked = 不能登录), require (unchecked = 无法确认).
    revocationMode: { enum: ['off', 'prefer', 'require'] },
    revocationCrls: stringList(4096),
    revocationNetwork: { type: 'boolean' },
    // The CA assistants' loopback protocols (main/bridge): on by default, both protocols, page PINs never used.
    bridgeEnabled: { type: 'boolean' },
    bridgeProtocols: { type: 'array', maxItems: 3, uniqueItems: true, items: { type: 'string', enum: ['bjca', 'hebca', 'jit'] } },
    bridgeAcceptPagePin: { type: 'boolean' },
  },
} as const;

/** Keys a user's own settings file may set; everything else is the administrator's. */
export const USER_SETTABLE_KEYS = ['language', 'portalHome'] as const;
/** Keys that only make sense in machine policy (least privilege: a user cannot widen trust). */
export const ADMIN_ONLY_KEYS = ['portalOrigins', 'allowedOrigins', 'pkcs11Modules', 'skfModules', 'trustAnchorDirs', 'guideBundlePublicKey', 'clockSkewSeconds', 'updateUrl', 'updateChannel', 'updatesEnabled', 'windowsStoreLocalMachine', 'bridgeEnabled', 'bridgeProtocols', 'bridgeAcceptPagePin', 'revocationMode', 'revocationCrls', 'revocationNetwork'] as const;
/**
 * Keys only the computer's own policy may set (HKLM or the machine policy file), never user Group
 * Policy (HKCU) or user settings: letting a web page's PIN unlock a key is a decision for the machine.
 */
export const MACHINE_ONLY_KEYS = ['bridgeAcceptPagePin'] as const;
