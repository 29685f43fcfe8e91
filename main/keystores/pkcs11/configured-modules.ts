import { configuredDriverPaths, profileDriverNames, type ConfiguredDriversInput } from '../driver-paths.ts';

/** PKCS#11 modules an administrator configured (policy `pkcs11Modules` + CA profiles); rules in ../driver-paths.ts. */
export type ConfiguredModulesInput = ConfiguredDriversInput;
export { defaultLibraryDirs } from '../driver-paths.ts';

export function profileModuleNames(file: string, platform: NodeJS.Platform): string[] {
  return profileDriverNames('pkcs11Modules', file, platform);
}

export function configuredModulePaths(input: ConfiguredModulesInput = {}): string[] {
  return configuredDriverPaths('pkcs11Modules', input);
}
