/**
 * Every Electron fuse, stated explicitly. `Record<FuseV1Options, boolean>` makes a fuse added by a
 * future Electron a compile error here until someone decides its value; `strictlyRequireAllFuses`
 * makes @electron/fuses refuse to flip a binary whose wire has fuses we did not list.
 */
import { FuseV1Options, FuseVersion, type FuseV1Config } from '@electron/fuses';

export const FUSES: Record<FuseV1Options, boolean> = {
  // ELECTRON_RUN_AS_NODE would turn the signed exe into a general Node interpreter.
  [FuseV1Options.RunAsNode]: false,
  // Cookies on disk encrypted with the OS key store (the portal partition is in memory anyway).
  [FuseV1Options.EnableCookieEncryption]: true,
  // NODE_OPTIONS / NODE_EXTRA_CA_CERTS from the environment could inject code or trust.
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  // --inspect / SIGUSR1 would let anyone on the machine attach a debugger to the signing process.
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  // app.asar is checked against the hash embedded in the exe.
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  // Only app.asar is loaded: no app/ folder or default_app.asar next to it.
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  // The UI comes from app://, never file://.
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
};

export const FUSE_CONFIG: FuseV1Config = { version: FuseVersion.V1, strictlyRequireAllFuses: true, resetAdHocDarwinSignature: true, ...FUSES };
