// Shared by every page: the JSON API client (Origin is sent by the browser; we add the CSRF header)
// and the header's signed-in state. No inline scripts anywhere (CSP script-src 'self').
/* global FormData, location, HTMLElement */

export const CSRF_HEADER = { 'X-Requested-With': 'cert-portal' };

/** Calls the portal API; resolves { status, body }. Never throws on HTTP errors. */
export async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { ...CSRF_HEADER } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  try {
    const res = await fetch(path, init);
    let data = null;
    try { data = await res.json(); } catch { data = null; }
    return { status: res.status, body: data };
  } catch {
    return { status: 0, body: { code: 'NETWORK', message: '无法连接到服务器，请检查网络后重试' } };
  }
}

export function $(sel) { return document.querySelector(sel); }

export function showMessage(el, kind, text) {
  if (!el) return;
  el.className = `msg show ${kind}`;
  el.textContent = text;
}

export function clearMessage(el) {
  if (!el) return;
  el.className = 'msg';
  el.textContent = '';
}

/** On each submit of `form`: the page stays, `msg` is cleared, then `handle()` runs. */
export function onSubmit(form, msg, handle) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearMessage(msg);
    await handle();
  });
}

export function formObject(form) {
  const out = {};
  for (const [k, v] of new FormData(form).entries()) out[k] = typeof v === 'string' ? v : '';
  return out;
}

export function errorText(body) {
  if (body && typeof body.message === 'string') return body.code ? `${body.message}（${body.code}）` : body.message;
  return '操作失败，请稍后重试';
}

/** Fills the header's user area; resolves the signed-in account or null. */
export async function renderUserArea() {
  const area = $('#user-area');
  const r = await api('GET', '/api/session');
  const account = r.status === 200 && r.body ? r.body.account : null;
  if (!area) return account;
  area.textContent = '';
  if (account) {
    const name = document.createElement('a');
    name.href = '/account.html';
    name.textContent = `${account.orgName}（${account.username}）`;
    const out = document.createElement('button');
    out.type = 'button';
    out.textContent = '退出';
    out.addEventListener('click', async () => {
      await api('POST', '/api/session/logout', {});
      location.href = '/';
    });
    area.append(name, out);
  } else {
    const reg = document.createElement('a');
    reg.href = '/register.html';
    reg.textContent = '注册';
    const login = document.createElement('a');
    login.href = '/login.html';
    login.textContent = '登录';
    area.append(reg, login);
  }
  for (const a of document.querySelectorAll('nav.main a')) {
    if (a instanceof HTMLElement && a.getAttribute('href') === location.pathname) a.setAttribute('aria-current', 'page');
  }
  return account;
}
