/**
 * The admin's questions `doctor` answers beyond the machine's own setup: is the portal reachable,
 * is this clock off against the portal's, does another program (a CA's own assistant) hold the
 * ports the portal's pages call, do trust anchors expire soon, and the portal guide's own FAQ
 * items with what to do. Pure over what it is handed (probes are arguments); `--html` rendering.
 */
import type { DiagnosticStatus } from '../../../common/ipc-contract.ts';
import http from 'node:http';
import https from 'node:https';
import { LOOPBACK_IPV4 } from '../../../common/portal-origins.ts';
import { BRIDGE_SERVER_NAME } from '../../bridge/types.ts';

/** `code`: stable reason of a warn/fail for programs (BRIDGE_PORT_BUSY, …); message for clerks, fix for admins. */
export interface AdminCheck { id: string; status: DiagnosticStatus; message: string; messageEn: string; fix?: string; fixEn?: string; code?: string }

/** BJCA XTXApp ws/wss and HEBCA's P11 assistant (docs/compat.md). */
export const CA_ASSISTANT_PORTS = [21051, 21061, 17212, 10086, 10087] as const;
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

export interface PortalProbe { status: number; date: string | null }

export interface AdminDiagnoseInput {
  now: Date;
  portalUrl: string;
  /** HEAD/GET of the portal with a short timeout; null when unreachable (offline, DNS, timeout). */
  probePortal: (url: string) => Promise<PortalProbe | null>;
  ports: readonly number[];
  /** true when something accepts connections on 127.0.0.1:port. */
  portInUse: (port: number) => Promise<boolean>;
  /** true when the program on that port is this app's own bridge (it answers as BRIDGE_SERVER_NAME); default: never. */
  portIsOurBridge?: (port: number) => Promise<boolean>;
  clockSkewSeconds: number;
  /** Certificates with their expiry: trust anchors and any store the caller can list. */
  certificates: { store: string; subject: string; notAfter: string }[];
}

