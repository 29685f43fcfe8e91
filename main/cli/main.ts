import { AssistantError, toErrorInfo } from '../errors.ts';
import { EXIT_FAIL, EXIT_USAGE, type CliCommand, type CliIO } from './io.ts';

/** Each command lives in its own module, loaded only when called (fast start, clear ownership). */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run: CliCommand }> }> = {
  uscc: { summary: '校验并解析统一社会信用代码 / validate and decode USCCs', load: () => import('./commands/uscc.ts') },
  inspect: { summary: '检查证书文件能否用于登录 / inspect certificate files', load: () => import('./commands/inspect.ts') },
  tokens: { summary: '列出 USB Key 及其中的证书 / list USB keys and store certificates', load: () => import('./commands/tokens.ts') },
  login: { summary: '对门户挑战签名，生成登录令牌 / sign a login challenge', load: () => import('./commands/login.ts') },
  verify: { summary: '验证登录令牌（供门户使用）/ verify a login token', load: () => import('./commands/verify.ts') },
  guide: { summary: '离线办事指南：站点、搜索、问答 / offline service guide', load: () => import('./commands/guide.ts') },
  bridge: { summary: '为门户原有登录页提供 CA 助手协议 / serve the CA assistants\' protocols', load: () => import('./commands/bridge.ts') },
  'bridge-cert': { summary: '签发/删除桥接服务的本机证书（安装程序用）/ the bridge\'s localhost certificate (installers)', load: () => import('./commands/bridge-cert.ts') },
  log: { summary: '签名记录：查看、导出、防篡改检查 / the signature log', load: () => import('./commands/log.ts') },
  policy: { summary: '显示生效的策略及其来源 / show the effective policy and its sources', load: () => import('./commands/policy.ts') },
  doctor: { summary: '诊断本机环境 / diagnose this machine', load: () => import('./commands/doctor.ts') },
};

function usage(): string {
  const lines = ['用法 / Usage: cert-assistant <命令> [选项]', '', '命令 / Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(9)} ${c.summary}`);
  lines.push('', '每个命令的帮助 / per-command help: cert-assistant <命令> --help');
  return lines.join('\n') + '\n';
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(usage());
    return name === undefined ? EXIT_USAGE : 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.stderr.write(`未知命令 / unknown command: ${name}\n\n` + usage());
    return EXIT_USAGE;
  }
  try {
    const mod = await cmd.load();
    return await mod.run(rest, io);
  } catch (e) {
    const info = toErrorInfo(e);
    io.stderr.write(`错误 [${info.code}]: ${info.message}\n`);
    if (!(e instanceof AssistantError) && io.env['CERT_ASSISTANT_DEBUG']) io.stderr.write(String((e as Error)?.stack) + '\n');
    return info.code === 'USAGE' ? EXIT_USAGE : EXIT_FAIL;
  }
}

export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd(), now: () => new Date() };
}
