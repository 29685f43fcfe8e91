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

let socket = null;
let seq = 0;
const pending = new Map();
function connect() {
  if (socket && socket.readyState === WebSocket.OPEN) return Promise.resolve(socket);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(BRIDGE);
    ws.onopen = () => { socket = ws; resolve(ws); };
    ws.onerror = () => reject(new Error('未检测到证书助手（或本站不在证书助手的允许名单中）'));
    ws.onclose = () => { socket = null; for (const p of pending.values()) p.reject(new Error('与证书助手的连接已断开')); pending.clear(); };
    ws.onmessage = (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch { return; }
      const id = String(m.call_cmd_id ?? '');
      if (id.toLowerCase() === 'onusbkeychange') { void listCertificates(); return; }
      const p = pending.get(id);
      if (!p) return;
      pending.delete(id);
      p.resolve(m.retVal !== undefined ? m.retVal : m.retValue);
    };
  });
}
async function call(func, ...args) {
  const ws = await connect();
  const id = `i_${++seq}`;
  const frame = { call_cmd_id: id, xtx_func_name: func, func, URL: location.href, param: args };
  args.forEach((a, i) => { frame[`param_${i + 1}`] = a; });
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
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
  if ((await call('SOF_Login', certId, '')) !== true) return show(`证书助手登录失败（错误码 ${await call('SOF_GetLastError')}）`);
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