export async function adminChecks(input: AdminDiagnoseInput): Promise<AdminCheck[]> {
  const out: AdminCheck[] = [];
  const probe = await input.probePortal(input.portalUrl).catch(() => null);
  if (!probe) {
    out.push({ id: 'portal-reachable', status: 'warn', message: `无法连接政务服务网（${input.portalUrl}）`, messageEn: `cannot reach the portal (${input.portalUrl})`,
      fix: '检查网络、代理和防火墙；内网电脑需要能访问该地址', fixEn: 'check the network, proxy and firewall; the machine must reach this address' });
    out.push({ id: 'clock-skew', status: 'skip', message: '未联网，无法与门户时间比对（已跳过）', messageEn: 'offline: clock not compared with the portal (skipped)' });
  } else {
    out.push({ id: 'portal-reachable', status: 'pass', message: `政务服务网可访问（${input.portalUrl}，HTTP ${probe.status}）`, messageEn: `portal reachable (${input.portalUrl}, HTTP ${probe.status})` });
    const portalTime = probe.date ? Date.parse(probe.date) : NaN;
    if (!Number.isFinite(portalTime)) {
      out.push({ id: 'clock-skew', status: 'skip', message: '门户的响应没有有效的 Date 头，无法比对时间（已跳过）', messageEn: 'the portal sent no usable Date header (skipped)' });
    } else {
      const skew = Math.round((input.now.getTime() - portalTime) / 1000);
      const text = `${skew >= 0 ? '快' : '慢'} ${Math.abs(skew)} 秒`;
      const textEn = `${Math.abs(skew)} s ${skew >= 0 ? 'ahead of' : 'behind'}`;
      if (Math.abs(skew) > input.clockSkewSeconds) {
        out.push({ id: 'clock-skew', status: 'fail', message: `本机时间比门户${text}，超过允许的 ${input.clockSkewSeconds} 秒；登录和证书有效期检查会失败`, messageEn: `this clock is ${textEn} the portal, more than the allowed ${input.clockSkewSeconds} s; logins and validity checks will fail`,
          fix: '校准系统时间（设置 → 时间和语言 → 立即同步，或 w32tm /resync）', fixEn: 'correct the system time (Settings → Time → Sync now, or w32tm /resync)' });
      } else {
        out.push({ id: 'clock-skew', status: 'pass', message: `本机时间与门户相差 ${Math.abs(skew)} 秒`, messageEn: `clock within ${Math.abs(skew)} s of the portal` });
      }
    }
  }

  const held: number[] = [];
  const ours: number[] = [];
  for (const port of input.ports) {
    if (!(await input.portInUse(port).catch(() => false))) continue;
    if (await (input.portIsOurBridge?.(port) ?? Promise.resolve(false)).catch(() => false)) ours.push(port);
    else held.push(port);
  }
  const oursText = ours.length ? { zh: `；端口 ${ours.join('、')} 由证书助手自己应答`, en: `; ports ${ours.join(', ')} are answered by Cert Assistant itself` } : { zh: '', en: '' };
  out.push(held.length
    ? { id: 'ca-assistant-ports', status: 'warn', code: 'BRIDGE_PORT_BUSY',
      // For the clerk: what it means for their login. For the admin (fix): how to find and end the other program.
      message: `端口 ${held.join('、')} 已被其他程序占用（多为 CA 自带的证书助手）；证书助手不会与它争用，在这些端口上登录的网页由该程序应答${oursText.zh}`,
      messageEn: `ports ${held.join(', ')} are held by another program (usually a CA's own assistant); we do not fight it, and pages logging in through those ports talk to that program${oursText.en}`,
      fix: '如需由证书助手应答，请退出或卸载 CA 自带的助手（任务栏图标或“服务”），再重启证书助手；用 netstat -ano | findstr 端口号 查看占用的进程；或用策略 bridgeProtocols 只提供未被占用的协议',
      fixEn: 'to have Cert Assistant answer, quit or uninstall the CA\'s own assistant, then restart; `netstat -ano | findstr <port>` shows the process; or serve only the free protocol with policy bridgeProtocols' }
    : { id: 'ca-assistant-ports', status: 'pass', message: `端口 ${input.ports.join('、')} 未被其他程序占用${oursText.zh}`, messageEn: `ports ${input.ports.join(', ')} are not held by another program${oursText.en}` });

  const soon = input.certificates.filter((c) => {
    const t = Date.parse(c.notAfter);
    return Number.isFinite(t) && t - input.now.getTime() < EXPIRY_WARNING_DAYS * DAY_MS;
  });
  out.push(soon.length
    ? { id: 'certificates-expiring', status: 'warn', message: `${soon.length} 张证书已过期或将在 ${EXPIRY_WARNING_DAYS} 天内到期：${soon.map((c) => `${c.subject}（${c.store}，${c.notAfter.slice(0, 10)}）`).join('；')}`,
      messageEn: `${soon.length} certificate(s) expired or expiring within ${EXPIRY_WARNING_DAYS} days: ${soon.map((c) => `${c.subject} (${c.store}, ${c.notAfter.slice(0, 10)})`).join('; ')}`,
      fix: '到期前联系签发的 CA 办理证书更新；信任根证书请换成 CA 发布的新根', fixEn: 'renew with the issuing CA before expiry; replace trust anchors with the CA\'s new root' }
    : { id: 'certificates-expiring', status: 'pass', message: `没有 ${EXPIRY_WARNING_DAYS} 天内到期的证书（已检查 ${input.certificates.length} 张）`, messageEn: `no certificate expires within ${EXPIRY_WARNING_DAYS} days (${input.certificates.length} checked)` });

  // The portal guide's own FAQ (门户使用指南 八、其他常见问题): what a clerk sees in an outside browser.
  out.push({ id: 'faq-popup-blocker', status: 'pass', message: '门户部分内容以弹出窗口显示；在证书助手内嵌的门户中弹窗在同一窗口打开，不受拦截', messageEn: 'some portal content opens in pop-ups; the embedded portal opens them in place, no blocker involved',
    fix: '在外部浏览器中点击无反应时：关闭“上网助手”/弹窗拦截，或把 *.hbzwfw.gov.cn 加入允许弹窗的网站', fixEn: 'in an outside browser: turn off the pop-up blocker or allow pop-ups for *.hbzwfw.gov.cn' });
  out.push({ id: 'faq-page-incomplete', status: 'pass', message: '网页内容显示不全多因浏览器版本过旧或网页拦截保护；内嵌门户使用内置的新版 Chromium', messageEn: 'incomplete pages come from old browsers or page-blocking protection; the embedded portal uses a current Chromium',
    fix: '外部浏览器请升级到新版（门户要求不低于 IE9），并在拦截保护软件中关闭对本网站的拦截；建议分辨率 1366×768 以上', fixEn: 'update the outside browser (the portal asks for IE9 or later) and exempt the site from page-blocking software; 1366×768 or more' });
  out.push({ id: 'faq-compat-mode', status: 'pass', message: '兼容模式：内嵌门户不需要 IE 兼容模式', messageEn: 'compatibility mode: the embedded portal needs no IE compatibility mode',
    fix: '在 Edge 中若页面要求 IE 兼容模式，请改用证书助手内的“政务服务网”，或由管理员把该站点加入 Edge 的 IE 模式站点列表', fixEn: 'if a page asks for IE mode in Edge, use the portal inside Cert Assistant, or have IT add the site to Edge\'s IE-mode site list' });
  return out;
}

