import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { issueLocalhostCertificate, LOCALHOST_TLS_FILES, saveLocalhostTls } from '../../bridge/tls/localhost-certificate.ts';
import { toErrorInfo } from '../../errors.ts';
import { EXIT_FAIL, EXIT_OK, parseCommand, usageError, writeJson, type CliIO } from '../io.ts';

const USAGE = `用法 / Usage: cert-assistant bridge-cert issue --out DIR | remove --dir DIR

为外部浏览器中的 https 网页签发桥接服务的本机证书（wss://127.0.0.1:21061）。由按机器安装程序在管理员选择后调用：
一次性 CA 只签发这一张证书，其私钥从不写入磁盘、签发后即销毁；CA 证书限定只能用于 127.0.0.1、::1、localhost。
Issues the bridge's localhost certificate for https pages in external browsers (run by the per-machine installer when
the admin opts in): a one-time CA, name-constrained to 127.0.0.1/::1/localhost, whose key never touches the disk.
  issue --out DIR   写入 localhost.crt、localhost.key（仅所有者可读）、localhost-ca.crt、localhost-ca.thumbprint（SHA-1）
                    / writes the leaf, its key, the CA certificate and the CA's SHA-1 thumbprint (for certutil)
  remove --dir DIR  删除这些文件；在 Windows 上同时从“受信任的根证书颁发机构”中删除该 CA（certutil -delstore Root）
                    / removes the files and, on Windows, the CA from the machine's Root store
`;

export const THUMBPRINT_FILE = 'localhost-ca.thumbprint';

function caDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

export async function run(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  const opened = parseCommand(rest, io, USAGE, { out: { type: 'string' }, dir: { type: 'string' } });
  if (typeof opened === 'number') return opened;
  const { values } = opened;
  if (sub === '--help' || sub === '-h') {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  try {
    if (sub === 'issue' && values.out) {
      const dir = path.resolve(io.cwd, values.out);
      const tls = await issueLocalhostCertificate({ now: io.now() });
      saveLocalhostTls(dir, tls);
      const thumbprint = createHash('sha1').update(caDer(tls.caCertificatePem)).digest('hex').toUpperCase();
      fs.writeFileSync(path.join(dir, THUMBPRINT_FILE), thumbprint + '\n');
      writeJson(io.stdout, { ok: true, dir, certificateSha256: tls.certificateSha256, caSha1: thumbprint, notAfter: tls.notAfter.toISOString() });
      return EXIT_OK;
    }
    if (sub === 'remove' && values.dir) {
      const dir = path.resolve(io.cwd, values.dir);
      let thumbprint: string | null = null;
      try {
        const t = fs.readFileSync(path.join(dir, THUMBPRINT_FILE), 'utf8').trim();
        if (/^[0-9A-Fa-f]{40}$/.test(t)) thumbprint = t;
      } catch {}
      let untrusted = false;
      if (thumbprint && process.platform === 'win32') {
        // No shell: the thumbprint was checked to be 40 hex digits.
        const certutil = path.join(io.env['SystemRoot'] ?? 'C:\\Windows', 'System32', 'certutil.exe');
        try {
          execFileSync(certutil, ['-delstore', 'Root', thumbprint], { stdio: 'ignore', timeout: 30_000 });
          untrusted = true;
        } catch {}
      }
      for (const f of [...Object.values(LOCALHOST_TLS_FILES), THUMBPRINT_FILE]) fs.rmSync(path.join(dir, f), { force: true });
      writeJson(io.stdout, { ok: true, dir, caSha1: thumbprint, removedFromRootStore: untrusted });
      return EXIT_OK;
    }
  } catch (e) {
    const info = toErrorInfo(e, 'BRIDGE_CERT_FAILED');
    io.stderr.write(`错误 [${info.code}]: ${info.message}\n`);
    return EXIT_FAIL;
  }
  return usageError(io, '须为 issue --out DIR 或 remove --dir DIR / give issue --out DIR or remove --dir DIR', USAGE);
}
