// 用户名密码登录.
/* global location */
import { $, api, errorText, formObject, onSubmit, renderUserArea, showMessage } from './common.js';

void renderUserArea();
const form = $('#login-form');
const msg = $('#login-msg');
onSubmit(form, msg, async () => {
  const { username, password } = formObject(form);
  const r = await api('POST', '/api/session/password', { username, password });
  if (r.status === 200) {
    location.href = '/account.html';
    return;
  }
  showMessage(msg, 'error', errorText(r.body));
});