function serverHeaderIs(mod: typeof http | typeof https, host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    // Only the Server header is read: no trust decision rests on this TLS connection (it is our own loopback leaf or a CA's).
    const req = mod.get({ host, port, path: '/', timeout: timeoutMs, ...(mod === https ? { rejectUnauthorized: false } : {}) }, (res) => {
      resolve(res.headers.server === BRIDGE_SERVER_NAME);
      res.destroy();
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** true when 127.0.0.1:port is this app's own bridge (ws, or wss on the BJCA https port). */
export async function probeOurBridge(port: number, timeoutMs: number, host = LOOPBACK_IPV4): Promise<boolean> {
  return (await serverHeaderIs(http, host, port, timeoutMs)) || serverHeaderIs(https, host, port, timeoutMs);
}

/** Fetches the portal with a short timeout; the Date header is what the skew check compares. */
export async function probePortalHttp(url: string, timeoutMs: number): Promise<PortalProbe | null> {
  try {
    const r = await fetch(url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    return { status: r.status, date: r.headers.get('date') };
  } catch {
    return null;
  }
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const LABEL: Record<DiagnosticStatus, [string, string]> = { pass: ['通过', 'pass'], warn: ['注意', 'warn'], fail: ['失败', 'fail'], skip: ['跳过', 'skipped'] };

/** One self-contained page (no external resources, no script): zh-CN first, English after. */
export function renderDoctorHtml(report: { ok: boolean; checks: { id: string; status: DiagnosticStatus; message: string; messageEn?: string; fix?: string; fixEn?: string }[] }, generatedAt: Date): string {
  const rows = (en: boolean) => report.checks.map((c) => `<tr class="${c.status}"><td>${esc(en ? LABEL[c.status][1] : LABEL[c.status][0])}</td><td><code>${esc(c.id)}</code></td><td>${esc(en ? (c.messageEn ?? c.message) : c.message)}</td><td>${esc((en ? (c.fixEn ?? c.fix) : c.fix) ?? '')}</td></tr>`).join('\n');
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>证书助手环境检测 / Cert Assistant diagnostics</title>
<style>body{font-family:system-ui,"Microsoft YaHei",sans-serif;margin:2em;color:#222}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4em;vertical-align:top;text-align:left}tr.fail td:first-child{background:#fdd}tr.warn td:first-child{background:#ffe9b3}tr.pass td:first-child{background:#dfd}tr.skip td:first-child{background:#eee}</style>
</head>
<body>
<h1>证书助手环境检测</h1>
<p>生成时间：${esc(generatedAt.toISOString())}。结论：${report.ok ? '未发现阻止使用的问题' : '存在必须处理的问题'}。</p>
<table><thead><tr><th>结果</th><th>检查项</th><th>说明</th><th>怎么办</th></tr></thead>
<tbody>
${rows(false)}
</tbody></table>
<h1 lang="en">Cert Assistant diagnostics</h1>
<p lang="en">Generated ${esc(generatedAt.toISOString())}. Result: ${report.ok ? 'no blocking problem found' : 'some checks failed'}.</p>
<table lang="en"><thead><tr><th>Result</th><th>Check</th><th>Details</th><th>What to do</th></tr></thead>
<tbody>
${rows(true)}
</tbody></table>
</body>
</html>
`;
}
