/** The renderer's only way to reach main: typed calls over the preload's `window.assistant`. */
import type { AssistantBridge, AssistantChannel, AssistantEventName, AssistantEvents, ErrorView, IpcRequest, IpcResponse } from '../common/ipc-contract.ts';

declare global {
  interface Window {
    assistant?: AssistantBridge;
  }
}

export class IpcError extends Error {
  readonly code: string;
  readonly messageEn: string | undefined;
  constructor(e: ErrorView) {
    super(e.message);
    this.code = e.code;
    this.messageEn = e.messageEn;
  }
}

function bridge(): AssistantBridge {
  if (!window.assistant) throw new IpcError({ code: 'BRIDGE_MISSING', message: '证书助手服务未连接', messageEn: 'Assistant service is not connected' });
  return window.assistant;
}

export async function invoke<C extends AssistantChannel>(channel: C, ...args: IpcRequest<C> extends void ? [] : [IpcRequest<C>]): Promise<IpcResponse<C>> {
  const r = await bridge().invoke(channel, args[0] as IpcRequest<C>);
  if (!r.ok) throw new IpcError(r.error);
  return r.value;
}

export function onEvent<E extends AssistantEventName>(event: E, listener: (payload: AssistantEvents[E]) => void): () => void {
  return window.assistant ? window.assistant.on(event, listener) : () => {};
}
