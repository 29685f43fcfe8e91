// 法人用户注册: posts the guide's fields to POST /api/accounts.
/* global location */
import { $, api, errorText, formObject, onSubmit, renderUserArea, showMessage } from './common.js';

void renderUserArea();
const form = $('#register-form');
const msg = $('#register-msg');
onSubmit(form, msg, async () => {
  const data = formObject(form);
  if (!$('#agree').checked) return showMessage(msg, 'error', '请阅读并同意《河北政务服务网注册协议》');
  if (data.password !== data.password2) return showMessage(msg, 'error', '两次输入的密码不一致');
  delete data.password2;
  delete data.agree;
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  const r = await api('POST', '/api/accounts', data);
  button.disabled = false;
  if (r.status === 201) {
    showMessage(msg, 'ok', '注册成功，正在前往登录页面…');
    setTimeout(() => { location.href = '/login.html'; }, 800);
    return;
  }
  showMessage(msg, 'error', errorText(r.body));
  const field = r.body && r.body.field ? form.querySelector(`[name="${r.body.field}"]`) : null;
  if (field) field.focus();
});
