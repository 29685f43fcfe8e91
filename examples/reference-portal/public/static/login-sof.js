/* global location, URLSearchParams, WebSocket */
// 证书登录（CA 助手兼容）: a page client written from docs/compat.md §3 (BJCA XTXApp over a loopback
// WebSocket), used the way the CA libraries use it: user list → SOF_Login → export → validity →
// SOF_VerifySignedData of the portal's signature → SOF_SignData of the random → form post.
const params = new URLSearchParams(location.search);
const secure = location.protocol === 'https:';
const port = Number(params.get('bridgePort')) || (secure ? 21061 : 21051);
const BRIDGE = `${secure ? 'wss' : 'ws'}://127.0.0.1:${port}/xtxapp/`;
const ERRORS = {
  CHALLENGE_UNKNOWN: '随机数无效或已被使用，请重新登录', CHALLENGE_EXPIRED: '随机数已过期，请重新登录', CHALLENGE_REUSED: '随机数已被使用',
  BAD_SIGNATURE: '签名验证失败', UNTRUSTED_CHAIN: '证书不是由受信任的 CA 签发', CERT_EXPIRED: '证书已过期', REVOKED: '证书已被吊销',
  CERT_NOT_BOUND: '该数字证书尚未绑定法人账户，请先在“账户设置”中认证统一社会信用代码', USCC_MISMATCH: '证书中的统一社会信用代码与账户不一致',
};
const msg = document.getElementById('sof-msg');
function show(text, kind = 'error') {
  msg.textContent = text;
  msg.className = `msg show ${kind}`;
}

// The XTXApp wire as the CA libraries use it: one socket; each call a JSON text frame with an id
// `i_N`, the interface CLSID, the function name (twice), the page URL, the arguments both as
// param_1…param_n and as `param`, and the login token once SOF_Login handed one out. Answers carry
// `retValue` or `retVal`, typed by the call (bool / number / string); an answer whose id names an
// event (onUsbkeyChange, any case) is the key inserted/removed event.
const XTXAPP_CLSID = '3F367B74-92D9-4C5E-AB93-234F8A91D5E6';
const RETURNS = { SOF_Login: 'bool', SOF_Logout: 'bool', SOF_IsLogin: 'bool', SOF_VerifySignedData: 'bool', SOF_GetLastError: 'number', SOF_GetPinRetryCount: 'number' };
let socket = null;
let opening = null;
let seq = 0;
let token = '';
const pending = new Map();

function typed(func, value) {
  const kind = RETURNS[func] || 'string';
  if (kind === 'bool') return typeof value === 'string' ? value === 'true' : value === undefined ? false : value === true;
  if (kind === 'number') return typeof value === 'string' ? Number(value) : value === undefined ? -1 : value;
  return value === undefined || value === null ? '' : value;
}

function connect() {
  if (socket && socket.readyState === WebSocket.OPEN) return Promise.resolve(socket);
  opening ??= new Promise((resolve, reject) => {
    const ws = new WebSocket(BRIDGE);
    ws.onopen = () => { socket = ws; opening = null; resolve(ws); };
    ws.onerror = () => { opening = null; reject(new Error('未检测到证书助手（或本站不在证书助手的允许名单中）')); };
    ws.onclose = () => {
      if (socket === ws) socket = null;
      token = '';
      for (const p of pending.values()) p.reject(new Error('与证书助手的连接已断开'));
      pending.clear();
    };
    ws.onmessage = (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch { return; }
      if (!m || typeof m !== 'object' || !('call_cmd_id' in m)) return;
      const id = String(m.call_cmd_id);
      const value = 'retValue' in m ? m.retValue : m.retVal;
      if (id.toLowerCase() === 'onusbkeychange') { void listCertificates().catch((e) => show(e.message, 'info')); return; }
      const p = pending.get(id);
      if (!p) return;
      pending.delete(id);
      const ret = typed(p.func, value);
      if (typeof m.token === 'string' && m.token) token = m.token;
      if ((p.func === 'SOF_Login' && !ret) || (p.func === 'SOF_Logout' && ret)) token = '';
      p.resolve(ret);
    };
  });
  return opening;
}

async function call(func, ...args) {
  const ws = await connect();
  const id = `i_${++seq}`;
  const frame = { call_cmd_id: id, CLSID: XTXAPP_CLSID, xtx_func_name: func, func, URL: location.href };
  args.forEach((a, i) => { frame[`param_${i + 1}`] = a; });
  frame.param = args;
  if (token) frame.token = token;
  return new Promise((resolve, reject) => {
    pending.set(id, { func, resolve, reject });
    ws.send(JSON.stringify(frame));
  });
}

const select = document.getElementById('sof-cert');
async function listCertificates() {
  const list = String(await call('SOF_GetUserList'));
  select.replaceChildren();
  for (const entry of list.split('&&&')) {
    const at = entry.indexOf('||');
    if (at <= 0) continue;
    const o = document.createElement('option');
    o.textContent = entry.slice(0, at);
    o.value = entry.slice(at + 2);
    select.append(o);
  }
  if (!select.options.length) show('证书助手中没有可用的证书，请插入 USB Key', 'info');
}

async function login() {
  const certId = select.value;
  if (!certId) return show('请先选择证书');
  const res = await fetch('/api/sof/random', { credentials: 'same-origin' });
  const server = await res.json();
  if (!res.ok) return show(server.message || '无法获取登录随机数');
  // The libraries pass the page's password to SOF_Login; Cert Assistant ignores it and asks in its own window.
  const pin = document.getElementById('sof-pin').value;
  if ((await call('SOF_Login', certId, pin)) !== true) return show(`证书助手登录失败（错误码 ${await call('SOF_GetLastError')}）`);
  const cert = String(await call('SOF_ExportUserCert', certId));
  if (!cert) return show('无法导出证书');
  const notAfter = String(await call('SOF_GetCertInfo', cert, 12));
  const until = /^\d{14}$/.test(notAfter) ? new Date(`${notAfter.slice(0, 4)}-${notAfter.slice(4, 6)}-${notAfter.slice(6, 8)}T00:00:00+08:00`) : null;
  if (until && until.getTime() < Date.now()) return show('证书已过期');
  if ((await call('SOF_VerifySignedData', server.serverCert, server.random, server.serverSignature)) !== true) return show('本站签名验证失败，登录已中止');
  const signature = String(await call('SOF_SignData', certId, server.random));
  if (!signature) return show(`签名失败或已被拒绝（错误码 ${await call('SOF_GetLastError')}）`);
  document.getElementById('UserCert').value = cert;
  document.getElementById('UserSignedData').value = signature;
  document.getElementById('sof-form').submit();
}

document.getElementById('sof-login').addEventListener('click', () => { login().catch((e) => show(e.message)); });
const error = params.get('error');
if (error) show(ERRORS[error] || `登录失败（${error}）`);
listCertificates().catch((e) => show(e.message, 'info'));
