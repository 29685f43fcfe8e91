/**
 * The trust anchors the CLI signs with, as `tokens` and the app judge with them (bundled certs/trust/,
 * policy trustAnchorDirs, on Windows the Trusted Root store): login tokens and the bridge's PKCS#7
 * carry the path validated with them (main/login/sent-chain.ts). Unreadable trust is no trust here:
 * the key store's certificates go as before.
 */
import { loadPolicy } from '../policy/index.ts';
import type { ParsedCertificate } from '../pki/certificate.ts';
import { loadTrustAnchors } from '../pki/trust.ts';

export function localTrustAnchors(env: NodeJS.ProcessEnv): ParsedCertificate[] | undefined {
  try {
    return loadTrustAnchors(loadPolicy({ env }).policy.trustAnchorDirs, { onSkipped: () => {} });
  } catch {
    return undefined;
  }
}
