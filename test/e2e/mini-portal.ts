/**
 * A minimal relying party for the e2e specs: issues a challenge, lets the page call
 * `certAssistant.authenticate`, and verifies the token with main/login/verify.ts.
 */
import http from 'node:http';
import { MemoryChallengeStore, verifyLoginToken, type VerifyResult } from '../../main/login/verify.ts';
import { listen, type Served } from './host.ts';

const PAGE = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>测试门户</title></head>
<body style="font-family:sans-serif;padding:24px">
<h1>测试门户 · 法人登录</h1>
<button id="login">数字证书登录</button>
<pre id="result"></pre><pre id="error"></pre>
<script>
document.getElementById('login').onclick = async () => {
  const out = document.getElementById('result'), err = document.getElementById('error');
  out.textContent = ''; err.textContent = '';
  try {
    const { challenge } = await (await fetch('/challenge')).json();
    const params = new URLSearchParams(location.search);
    const req = { challenge };
    if (params.get('uscc')) req.expectedUscc = params.get('uscc');
    const { token } = await window.certAssistant.authenticate(req);
    const r = await (await fetch('/verify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, challenge }) })).json();
    out.textContent = JSON.stringify(r);
  } catch (e) {
    err.textContent = JSON.stringify({ code: e && e.code, message: e && e.message });
  }
};
</script></body></html>`;

export interface MiniPortal extends Served {
  verified: VerifyResult[];
}

export async function startMiniPortal(opts: { trustAnchors: Uint8Array[]; framePage?: string }): Promise<MiniPortal> {
  const challenges = new MemoryChallengeStore();
  const verified: VerifyResult[] = [];
  let origin = '';
  const server = http.createServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && u.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (req.method === 'GET' && u.pathname === '/with-frame' && opts.framePage) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><meta charset="utf-8"><h1>门户</h1><iframe id="f" src="${opts.framePage}" width="600" height="200"></iframe>`);
    } else if (req.method === 'GET' && u.pathname === '/challenge') {
      const { challenge } = await challenges.issue(new Date());
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ challenge }));
    } else if (req.method === 'POST' && u.pathname === '/verify') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const { token, challenge } = JSON.parse(body) as { token: string; challenge: string };
      const r = await verifyLoginToken(token, { origin, trustAnchors: opts.trustAnchors, challengeStore: challenges, challenge });
      verified.push(r);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(r));
    } else {
      res.writeHead(404).end();
    }
  });
  const served = await listen(server);
  origin = served.origin;
  return { ...served, verified };
}
