/**
 * `cert-assistant inspect [--json] [--password-stdin] [--trust PATH]... FILE...` — can these
 * certificate files log in? Identity (USCC), CA profile and every check, per certificate.
 * A bad file is reported in its own entry; the other files still print.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AssistantError, toErrorInfo } from '../../errors.ts';
import { loadCaProfiles } from '../../pki/ca-profiles.ts';
import { checkResidentId, maskResidentId } from '../../pki/resident-id.ts';
import type { ParsedCertificate } from '../../pki/certificate.ts';
import { dnLabelZh } from '../../pki/oids.ts';
import { formatDateZh, inspectCertificate, loginVerdict, type CertificateReport, type CheckStatus, type LoginVerdict } from '../../pki/inspect.ts';
import { readCertificatePath } from '../../pki/read.ts';
import { loadTrustAnchors } from '../../pki/trust.ts';
import { analyzeUscc } from '../../pki/uscc.ts';
import { loadPolicy, type Policy } from '../../policy/index.ts';
import { certificateRevocation, prepareRevocationCrls, revocationSettingsFromPolicy, withRevocation, type CertificateRevocation, type RevocationMode, type RevocationSettings } from '../../login/certificate-revocation.ts';
import type { PreparedCrl } from '../../login/revocation.ts';
import { EXIT_FAIL, EXIT_OK, EXIT_USAGE, parseCommand, readSecretLine, writeJson, type CliIO } from '../io.ts';

const USAGE = `用法 / Usage: cert-assistant inspect [--json] [--password-stdin] [--trust 路径]... [--crl 文件]... [--ocsp] [--ocsp-url URL] [--fetch-crl] [--require-revocation] 文件...
  检查证书文件（PEM、DER、P7B、PFX/P12）能否用于河北政务服务网法人登录：
  有效期、密钥用法、证书链、自签名、弱算法、统一社会信用代码。
  Inspect certificate files: validity, key usage, chain, self-signed, weak algorithms, USCC.
选项 / Options:
  --json             输出 JSON / print JSON
  --password-stdin   从标准输入第一行读取 PFX 密码 / read the PFX password from the first line of stdin
  --trust 路径        额外信任的根证书文件或目录，可重复 / extra trust anchor file or folder (repeatable)
  --policy 文件       机器策略文件（默认系统位置），其 trustAnchorDirs 一并信任、revocationMode 等吊销设置一并生效 /
                     machine policy file (default: the system location); its trustAnchorDirs are trusted
                     and its revocation settings (revocationMode, revocationCrls, revocationNetwork) apply
  --crl 文件          证书吊销列表（DER/PEM，可重复），逐级检查吊销状态 / CRL file (repeatable): check every link
  --ocsp             询问证书中的 OCSP 服务（5 秒超时）/ ask the OCSP responders named in the certificates
  --ocsp-url URL     使用此 OCSP 服务 / ask this OCSP responder instead
  --fetch-crl        从证书的 CRL 分发点下载，并询问 OCSP / fetch CRLs from the distribution points, and ask OCSP
  --require-revocation 每一级都须有确定的吊销状态，否则结论为“无法确认” / every link needs a definite status,
                     otherwise the verdict is "cannot confirm"
  -h, --help         显示帮助 / show this help
退出码 / Exit: 0 全部检查通过（允许警告）/ all checks pass (warnings ok), 1 有检查失败或文件无效 / a check
  failed or a file is bad, 2 用法错误 / usage error
`;

export interface InspectFileEntry {
  file: string;
  error?: { code: string; message: string };
  certificates: JsonCertificate[];
}

type JsonCertificate = Omit<CertificateReport, 'checks'> & {
  checks: { id: string; status: CheckStatus; message: string; code?: string; detail?: string }[];
  /** Per link of the verified path, when revocation checking is on (policy revocationMode or the flags). */
  revocation?: CertificateRevocation;
  verdict?: { verdict: LoginVerdict; message: string };
};

