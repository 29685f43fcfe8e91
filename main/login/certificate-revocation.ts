/**
 * Revocation for the certificate screen and `cert-assistant inspect`: the verifier's per-link
 * check (checkRevocation) over the certificate's verified path, as one more inspect check, so
 * the app, the CLI and a portal's verifier read the same CRLs and OCSP answers the same way.
 *   revoked                                  -> fail REVOKED (不能登录, with the date and reason)
 *   a source that cannot answer (unknown)    -> warn REVOCATION_UNKNOWN (无法确认)
 *   no source for a link, mode `require`     -> warn REVOCATION_UNKNOWN (无法确认)
 *   no source for a link, mode `prefer`      -> warn REVOCATION_NOT_CHECKED (a note; verdict unchanged)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { AssistantError } from '../errors.ts';
import type { ParsedCertificate } from '../pki/certificate.ts';
import { verifyChain } from '../pki/chain.ts';
import { formatDateEn, formatDateZh, type CertificateReport, type CheckResult } from '../pki/inspect.ts';
import type { OcspOptions } from './ocsp.ts';
import { linkJson, type RevocationLinkJson } from './verify.ts';
import { checkRevocation, parseCrl, REVOCATION_REASON_TEXT, type CrlFetcher, type LinkRevocation, type PreparedCrl } from './revocation.ts';

export type RevocationMode = 'off' | 'prefer' | 'require';

export interface RevocationSettings {
  mode: RevocationMode;
  /** CRLs (DER or PEM), already read. */
  crls: Uint8Array[];
  /** Ask the certificates' OCSP responders (or `ocsp.responderUrl`). */
  ocsp: OcspOptions | false;
  /** Fetch CRLs from the certificates' distribution points. */
  fetchCrls: boolean;
  fetchCrl?: CrlFetcher;
  clockSkewMs?: number;
}

/** What `inspect --json` adds per certificate when revocation is on. */
export interface CertificateRevocation {
  mode: Exclude<RevocationMode, 'off'>;
  status: 'good' | 'revoked' | 'unknown' | 'not-checked';
  /** Leaf first; empty when the chain did not verify (nothing to ask about). */
  links: RevocationLinkView[];
}

/** The verifier's link JSON, plus the CRLReason code of a revocation when the source gave one. */
export type RevocationLinkView = RevocationLinkJson & { revocationReason?: number };

/** RFC 5280 5.3.1 CRLReason names (zh, en). */
const CRL_REASONS: Record<number, readonly [string, string]> = {
  0: ['未说明原因', 'unspecified'],
  1: ['密钥泄露', 'key compromise'],
  2: ['CA 密钥泄露', 'CA compromise'],
  3: ['单位信息变更', 'affiliation changed'],
  4: ['已被新证书替代', 'superseded'],
  5: ['停止使用', 'cessation of operation'],
  6: ['证书冻结', 'certificate hold'],
  8: ['从吊销列表移除', 'remove from CRL'],
  9: ['权限撤销', 'privilege withdrawn'],
  10: ['属性机构密钥泄露', 'AA compromise'],
};

/** CRL files and folders (.crl/.pem/.der/.cer) read into bytes; a folder's other files are skipped. */
export function readCrlFiles(paths: string[], opts: { onSkipped?: (file: string, why: string) => void } = {}): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      opts.onSkipped?.(p, 'missing');
      continue;
    }
    const files = st.isDirectory() ? readdirSync(p).filter((f) => /\.(crl|pem|der|cer)$/i.test(f)).sort().map((f) => path.join(p, f)) : [p];
    for (const f of files) {
      try {
        out.push(new Uint8Array(readFileSync(f)));
      } catch {
        opts.onSkipped?.(f, 'unreadable');
      }
    }
  }
  return out;
}

/** Parses the CRLs once; a bad one is the configuration's error (CRL_MALFORMED / CRL_UNSUPPORTED). */
export function prepareRevocationCrls(crls: Uint8Array[]): PreparedCrl[] {
  return crls.map((c) => parseCrl(c));
}

