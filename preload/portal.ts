/**
 * Preload of the embedded portal (sandboxed, untrusted pages): exposes exactly one call,
 * `certAssistant.authenticate({ challenge, expectedUscc? })`. Only those two fields are copied;
 * the origin is not sent at all — main takes it from the sender frame.
 */
import { contextBridge } from 'electron';
import type { PortalBridge } from '../common/ipc-contract.ts';
import { invokeChannel } from './ipc/invoke.ts';

const bridge: PortalBridge = {
  async authenticate(request) {
    const challenge: unknown = request?.challenge;
    const expectedUscc: unknown = request?.expectedUscc;
    // Page data is unknown until main validates it at the boundary; only these two fields cross.
    const payload = { challenge } as { challenge: string; expectedUscc?: string };
    if (expectedUscc !== undefined) payload.expectedUscc = expectedUscc as string;
    const r = await invokeChannel('portal:authenticate', payload);
    if (r.ok) return { token: r.value.token };
    // A plain object crosses the context bridge intact; an Error would lose its code.
    throw { code: r.error.code, message: r.error.message, messageEn: r.error.messageEn };
  },
};

contextBridge.exposeInMainWorld('certAssistant', bridge);
