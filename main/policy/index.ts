/** Policy: HKLM policy > machine policy file > HKCU policy > user settings > defaults (see docs/policy.md). */
export * from './policy.ts';
export * from './load.ts';
export * from './registry.ts';
export { REGISTRY_MAP, POLICY_REGISTRY_KEY, type RegistryMapping, type RegistryValueKind, type RegistryValueType } from './registry-map.ts';
export { POLICY_SCHEMA, USER_SETTABLE_KEYS, ADMIN_ONLY_KEYS, MACHINE_ONLY_KEYS } from './schema.ts';
