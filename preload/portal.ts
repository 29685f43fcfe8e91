/**
 * Preload of the embedded portal (sandboxed, untrusted pages): exposes exactly one call,
 * `certAssistant.authenticate({ challenge, expectedUscc? })`. Only those two fields are copied;
 * the origin is not sent at all — main takes it from the sender frame.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcResult, PortalBridge } from '../common/ipc-contract.ts';

const bridge: PortalBridge = {
  async authenticate(request) {
    const challenge: unknown = request?.challenge;
    const expectedUscc: unknown = request?.expectedUscc;
    const payload: { challenge: unknown; expectedUscc?: unknown } = { challenge };
    if (expectedUscc !== undefined) payload.expectedUscc = expectedUscc;
    const r = (await ipcRenderer.invoke('portal:authenticate', payload)) as IpcResult<{ token: string }>;
    if (r.ok) return { token: r.value.token };
    // A plain object crosses the context bridge intact; an Error would lose its code.
    throw { code: r.error.code, message: r.error.message, messageEn: r.error.messageEn };
  },
};

contextBridge.exposeInMainWorld('certAssistant', bridge);
