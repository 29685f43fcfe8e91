// 企业数字证书登录: challenge → window.certAssistant.authenticate → POST /api/session/certificate.
/* global location */
import { $, api, clearMessage, errorText, renderUserArea, showMessage } from './common.js';
import { assistant, showAssistantFailure, signWithAssistant, wireManualTokenForm } from './certificate-flow.js';

void renderUserArea();
const msg = $('#cert-msg');

async function submitToken(token) {
  const r = await api('POST', '/api/session/certificate', { token });
  if (r.status === 200) {
    showMessage(msg, 'ok', `登录成功：${r.body.account.orgName}`);
    setTimeout(() => { location.href = '/account.html'; }, 500);
    return;
  }
  showMessage(msg, 'error', errorText(r.body));
}

if (assistant()) {
  $('#assistant-present').hidden = false;
  $('#cert-login').addEventListener('click', async () => {
    clearMessage(msg);
    const button = $('#cert-login');
    button.disabled = true;
    try {
      await submitToken(await signWithAssistant());
    } catch (e) {
      showAssistantFailure(msg, e, '已取消登录');
    } finally {
      button.disabled = false;
    }
  });
} else {
  $('#assistant-missing').hidden = false;
}

wireManualTokenForm(msg, submitToken);
