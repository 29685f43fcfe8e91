import fs from 'node:fs';
import os from 'node:os';
import { toErrorInfo } from '../../errors.ts';
import { filterEntries, formatTimeZh, OPERATION_ZH, parseLogDay, toCsv, VIA_ZH } from '../../login/signature-log-export.ts';
import { SignatureLog } from '../../login/signature-log.ts';
import { userDataDir } from '../../policy/user-data.ts';
import { EXIT_FAIL, EXIT_OK, parseCommand, usageError, writeJson, type CliIO } from '../io.ts';

const USAGE = `用法 / Usage: cert-assistant log [--json] [--verify] [--export FILE] [--certificate SHA256] [--origin ORIGIN] [--since 日期] [--until 日期]

签名记录：助手做过的每一次签名与解密（时间、网站、协议、操作、证书、企业、统一社会信用代码、所签内容的 SHA-256；
从不记录 PIN 和内容本身）。记录逐条以哈希相连，改动或删除都能被 --verify 发现。
The signature log: every signature and decryption the assistant made (never the PIN or the content), hash-chained.
  --json             以 JSON 输出记录 / print the entries as JSON
  --verify           检查记录是否被改动或删除；有问题时退出码 1 并指出第一条 / check the chain; exit 1 naming the first bad entry
  --export FILE      导出为 CSV（UTF-8，Excel 可直接打开）/ export as CSV
  --certificate FP   只看该证书（SHA-256 指纹或其开头）/ only this certificate (fingerprint or its prefix)
  --origin ORIGIN    只看该网站 / only this site
  --since D --until D  日期范围（如 2026-12-01）/ date range
记录位置 / where: %APPDATA%\\CertAssistant、~/.config/cert-assistant（CERT_ASSISTANT_HOME 可改）
`;

export async function run(args: string[], io: CliIO): Promise<number> {
  const opened = parseCommand(args, io, USAGE, {
    json: { type: 'boolean' }, verify: { type: 'boolean' }, export: { type: 'string' }, certificate: { type: 'string' },
    origin: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' },
  });
  if (typeof opened === 'number') return opened;
  const { values } = opened;
  const since = values.since === undefined ? null : parseLogDay(values.since, false);
  const until = values.until === undefined ? null : parseLogDay(values.until, true);
  if ((values.since !== undefined && since === null) || (values.until !== undefined && until === null)) {
    return usageError(io, '日期格式应为 2026-12-01 / dates look like 2026-12-01', USAGE);
  }
  const fp = values.certificate?.toLowerCase().replace(/[^0-9a-f]/g, '');
  if (values.certificate !== undefined && !fp) {
    return usageError(io, '--certificate 须为 SHA-256 指纹 / --certificate takes a SHA-256 fingerprint', USAGE);
  }
  const log = new SignatureLog(userDataDir(process.platform, io.env, os.homedir()));
  try {
    if (values.verify) {
      const v = log.verify();
      if (values.json) writeJson(io.stdout, v);
      else if (v.ok) io.stdout.write(`签名记录完好：共 ${v.entries} 条，未发现改动或删除。\nThe signature log is intact (${v.entries} entries).\n`);
      else io.stdout.write(`签名记录被改动 [SIGNATURE_LOG_TAMPERED]：${v.message}。\nThe signature log was tampered with: ${v.messageEn}.\n`);
      return v.ok ? EXIT_OK : EXIT_FAIL;
    }
    const entries = filterEntries(log.entries(), { certificate: fp, origin: values.origin, since, until });
    if (values.export) {
      fs.writeFileSync(values.export, toCsv(entries), { mode: 0o600 });
      io.stdout.write(`已导出 ${entries.length} 条记录到 ${values.export} / exported ${entries.length} entries\n`);
      return EXIT_OK;
    }
    if (values.json) {
      writeJson(io.stdout, { entries });
      return EXIT_OK;
    }
    if (entries.length === 0) {
      io.stdout.write('还没有签名记录。/ No signatures recorded yet.\n');
      return EXIT_OK;
    }
    for (const e of entries) {
      const who = e.enterprise ? `${e.enterprise}${e.uscc ? `（${e.uscc}）` : ''}` : (e.uscc ?? '未识别企业');
      io.stdout.write(`${String(e.seq).padStart(4)}  ${formatTimeZh(e.at)}  ${OPERATION_ZH[e.operation]}  ${e.origin}  ${who}\n`);
      io.stdout.write(`      ${VIA_ZH[e.via]} · ${e.protocol} · 证书 ${e.fingerprintSha256.slice(0, 16)}… · 内容 SHA-256 ${e.contentSha256.slice(0, 16)}…\n`);
    }
    return EXIT_OK;
  } catch (e) {
    const info = toErrorInfo(e);
    io.stderr.write(`错误 [${info.code}]: ${info.message}\n`);
    return EXIT_FAIL;
  }
}
