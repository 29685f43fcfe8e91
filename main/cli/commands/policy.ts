import { resolve } from 'node:path';
import { AssistantError, type ErrorInfo } from '../../errors.ts';
import { loadPolicy, type Policy, type PolicyResult } from '../../policy/index.ts';
import { EXIT_FAIL, EXIT_OK, parseCommand, usageError, writeJson, type CliIO } from '../io.ts';

const USAGE = `用法 / Usage: cert-assistant policy show [--json] [--policy FILE]

显示本机生效的策略，以及每一项来自哪里：registry:HKLM（组策略·计算机）、file:…（本机策略文件）、
registry:HKCU（组策略·用户）、user（用户设置）、default（默认值）。有无效的策略文件或注册表值时退出码为 1。
Shows the effective policy and where each value comes from: registry:HKLM (machine Group Policy),
file:… (machine policy file), registry:HKCU (user Group Policy), user (user settings), default.
Exits 1 when a policy file or a registry value is invalid.
  --json          JSON 输出 / JSON output
  --policy FILE   用该文件代替本机策略文件（部署前检查）/ read FILE in place of the machine policy file
`;

/** Problems that mean an administrator's policy did not apply as written (warnings like ignored user keys do not). */
const FAILING = new Set(['POLICY_INVALID', 'POLICY_UNREADABLE', 'POLICY_UNSAFE', 'POLICY_NOT_FOUND']);

const SOURCE_ZH: Record<string, string> = { 'registry:HKLM': '组策略（计算机）', 'registry:HKCU': '组策略（用户）', user: '用户设置', default: '默认值' };

function sourceText(s: string): string {
  if (s.startsWith('file:')) return `策略文件 / ${s}`;
  return `${SOURCE_ZH[s] ?? s} / ${s}`;
}

function valueText(v: unknown): string {
  if (Array.isArray(v)) return v.length === 0 ? '[]' : v.map((x) => (typeof x === 'object' && x !== null ? String((x as { origin?: unknown }).origin ?? JSON.stringify(x)) : String(x))).join(', ');
  if (typeof v === 'string' && v.includes('\n')) return `${v.split('\n')[0]}…`;
  return JSON.stringify(v);
}

export async function run(args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommand(args, io, USAGE, { json: { type: 'boolean' }, policy: { type: 'string' } }, true);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || positionals[0] !== 'show') {
    return usageError(io, '须为 policy show / expected: policy show', USAGE);
  }
  const machinePath = values.policy !== undefined ? resolve(io.cwd, values.policy) : undefined;
  const result: PolicyResult = loadPolicy({ env: io.env, ...(machinePath !== undefined ? { machinePath } : {}) });
  const problems: ErrorInfo[] = [...result.problems];
  if (machinePath !== undefined && result.sources.find((s) => s.layer === 'machine')?.status === 'absent') {
    // Asked to check this file: its absence is an error, not "no policy".
    problems.unshift(new AssistantError('POLICY_NOT_FOUND', `找不到策略文件：${machinePath}`, { en: `policy file not found: ${machinePath}`, details: { file: machinePath } }).toJSON());
  }
  const ok = !problems.some((p) => FAILING.has(p.code));
  const keys = Object.keys(result.policy) as Array<keyof Policy>;
  if (values.json) {
    writeJson(io.stdout, {
      ok,
      policy: result.policy,
      values: Object.fromEntries(keys.map((k) => [k, { value: result.policy[k], source: result.valueSources[k] }])),
      sources: result.sources,
      problems,
    });
  } else {
    io.stdout.write('生效的策略 / effective policy\n');
    const width = Math.max(...keys.map((k) => k.length));
    for (const k of keys) io.stdout.write(`  ${k.padEnd(width)}  ${valueText(result.policy[k])}  ← ${sourceText(result.valueSources[k])}\n`);
    io.stdout.write('\n来源 / sources\n');
    for (const s of result.sources) {
      io.stdout.write(`  ${s.layer.padEnd(16)} ${s.status.padEnd(10)} ${s.path ?? ''}${s.keys?.length ? `  (${s.keys.join(', ')})` : ''}\n`);
    }
    if (problems.length) {
      io.stdout.write('\n问题 / problems\n');
      for (const p of problems) io.stdout.write(`  ${FAILING.has(p.code) ? '✘' : '!'} [${p.code}] ${p.message}\n`);
    }
  }
  if (!ok) {
    const first = problems.find((p) => FAILING.has(p.code))!;
    io.stderr.write(`错误 [${first.code}]: ${first.message}\n`);
    return EXIT_FAIL;
  }
  return EXIT_OK;
}