export async function run(args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommand(args, io, USAGE, {
    json: { type: 'boolean' },
    'password-stdin': { type: 'boolean' },
    trust: { type: 'string', multiple: true },
    policy: { type: 'string' },
    crl: { type: 'string', multiple: true },
    ocsp: { type: 'boolean' },
    'ocsp-url': { type: 'string' },
    'fetch-crl': { type: 'boolean' },
    'require-revocation': { type: 'boolean' },
  }, true);
  if (typeof parsed === 'number') return parsed;
  const files = parsed.positionals;
  const ocspUrl = parsed.values['ocsp-url'];
  if (ocspUrl !== undefined && !/^https?:\/\/\S+$/i.test(ocspUrl)) {
    io.stderr.write(`用法错误 / usage error: --ocsp-url 须为 http(s) 地址 / --ocsp-url must be an http(s) URL\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (files.length === 0) {
    io.stderr.write(`缺少要检查的文件 / no file given\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const password = parsed.values['password-stdin'] ? await readSecretLine(io.stdin) : undefined;
  // Trust: bundled certs/trust/, the machine policy's trustAnchorDirs (admin-only), then --trust.
  const policy = loadPolicy({ env: io.env, userPath: null, ...(parsed.values.policy !== undefined ? { machinePath: resolve(io.cwd, parsed.values.policy) } : {}) }).policy;
  const policyDirs = policy.trustAnchorDirs.filter((d) => existsSync(d));
  const anchors = loadTrustAnchors([...policyDirs, ...(parsed.values.trust ?? []).map((p) => resolve(io.cwd, p))]);
  const profiles = loadCaProfiles();
  const now = io.now();
  let revocation: { settings: RevocationSettings; prepared: PreparedCrl[] };
  try {
    revocation = revocationFor(parsed.values, policy, io);
  } catch (e) {
    const info = toErrorInfo(e);
    io.stderr.write(`错误 [${info.code}]: ${info.message}\n`);
    return EXIT_FAIL;
  }

  const entries: InspectFileEntry[] = [];
  const caFlags = new Map<InspectFileEntry, boolean[]>();
  let failed = false;
  // Read every file first: CA certificates given in other files (`inspect leaf.cer ca.cer`) help build each chain.
  const read: { file: string; contents?: Awaited<ReturnType<typeof readCertificatePath>>; error?: unknown }[] = [];
  for (const file of files) {
    try {
      read.push({ file, contents: await readCertificatePath(resolve(io.cwd, file), password === undefined ? { decryptKeys: false } : { password, decryptKeys: false }) });
    } catch (e) {
      read.push({ file, error: e });
    }
  }
  const givenCas = read.flatMap((r) => r.contents?.certificates.filter((c) => c.isCA) ?? []);
  const anyEndEntity = read.some((r) => r.contents?.certificates.some((c) => !c.isCA));
  for (const { file, contents, error } of read) {
    try {
      if (!contents) throw error;
      const intermediates = [...contents.certificates, ...givenCas.filter((c) => !contents.certificates.includes(c))];
      const certificates: JsonCertificate[] = [];
      for (const c of contents.certificates) {
        const ctx = { now, anchors, intermediates, profiles };
        const report = withRevocation(inspectCertificate(c, ctx), await certificateRevocation(c, ctx, revocation.settings, revocation.prepared));
        certificates.push(toJson(report, !c.isCA));
      }
      if (certificates.length === 0) {
        entries.push({ file, error: { code: 'NO_CERTIFICATE', message: '文件中没有证书（只有私钥）' }, certificates: [] });
        failed = true;
        continue;
      }
      // CA certificates that ride along in a PFX/P7B are context: the file stands or falls with its end-entity certificates.
      // So are files of CA certificates only, given beside end-entity ones.
      const leaves = contents.certificates.some((c) => !c.isCA) ? certificates.filter((_, i) => !contents.certificates[i]!.isCA) : anyEndEntity ? [] : certificates;
      if (leaves.some((c) => c.checks.some((k) => k.status === 'fail'))) failed = true;
      const entry: InspectFileEntry = { file, certificates };
      caFlags.set(entry, contents.certificates.map((c) => c.isCA));
      entries.push(entry);
    } catch (e) {
      const info = toErrorInfo(e);
      entries.push({ file, error: { code: info.code, message: info.message }, certificates: [] });
      failed = true;
    }
  }
  if (parsed.values.json) writeJson(io.stdout, { files: entries });
  else io.stdout.write(humanReport(entries, caFlags, now));
  return failed ? EXIT_FAIL : EXIT_OK;
}

function toJson(r: CertificateReport & { revocation?: CertificateRevocation }, endEntity: boolean): JsonCertificate {
  const checks = r.checks.map((c) => ({ id: c.id, status: c.status, message: c.message, ...(c.code !== undefined ? { code: c.code } : {}), ...(c.detail !== undefined ? { detail: c.detail } : {}) }));
  // The one-line answer the app shows (可以 / 无法确认 / 不能), for end-entity certificates.
  const verdict = endEntity ? loginVerdict(r) : null;
  return { ...r, checks, ...(verdict ? { verdict: { verdict: verdict.verdict, message: verdict.message } } : {}) };
}

type RevocationFlags = { crl?: string[]; ocsp?: boolean; 'ocsp-url'?: string; 'fetch-crl'?: boolean; 'require-revocation'?: boolean };
const MODE_RANK: Record<RevocationMode, number> = { off: 0, prefer: 1, require: 2 };

/**
 * The policy's revocation settings, strengthened by the flags: any source flag turns checking on
 * (prefer), --require-revocation demands it; the flags' sources add to the policy's.
 */
function revocationFor(flags: RevocationFlags, policy: Policy, io: CliIO): { settings: RevocationSettings; prepared: PreparedCrl[] } {
  const fromPolicy = revocationSettingsFromPolicy(policy, { onSkipped: (file, why) => io.stderr.write(`吊销列表已跳过 / CRL skipped: ${file} (${why})\n`) });
  const flagSources = (flags.crl?.length ?? 0) > 0 || flags.ocsp === true || flags['ocsp-url'] !== undefined || flags['fetch-crl'] === true;
  const flagMode: RevocationMode = flags['require-revocation'] ? 'require' : flagSources ? 'prefer' : 'off';
  const mode = MODE_RANK[flagMode] > MODE_RANK[policy.revocationMode] ? flagMode : policy.revocationMode;
  const flagCrls = (flags.crl ?? []).map((f) => {
    try {
      return new Uint8Array(readFileSync(resolve(io.cwd, f)));
    } catch {
      throw new AssistantError('FILE_UNREADABLE', `无法读取吊销列表文件：${f}`, { en: `cannot read CRL file: ${f}` });
    }
  });
  const prepared = [...fromPolicy.prepared, ...prepareRevocationCrls(flagCrls)];
  const policyOn = policy.revocationMode !== 'off';
  const ocspUrl = flags['ocsp-url'];
  const ocsp = ocspUrl !== undefined ? { responderUrl: ocspUrl } : flags.ocsp || flags['fetch-crl'] || (policyOn && fromPolicy.settings.ocsp) ? {} : false;
  return {
    settings: { mode, crls: [...fromPolicy.settings.crls, ...flagCrls], ocsp, fetchCrls: flags['fetch-crl'] === true || (policyOn && fromPolicy.settings.fetchCrls) },
    prepared,
  };
}

/** Resident ID numbers in DN text (HEBCA puts them in a subject attribute, others in CN) are masked for people. */
function maskResidentIds(text: string, now: Date): string {
  return text.replace(/(?<!\d)\d{17}[\dXx](?![\dA-Za-z])/g, (m) => {
    const c = checkResidentId(m.toUpperCase(), now);
    return c.provinceOk && c.birthDateOk ? maskResidentId(m) : m;
  });
}

/** `CN=某公司, O=某公司` → `名称：某公司；单位：某公司`. */
function dnZh(dn: string, now: Date): string {
  const parts = dn.split(/(?<!\\), /).map((p) => {
    const i = p.indexOf('=');
    const key = p.slice(0, i);
    return `${dnLabelZh(key) ?? key}：${maskResidentIds(p.slice(i + 1).replace(/\\(.)/g, '$1'), now)}`;
  });
  return parts.join('；');
}

const CHECK_NAMES: Record<string, string> = {
  validity: '有效期',
  'key-usage': '密钥用法',
  chain: '证书链',
  'self-signed': '签发者',
  'weak-algorithm': '算法强度',
  uscc: '统一社会信用代码',
  revocation: '吊销状态',
};
const MARK: Record<CheckStatus, string> = { pass: '✔ 通过', warn: '! 警告', fail: '✘ 失败' };

function humanReport(entries: InspectFileEntry[], caFlags: Map<InspectFileEntry, boolean[]>, now: Date): string {
  const lines: string[] = [];
  for (const e of entries) {
    lines.push(`文件：${e.file}`);
    if (e.error) {
      lines.push(`  ✘ 无法读取 [${e.error.code}]：${e.error.message}`, '');
      continue;
    }
    e.certificates.forEach((c, i) => {
      const isCA = caFlags.get(e)?.[i] ?? false;
      lines.push(`  证书 ${i + 1}/${e.certificates.length}${isCA ? '（CA 证书）' : ''}`);
      lines.push(`    使用者：${dnZh(c.subject, now)}`);
      lines.push(`    颁发者：${dnZh(c.issuer, now)}`);
      if (!isCA && c.enterpriseName) lines.push(`    单位名称：${c.enterpriseName}`);
      // A CA's name is said only for a verified chain: a look-alike issuer never reads as 河北CA.
      if (c.caProfile) lines.push(`    证书机构：${c.caProfile.name}${c.checks.some((k) => k.id === 'chain' && k.status === 'pass') ? '' : '（名称未经受信根验证）'}`);
      lines.push(`    有效期：${formatDateZh(new Date(c.notBefore))} 至 ${formatDateZh(new Date(c.notAfter))}`);
      lines.push(`    序列号：${c.serialNumber}`);
      lines.push(`    密钥算法：${c.keyAlgorithm}；签名算法：${c.signatureAlgorithm}`);
      lines.push(`    SHA-256 指纹：${c.fingerprintSha256}`);
      const u = c.identity.uscc;
      if (u) {
        lines.push(`    统一社会信用代码：${u.value}（${u.valid ? '有效' : '无效'}，来源 ${u.source}）`);
        const kind = u.valid ? analyzeUscc(u.value).orgType?.legalPersonKind : null;
        if (kind) lines.push(`    法人类型：${kind}`);
      }
      else if (c.identity.orgCode) lines.push(`    组织机构代码：${c.identity.orgCode.value}（来源 ${c.identity.orgCode.source}）`);
      lines.push('    检查：');
      for (const k of c.checks) lines.push(`      ${MARK[k.status]}  ${CHECK_NAMES[k.id] ?? k.id}：${k.message}`, ...(k.detail ? [`         ${k.detail}`] : []));
      const verdict = loginVerdict(c);
      lines.push(`    结论：${isCA ? 'CA 证书，用于签发证书，不用于登录' : verdict.verdict === 'unusable' ? '不能用于法人登录' : verdict.message}`, '');
    });
  }
  return lines.join('\n') + '\n';
}

/** For callers that already hold parsed certificates (the app). */
export function reportFor(certs: ParsedCertificate[], ctx: { now: Date; anchors: ParsedCertificate[] }): CertificateReport[] {
  return certs.map((c) => inspectCertificate(c, { ...ctx, intermediates: certs }));
}
