// 账户设置: 实名信息 (masked) and 认证统一社会信用代码 (bind the certificate).
import { $, api, clearMessage, errorText, renderUserArea, showMessage } from './common.js';
import { assistant, showAssistantFailure, signWithAssistant, wireManualTokenForm } from './certificate-flow.js';

const msg = $('#bind-msg');

function renderAccount(account) {
  const info = $('#account-info');
  info.textContent = '';
  const rows = [
    ['用户名', account.username], ['单位/机构/企业名称', account.orgName], ['统一社会信用代码', account.uscc],
    ['法人类别', account.legalPersonKind || '—'], ['单位/机构/企业负责人', account.leaderName], ['负责人身份证号码', account.leaderIdNumber],
    ['法人姓名', account.legalPersonName], ['法人身份证号', account.legalPersonIdNumber],
  ];
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    info.append(dt, dd);
  }
  const body = $('#cert-table tbody');
  body.textContent = '';
  for (const c of account.certificates) {
    const tr = document.createElement('tr');
    const when = (iso) => new Date(iso).toLocaleString('zh-CN', { hour12: false });
    for (const [v, cls] of [[c.subject, ''], [c.fingerprint, 'fingerprint'], [when(c.notAfter), 'date'], [when(c.boundAt), 'date']]) {
      const td = document.createElement('td');
      td.textContent = v;
      if (cls) td.className = cls;
      tr.append(td);
    }
    body.append(tr);
  }
  $('#cert-table').hidden = account.certificates.length === 0;
  $('#no-certs').hidden = account.certificates.length !== 0;
}

async function submitBinding(token) {
  const r = await api('POST', '/api/account/certificate', { token });
  if (r.status === 200) {
    showMessage(msg, 'ok', `绑定成功：统一社会信用代码 ${r.body.uscc}`);
    const s = await api('GET', '/api/session');
    if (s.status === 200) renderAccount(s.body.account);
    return;
  }
  showMessage(msg, 'error', errorText(r.body));
}

const account = await renderUserArea();
if (!account) {
  $('#need-login').hidden = false;
} else {
  const s = await api('GET', '/api/session');
  $('#account-card').hidden = false;
  if (s.status === 200) renderAccount(s.body.account);
  if (assistant()) {
    $('#bind-assistant').hidden = false;
    $('#bind-button').addEventListener('click', async () => {
      clearMessage(msg);
      try {
        await submitBinding(await signWithAssistant(account.uscc));
      } catch (e) {
        showAssistantFailure(msg, e, '已取消绑定');
      }
    });
  } else {
    $('#bind-missing').hidden = false;
  }
  wireManualTokenForm(msg, submitBinding);
}
