/**
 * The one typed map of IPC channels (channel -> request/response), shared by preload/ and
 * main/app/. Type-only: importable from every runtime.
 */
export interface IpcContract {
  'app:version': { request: void; response: { version: string } };
}
export type IpcChannel = keyof IpcContract;
