/**
 * The typed wrapper over `ipcRenderer.invoke`: the only place a preload sends a request, so a
 * renamed channel or a changed payload fails to compile (lint refuses raw `invoke` elsewhere).
 */
import { ipcRenderer } from 'electron';
import type { IpcChannel, IpcRequest, IpcResponse, IpcResult } from '../../common/ipc-contract.ts';

export function invokeChannel<C extends IpcChannel>(channel: C, request: IpcRequest<C>): Promise<IpcResult<IpcResponse<C>>> {
  // eslint-disable-next-line no-restricted-syntax -- this is the typed wrapper
  return ipcRenderer.invoke(channel, request) as Promise<IpcResult<IpcResponse<C>>>;
}
