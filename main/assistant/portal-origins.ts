/**
 * The origin rules live in main/policy/origins.ts (pure), so the bridge process can check a
 * WebSocket's Origin with the same rules without importing the assistant.
 */
export * from '../policy/origins.ts';
