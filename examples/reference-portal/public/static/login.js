// 用户名密码登录.
/* global location */
import { $, api, clearMessage, errorText, formObject, renderUserArea, showMessage } from './common.js';

void renderUserArea();
const form = $('#login-form');
const msg = $('#login-msg');
form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  clearMessage(msg);
  const { username, password } = formObject(form);
  const r = await api('POST', '/api/session/password', { username, password });
  if (r.status === 200) {
    location.href = '/account.html';
    return;
  }
  showMessage(msg, 'error', errorText(r.body));
});
