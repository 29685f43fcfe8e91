/**
 * `cert-assistant uscc [--json] CODE...` — validate and decode 统一社会信用代码.
 * JSON: one UsccAnalysis per input, in order. Human: a zh-CN report that also recognises
 * organisation codes, 15-digit registration numbers and (masked) resident ID numbers.
 */
import { EXIT_FAIL, EXIT_OK, EXIT_USAGE, parseCommand, writeJson, type CliIO } from '../io.ts';
import { analyzeUsccDetailed, type UsccDetails } from '../../pki/uscc.ts';
import { classifyIdentifier, type ClassifiedIdentifier } from '../../pki/identifiers.ts';
import { regionDisplayName } from '../../pki/regions.ts';

const USAGE = `用法 / Usage: cert-assistant uscc [--json] 代码 [代码 ...]
  校验并解析统一社会信用代码（GB 32100-2015）；也识别组织机构代码、15 位注册号和身份证号码。
  Validate and decode Unified Social Credit Codes; other identifier kinds are recognised too.
选项 / Options:
  --json     输出 JSON 数组，每个输入一个对象 / print a JSON array, one object per input
  -h, --help 显示帮助 / show this help
退出码 / Exit: 0 全部有效 / all valid, 1 存在无效代码 / some invalid, 2 用法错误 / usage error
`;

export async function run(args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommand(args, io, USAGE, { json: { type: 'boolean' } }, true);
  if (typeof parsed === 'number') return parsed;
  const codes = parsed.positionals;
  if (codes.length === 0) {
    io.stderr.write(`缺少要校验的代码 / no code given\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const results = codes.map((c) => analyzeUsccDetailed(c));
  const allValid = results.every((r) => r.analysis.valid);
  if (parsed.values.json) {
    writeJson(io.stdout, results.map((r) => r.analysis));
  } else {
    const now = io.now();
    const blocks = codes.map((c, i) => humanReport(results[i]!, classifyIdentifier(c, now)));
    io.stdout.write(blocks.join('\n') + '\n');
  }
  return allValid ? EXIT_OK : EXIT_FAIL;
}

function humanReport(d: UsccDetails, id: ClassifiedIdentifier): string {
  const a = d.analysis;
  const lines: string[] = [];
  if (id.kind !== 'uscc' && id.kind !== 'unknown') {
    // Not a USCC: describe what it is instead (ID numbers masked).
    const label = { orgCode: '组织机构代码', regNumber15: '15 位工商注册号', residentId: '居民身份证号码' }[id.kind];
    lines.push(`${id.display}  ✗ 不是统一社会信用代码，而是${label}（${id.valid ? '校验通过' : '校验未通过'}）`);
    for (const f of id.facts) lines.push(`  · ${f}`);
    for (const w of id.warnings) lines.push(`  ! ${w}`);
    return lines.join('\n');
  }
  const shown = id.kind === 'uscc' && id.alsoValidAs.includes('residentId') ? id.display : a.normalized || a.input;
  lines.push(`${shown}  ${a.valid ? '✓ 有效的统一社会信用代码' : '✗ 无效'}`);
  if (a.checkChar !== null || a.expectedCheckChar !== null) {
    lines.push(`  校验码：${a.checkChar ?? '（缺）'}${a.expectedCheckChar && a.expectedCheckChar !== a.checkChar ? `，应为 ${a.expectedCheckChar}` : ''}`);
  }
  if (a.registrationAuthority) lines.push(`  登记管理部门：${a.registrationAuthority.code} ${a.registrationAuthority.name ?? '（未知）'}`);
  if (a.orgType) lines.push(`  机构类别：${a.orgType.code} ${a.orgType.name ?? '（未知）'}；法人类型：${a.orgType.legalPersonKind}`);
  if (a.region) {
    const name = regionDisplayName(a.region);
    lines.push(`  登记机关所在地：${a.region.code} ${name ?? '（未知）'}${a.region.retired ? '（已撤销的旧区划）' : ''}`);
    for (const n of d.region?.notes ?? []) lines.push(`  · ${n}`);
  }
  if (a.orgCode) lines.push(`  组织机构代码：${a.orgCode.value.slice(0, 8)}-${a.orgCode.value.slice(8)}（${a.orgCode.valid ? '校验通过' : '校验未通过'}）`);
  for (const w of a.warnings) lines.push(`  ! ${w}`);
  return lines.join('\n');
}
