/**
 * Where a user's own files live (settings, the signature log). `CERT_ASSISTANT_HOME` overrides it,
 * for tests and portable installs.
 */
import path from 'node:path';

/** The user's data folder: CERT_ASSISTANT_HOME, else %APPDATA%\CertAssistant, else ~/.config/cert-assistant. */
export function userDataDir(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, home: string): string {
  const override = env['CERT_ASSISTANT_HOME'];
  if (override) return override;
  if (platform === 'win32') return path.win32.join(env['APPDATA'] || path.win32.join(home, 'AppData', 'Roaming'), 'CertAssistant');
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', 'CertAssistant');
  return path.posix.join(env['XDG_CONFIG_HOME'] || path.posix.join(home, '.config'), 'cert-assistant');
}

