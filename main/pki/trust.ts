/**
 * Trust anchors: the bundled certs/trust/ folder, on Windows the machine's Trusted Root store,
 * plus whatever files or folders the admin's policy or the user's --trust names. Parsed anchors
 * are cached by path, size and mtime (system roots by their DER).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssistantError } from '../errors.ts';
import { parseCertificate, type ParsedCertificate } from './certificate.ts';
import { windowsRootCertificates } from '../keystores/windows/root-store.ts';
import { MAX_FILE_BYTES, readCertificateFile } from './read.ts';

export const BUNDLED_TRUST_DIR = fileURLToPath(new URL('../../certs/trust/', import.meta.url));

/** Files in a trust folder that are certificates by their name. */
const CERT_FILE = /\.(pem|crt|cer|der|p7b|p7c)$/i;

const cache = new Map<string, { stamp: string; certs: ParsedCertificate[] }>();

function readAnchorFile(file: string): ParsedCertificate[] {
  const st = statSync(file);
  const stamp = `${st.size}:${st.mtimeMs}`;
  const hit = cache.get(file);
  if (hit && hit.stamp === stamp) return hit.certs;
  if (st.size > MAX_FILE_BYTES) throw new AssistantError('TRUST_FILE_INVALID', `信任证书文件过大：${file}`, { en: `trust file too large: ${file}` });
  let certs: ParsedCertificate[];
  try {
    certs = readCertificateFile(readFileSync(file), { fileName: file, decryptKeys: false, refusePkcs12: true }).certificates;
  } catch (e) {
    const code = e instanceof AssistantError ? e.code : 'INTERNAL_ERROR';
    throw new AssistantError('TRUST_FILE_INVALID', `无法读取信任证书文件 ${file}（${code}）`, { en: `cannot read trust file ${file} (${code})`, details: { file, cause: code } });
  }
  cache.set(file, { stamp, certs });
  return certs;
}

export interface TrustLoadOptions {
  /** Also load the bundled certs/trust/ folder (default true). */
  includeBundled?: boolean;
  /** Where the bundled anchors are (the packaged app passes its resources path). */
  bundledDir?: string;
  /** Called for files in a trust folder that could not be read (they are skipped). */
  onSkipped?: (file: string, code: string) => void;
  /**
   * The operating system's trusted roots (DER). Default: on Windows the machine's Trusted Root
   * Certification Authorities store whenever the bundled anchors are loaded; elsewhere none.
   */
  systemRoots?: (() => Uint8Array[]) | null;
}

const systemCache = new Map<string, ParsedCertificate>();

function parseSystemRoots(ders: Uint8Array[], onSkipped?: (file: string, code: string) => void): ParsedCertificate[] {
  const out: ParsedCertificate[] = [];
  for (const der of ders) {
    const key = Buffer.from(der).toString('base64');
    let c = systemCache.get(key);
    if (!c) {
      try {
        c = parseCertificate(der);
      } catch (e) {
        onSkipped?.('Windows: LocalMachine\\Root', e instanceof AssistantError ? e.code : 'CERT_MALFORMED');
        continue;
      }
      systemCache.set(key, c);
    }
    out.push(c);
  }
  return out;
}

/**
 * Loads anchors from files and folders (a folder: every *.pem/.crt/.cer/.der/.p7b in it).
 * A named file that is not a certificate is an error; a bad file inside a folder is skipped.
 */
export function loadTrustAnchors(paths: string[], opts: TrustLoadOptions = {}): ParsedCertificate[] {
  const out: ParsedCertificate[] = [];
  const seen = new Set<string>();
  const add = (certs: ParsedCertificate[]): void => {
    for (const c of certs) {
      if (!seen.has(c.fingerprintSha256)) {
        seen.add(c.fingerprintSha256);
        out.push(c);
      }
    }
  };
  const loadDir = (dir: string, strict: boolean): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      if (strict) throw new AssistantError('TRUST_PATH_NOT_FOUND', `找不到信任证书目录：${dir}`, { en: `trust directory not found: ${dir}` });
      return;
    }
    for (const name of names) {
      if (!CERT_FILE.test(name)) continue;
      const file = join(dir, name);
      try {
        if (!statSync(file).isFile()) continue;
        add(readAnchorFile(file));
      } catch (e) {
        opts.onSkipped?.(file, e instanceof AssistantError ? e.code : 'FILE_UNREADABLE');
      }
    }
  };
  const builtIn = opts.includeBundled ?? true;
  if (builtIn) loadDir(opts.bundledDir ?? BUNDLED_TRUST_DIR, false);
  const system = opts.systemRoots !== undefined ? opts.systemRoots : builtIn && process.platform === 'win32' ? () => windowsRootCertificates() : null;
  if (system) add(parseSystemRoots(system(), opts.onSkipped));
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new AssistantError('TRUST_PATH_NOT_FOUND', `找不到信任证书路径：${p}`, { en: `trust path not found: ${p}` });
    }
    if (st.isDirectory()) loadDir(p, true);
    else add(readAnchorFile(p));
  }
  return out;
}
