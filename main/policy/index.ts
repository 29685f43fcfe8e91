/** Policy: defaults < machine policy < user settings (see docs/policy.md). */
export * from './policy.ts';
export * from './load.ts';
export { POLICY_SCHEMA, USER_SETTABLE_KEYS, ADMIN_ONLY_KEYS } from './schema.ts';
