/**
 * `cert-assistant/uscc`: what a relying party needs besides the verifier to handle the identities
 * a login token carries — the USCC checks (GB 32100), the resident-ID check (GB 11643) and the
 * Hebei divisions — the same code the assistant itself runs.
 */
export { analyzeUscc, isValidUscc, normalizeUscc } from './uscc.ts';
export type { UsccAnalysis } from './uscc.ts';
export { checkResidentId, isValidResidentId, maskResidentId, normalizeResidentId } from './resident-id.ts';
export type { ResidentIdCheck } from './resident-id.ts';
export { hebeiDivisions, lookupRegion } from './regions.ts';
export type { HebeiDivisions, RegionInfo } from './regions.ts';