function linkView(l: LinkRevocation): RevocationLinkView {
  return { ...linkJson(l), ...(typeof l.revocationReason === 'number' ? { revocationReason: l.revocationReason } : {}) };
}

/** For the admin (under 技术信息 and in `inspect`): where an unanswered revocation check is fixed. */
export const REVOCATION_ADMIN_ADVICE = {
  zh: '管理员：请确认本机能访问 CA 的 OCSP 或吊销列表（CRL）地址，或在策略 revocationCrls 中提供 CA 的吊销列表',
  en: 'Administrator: make sure this machine can reach the CA\'s OCSP or CRL address, or provide the CA\'s CRL in policy revocationCrls',
} as const;

function whose(l: LinkRevocation): readonly [string, string] {
  return l.depth === 0 ? ['这张证书', 'This certificate'] : ['签发这张证书的 CA 证书', 'The certificate of the CA that issued it'];
}

function revokedCheck(l: LinkRevocation, source: string): CheckResult {
  const [who, whoEn] = whose(l);
  const at = l.revokedAt ? formatDateZh(l.revokedAt) : null;
  const atEn = l.revokedAt ? formatDateEn(l.revokedAt) : null;
  const reason = typeof l.revocationReason === 'number' ? CRL_REASONS[l.revocationReason] : undefined;
  return {
    id: 'revocation', status: 'fail', code: 'REVOKED',
    message: `${who}已被 CA 吊销${at ? `（${at}` : ''}${reason ? `${at ? '，' : '（'}原因：${reason[0]}` : ''}${at || reason ? '）' : ''}，不能用于登录；请联系 CA`,
    messageEn: `${whoEn} has been revoked by the CA${atEn ? ` on ${atEn}` : ''}${reason ? ` (reason: ${reason[1]})` : ''} and cannot log in; contact the CA`,
    detail: `${l.subject}，序列号 ${l.serialNumber}，来源 ${source}`, detailEn: `${l.subject}, serial ${l.serialNumber}, from ${source}`,
  };
}

/**
 * The revocation check of one certificate, or null when revocation is off or the certificate has no
 * link to check (a trust anchor itself). Never throws for network trouble (links read `unknown`).
 */
