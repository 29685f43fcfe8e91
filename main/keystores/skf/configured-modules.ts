import { configuredDriverPaths, profileDriverNames, type ConfiguredDriversInput } from '../driver-paths.ts';

/** SKF libraries an administrator configured (policy `skfModules` + CA profiles); same rules as PKCS#11 drivers (../driver-paths.ts). */
export type ConfiguredSkfInput = ConfiguredDriversInput;

export function profileSkfNames(file: string, platform: NodeJS.Platform): string[] {
  return profileDriverNames('skfModules', file, platform);
}

export function configuredSkfModulePaths(input: ConfiguredSkfInput = {}): string[] {
  return configuredDriverPaths('skfModules', input);
}
