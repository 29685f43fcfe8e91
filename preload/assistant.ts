/**
 * Preload of the assistant's own window (sandboxed; only `electron` may be required). Passes
 * through exactly the channels of the contract, and events without Electron's event object.
 */
import { contextBridge, ipcRenderer } from 'electron';
import {
  ASSISTANT_CHANNELS, ASSISTANT_EVENT_CHANNEL, ASSISTANT_EVENTS,
  type AssistantBridge, type AssistantChannel, type AssistantEventName, type AssistantEvents, type IpcRequest, type IpcResponse, type IpcResult,
} from '../common/ipc-contract.ts';
import { invokeChannel } from './ipc/invoke.ts';

const channels = new Set<string>(ASSISTANT_CHANNELS);
const eventNames = new Set<string>(ASSISTANT_EVENTS);
const listeners = new Map<string, Set<(payload: unknown) => void>>();

ipcRenderer.on(ASSISTANT_EVENT_CHANNEL, (_e, message: { event?: unknown; payload?: unknown }) => {
  const name = typeof message?.event === 'string' ? message.event : '';
  for (const l of listeners.get(name) ?? []) l(message.payload);
});

const bridge: AssistantBridge = {
  invoke<C extends AssistantChannel>(channel: C, request: IpcRequest<C>): Promise<IpcResult<IpcResponse<C>>> {
    if (!channels.has(channel)) {
      return Promise.resolve({ ok: false, error: { code: 'IPC_UNKNOWN_CHANNEL', message: '未知的请求通道', messageEn: 'Unknown IPC channel' } });
    }
    return invokeChannel(channel, request);
  },
  on<E extends AssistantEventName>(event: E, listener: (payload: AssistantEvents[E]) => void): () => void {
    if (!eventNames.has(event)) return () => {};
    const set = listeners.get(event) ?? new Set();
    const l = listener as (payload: unknown) => void;
    set.add(l);
    listeners.set(event, set);
    return () => {
      set.delete(l);
    };
  },
};

contextBridge.exposeInMainWorld('assistant', bridge);