export async function certificateRevocation(
  cert: ParsedCertificate,
  ctx: { now: Date; anchors: ParsedCertificate[]; intermediates: ParsedCertificate[] },
  settings: RevocationSettings,
  prepared: PreparedCrl[] = prepareRevocationCrls(settings.crls),
): Promise<{ check: CheckResult; revocation: CertificateRevocation } | null> {
  if (settings.mode === 'off') return null;
  const mode = settings.mode;
  const chain = verifyChain(cert, { intermediates: ctx.intermediates.filter((x) => x !== cert), anchors: ctx.anchors, now: ctx.now });
  if (!chain.ok) {
    // No verified path: nothing to ask about (the chain check already says why).
    return {
      check: { id: 'revocation', status: 'warn', code: 'REVOCATION_NOT_CHECKED', message: '证书链未通过验证，未检查吊销状态', messageEn: 'The chain did not verify, so revocation was not checked' },
      revocation: { mode, status: 'not-checked', links: [] },
    };
  }
  if (chain.path.length < 2) return null;
  const report = await checkRevocation(chain.path, {
    crls: prepared,
    allowNetworkFetch: settings.fetchCrls,
    ocsp: settings.ocsp,
    ...(settings.fetchCrl ? { fetchCrl: settings.fetchCrl } : {}),
    clockSkewMs: settings.clockSkewMs ?? 5 * 60_000,
  }, ctx.now);
  const revocation: CertificateRevocation = { mode, status: report.status, links: report.links.map(linkView) };
  const revoked = report.links.find((l) => l.status === 'revoked');
  if (revoked) return { check: revokedCheck(revoked, revoked.source === 'ocsp' ? 'OCSP' : 'CRL'), revocation };
  const open = report.links.find((l) => l.status === 'unknown') ?? (mode === 'require' ? report.links.find((l) => l.status === 'not-checked') : undefined);
  if (open) {
    const why = REVOCATION_REASON_TEXT[open.reason ?? 'NO_SOURCE'];
    const [who, whoEn] = whose(open);
    return {
      check: {
        id: 'revocation', status: 'warn', code: 'REVOCATION_UNKNOWN',
        // The clerk reads a plain line; why (OCSP, CRL) and what an admin can do go under 技术信息.
        message: `暂时无法查询${who}是否已被吊销`, messageEn: `Whether ${whoEn.charAt(0).toLowerCase() + whoEn.slice(1)} has been revoked cannot be checked right now`,
        detail: `${why.zh}；${open.subject}，序列号 ${open.serialNumber}。${REVOCATION_ADMIN_ADVICE.zh}`,
        detailEn: `${why.en}; ${open.subject}, serial ${open.serialNumber}. ${REVOCATION_ADMIN_ADVICE.en}`,
      },
      revocation,
    };
  }
  if (report.status === 'not-checked') {
    const unchecked = report.links.filter((l) => l.status === 'not-checked').map((l) => l.subject);
    return {
      check: {
        id: 'revocation', status: 'warn', code: 'REVOCATION_NOT_CHECKED',
        message: '部分证书没有可用的吊销信息来源，未检查', messageEn: 'Some certificates of the chain have no revocation source; not checked',
        detail: unchecked.join('；'), detailEn: unchecked.join('; '),
      },
      revocation,
    };
  }
  const sources = [...new Set(report.links.map((l) => (l.source === 'ocsp' ? 'OCSP' : 'CRL')))].join('、');
  return { check: { id: 'revocation', status: 'pass', message: '未被吊销', messageEn: 'Not revoked', detail: `逐级检查（${sources}）`, detailEn: `every link checked (${sources.replace('、', ', ')})` }, revocation };
}

/** When the check itself could not finish (the screen's listing bound): unknown, never 可以. */
export function revocationUnfinished(mode: Exclude<RevocationMode, 'off'>): { check: CheckResult; revocation: CertificateRevocation } {
  return {
    check: {
      id: 'revocation', status: 'warn', code: 'REVOCATION_UNKNOWN',
      message: '暂时无法查询这张证书是否已被吊销', messageEn: 'Whether this certificate has been revoked cannot be checked right now',
      detail: `检查超时。${REVOCATION_ADMIN_ADVICE.zh}`, detailEn: `The check timed out. ${REVOCATION_ADMIN_ADVICE.en}`,
    },
    revocation: { mode, status: 'unknown', links: [] },
  };
}

/** The report with the revocation check appended (and `revocation` beside the checks). */
export function withRevocation<R extends CertificateReport>(report: R, outcome: { check: CheckResult; revocation: CertificateRevocation } | null): R & { revocation?: CertificateRevocation } {
  if (!outcome) return report;
  return { ...report, checks: [...report.checks, outcome.check], revocation: outcome.revocation };
}

/** Policy (revocationMode, revocationCrls, revocationNetwork) -> settings; a CRL that cannot be parsed is skipped and reported. */
export function revocationSettingsFromPolicy(
  policy: { revocationMode: RevocationMode; revocationCrls: string[]; revocationNetwork: boolean },
  opts: { onSkipped?: (file: string, why: string) => void } = {},
): { settings: RevocationSettings; prepared: PreparedCrl[] } {
  const bytes = policy.revocationMode === 'off' ? [] : readCrlFiles(policy.revocationCrls, opts);
  const prepared: PreparedCrl[] = [];
  const crls: Uint8Array[] = [];
  for (const b of bytes) {
    try {
      prepared.push(parseCrl(b));
      crls.push(b);
    } catch (e) {
      opts.onSkipped?.('(CRL)', e instanceof AssistantError ? e.code : 'CRL_MALFORMED');
    }
  }
  return {
    settings: { mode: policy.revocationMode, crls, ocsp: policy.revocationNetwork ? {} : false, fetchCrls: policy.revocationNetwork },
    prepared,
  };
}
