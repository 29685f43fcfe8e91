/**
 * The page side of the e2e bridge tests: a portal page whose script talks to the bridge the way
 * the CA libraries' own page scripts do, served to Chromium.
 */
import { READ_BJCA_ANSWER_SOURCE } from './bjca-returns.ts';

/**
 * Page-script source of `bjca(url)`: opens XTXApp's socket at `url` and resolves to
 * `call(func, ...params)`, which sends one call frame and resolves to the answer's retVal, read as
 * most deployed BJCA page libraries read it (test/support/bjca-returns.ts).
 */
export const BJCA_PAGE_CLIENT = `${READ_BJCA_ANSWER_SOURCE}function bjca(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url); let n = 0; const pend = {};
    ws.onmessage = (e) => { const m = JSON.parse(e.data); const p = pend[m.call_cmd_id]; if (p) { delete pend[m.call_cmd_id]; p(readBjcaAnswer(p.func, m.retVal)); } };
    ws.onerror = () => reject(new Error('socket error'));
    ws.onopen = () => resolve((f, ...a) => new Promise((r) => { const id = 'i_' + (++n); r.func = f; pend[id] = r; const fr = { call_cmd_id: id, xtx_func_name: f, URL: location.href };
      a.forEach((v, i) => fr['param_' + (i + 1)] = v); ws.send(JSON.stringify(fr)); }));
  });
}
`;

/** A portal page ("证书登录（CA 助手兼容）") whose script is `bjca` followed by `script` (the test's own functions). */
export function caCompatPage(script: string): string {
  return `<!doctype html><meta charset="utf-8"><title>CA 兼容登录</title><script>\n${BJCA_PAGE_CLIENT}${script}</script><body>证书登录（CA 助手兼容）</body>`;
}
