/**
 * How a bridge consent (main/login/signing-path.ts ConsentView) is shown on the assistant's
 * Consent screen: the operation (登录 / 签署内容 / 解密) and, for content and decryption, the
 * preview and SHA-256 of the exact bytes. A login random is shown as 登录 with no preview.
 */
import type { ConsentRequestView } from '../../common/ipc-contract.ts';
import type { ConsentView } from '../login/signing-path.ts';

export function bridgeConsentFields(view: ConsentView): Required<Pick<ConsentRequestView, 'purpose' | 'content' | 'siteName'>> {
  const purpose = view.operation === 'decrypt' ? 'decrypt' : view.operation === 'login' ? 'login' : 'sign';
  return {
    purpose,
    siteName: view.siteName,
    content: purpose === 'login' ? null : { preview: view.content.preview, sha256: view.content.sha256 },
  };
}
