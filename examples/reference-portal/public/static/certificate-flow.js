// The certificate step shared by 证书登录 and 认证统一社会信用代码: challenge → assistant → token.

import { $, api, onSubmit, showMessage } from './common.js';

/** The assistant's portal API, present only when the page runs inside 证书助手. */
export function assistant() {
  const a = window.certAssistant;
  return a && typeof a.authenticate === 'function' ? a : null;
}

export async function fetchChallenge() {
  const r = await api('GET', '/api/challenge');
  if (r.status !== 200 || !r.body || typeof r.body.challenge !== 'string') throw r.body || { code: 'NETWORK', message: '无法获取挑战值' };
  return r.body;
}

/** Asks the assistant to sign a fresh challenge; resolves the token string. */
export async function signWithAssistant(expectedUscc) {
  const a = assistant();
  if (!a) throw { code: 'ASSISTANT_MISSING', message: '未检测到证书助手' };
  const { challenge } = await fetchChallenge();
  const req = expectedUscc ? { challenge, expectedUscc } : { challenge };
  const res = await a.authenticate(req);
  if (!res || typeof res.token !== 'string') throw { code: 'ASSISTANT_FAILED', message: '证书助手没有返回登录令牌' };
  return res.token;
}

/** Fills the manual (developer) form's challenge and origin fields. */
export async function fillManualChallenge(challengeInput, originInput) {
  const c = await fetchChallenge();
  challengeInput.value = c.challenge;
  originInput.value = window.location.origin;
}

/** The clerk closed the assistant's consent: not an error, nothing to fix. */
export function cancelledByUser(e) {
  return !!e && e.code === 'USER_CANCELLED';
}

export function assistantErrorText(e) {
  if (e && typeof e.message === 'string') return e.code ? `${e.message}（${e.code}）` : e.message;
  return '证书操作失败';
}

/** Why the assistant gave no token: `cancelled` (information, not an error) when the clerk closed its consent, else its error. */
export function showAssistantFailure(msg, e, cancelled) {
  showMessage(msg, cancelledByUser(e) ? 'info' : 'error', cancelledByUser(e) ? cancelled : assistantErrorText(e));
}

/** Wires parts/manual-token-form.html: 获取新的挑战值 fills in challenge and origin; a submit hands the pasted token to `submit`. */
export function wireManualTokenForm(msg, submit) {
  $('#new-challenge').addEventListener('click', () => { void fillManualChallenge($('#challenge-out'), $('#origin-out')); });
  onSubmit($('#token-form'), msg, () => submit($('#f-token').value.trim()));
}
