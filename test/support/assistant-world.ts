/**
 * The assistant's world for tests that sign through the real IPC handlers: a portal at `origin`,
 * the given certificate service, no guide, no portal view, events collected into `events`.
 */
import { createPortalOriginAllowList } from '../../common/portal-origins.ts';
import type { AssistantEvents } from '../../common/ipc-contract.ts';
import type { AssistantWorld } from '../../main/assistant/world.ts';
import type { AssistantIpc } from '../../main/assistant/ipc-handlers.ts';

export function signingTestWorld(origin: string, certificates: AssistantWorld['certificates'], events: { name: keyof AssistantEvents; payload: unknown }[]): AssistantWorld {
  let n = 0;
  return {
    now: () => new Date(),
    randomId: () => `req${++n}`,
    appVersion: '0.1.0-test',
    assistantOrigin: 'app://assistant',
    portal: { home: `${origin}/`, origins: createPortalOriginAllowList([origin]) },
    certificates,
    guide: null,
    portalView: { open: async () => {}, setBounds: () => {}, close: () => {}, setConsentActive: () => {} },
    pickPfxFile: async () => null,
    openExternal: async () => {},
    emit: (name, payload) => { events.push({ name, payload }); },
    diagnostics: async () => { throw new Error('unused'); },
    consentTimeoutMs: 60_000,
  };
}

/**
 * A login asked for from the portal frame `portal` with `challenge`: the pending answer, and the
 * consent request it put on screen (looked for in `events` every 100 ms, `tries` times; undefined if none came).
 */
export async function requestLogin(ipc: AssistantIpc, portal: { frameUrl: string }, challenge: string, events: { name: keyof AssistantEvents; payload: unknown }[], tries: number) {
  const pending = ipc.dispatch('portal:authenticate', portal, { challenge });
  for (let i = 0; i < tries && !events.some((e) => e.name === 'consent:requested'); i++) await new Promise((r) => setTimeout(r, 100));
  const req = events.find((e) => e.name === 'consent:requested')?.payload as AssistantEvents['consent:requested'] | undefined;
  return { pending, req };
}
