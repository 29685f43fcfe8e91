/**
 * The per-certificate report behind `cert-assistant inspect`: identity, CA profile and the
 * login-fitness checks, each with a stable id and a zh-CN message.
 */
import type { CheckStatus, CheckView } from '../../common/ipc-contract.ts';
import type { CaProfile } from './ca-profiles.ts';
import type { ParsedCertificate } from './certificate.ts';
import { verifyChain, verifyCertificateSignature } from './chain.ts';
import { loginEkuProblem } from './path-validation.ts';
import { detectCaProfile, extractIdentity, type CertificateIdentity } from './identity.ts';
import { enterpriseNameOf } from './subject-name.ts';

export type { CheckStatus };
export type CheckId = 'validity' | 'key-usage' | 'chain' | 'self-signed' | 'weak-algorithm' | 'uscc' | 'revocation';

/** One check of a certificate, as the app shows it (common/ipc-contract.ts) and `inspect --json` prints it. */
export interface CheckResult extends CheckView {
  id: CheckId;
}

/** How sure the USCC extraction is, in words (never "可信度 high"). */
export const CONFIDENCE_ZH: Record<string, string> = { high: '高（CA 档案中的位置）', medium: '中（通用扫描）', low: '低（有歧义）' };
export const CONFIDENCE_EN: Record<string, string> = { high: 'high (the CA profile\'s place)', medium: 'medium (generic scan)', low: 'low (ambiguous)' };

export interface CertificateReport {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  keyAlgorithm: string;
  signatureAlgorithm: string;
  fingerprintSha256: string;
  caProfile: { id: string; name: string } | null;
  /** 企业（或持有人）名称 from the subject, CA names in O skipped (see subject-name.ts). */
  enterpriseName: string | null;
  identity: CertificateIdentity;
  checks: CheckResult[];
}

export interface InspectContext {
  now: Date;
  anchors: ParsedCertificate[];
  /** Other certificates that may be intermediates (the rest of the file, typically). */
  intermediates: ParsedCertificate[];
  profiles?: CaProfile[];
  /** Days before expiry that turn the validity check into a warning. */
  expiryWarningDays?: number;
}

/** 26 Nov 2026 (UTC+8, as formatDateZh). */
export function formatDateEn(d: Date): string {
  const cn = new Date(d.getTime() + 8 * 3600_000);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return `${cn.getUTCDate()} ${months[cn.getUTCMonth()]} ${cn.getUTCFullYear()}`;
}

/** 2026年11月26日 (UTC+8, the users' calendar). */
export function formatDateZh(d: Date): string {
  const cn = new Date(d.getTime() + 8 * 3600_000);
  return `${cn.getUTCFullYear()}年${cn.getUTCMonth() + 1}月${cn.getUTCDate()}日`;
}

export function checkValidity(c: ParsedCertificate, now: Date, warnDays = 30): CheckResult {
  const range = `${formatDateZh(c.notBefore)} 至 ${formatDateZh(c.notAfter)}`;
  const rangeEn = `${formatDateEn(c.notBefore)} to ${formatDateEn(c.notAfter)}`;
  if (now < c.notBefore) return { id: 'validity', status: 'fail', code: 'CERT_NOT_YET_VALID', message: `证书尚未生效（有效期 ${range}）`, messageEn: `The certificate is not valid yet (valid ${rangeEn})` };
  if (now > c.notAfter) {
    return { id: 'validity', status: 'fail', code: 'CERT_EXPIRED', message: `证书已于${formatDateZh(c.notAfter)}过期，请向 CA 申请更新证书`, messageEn: `The certificate expired on ${formatDateEn(c.notAfter)}; ask the CA to renew it` };
  }
  const daysLeft = Math.floor((c.notAfter.getTime() - now.getTime()) / 86_400_000);
  if (daysLeft < warnDays) {
    return { id: 'validity', status: 'warn', code: 'CERT_EXPIRING', message: `证书将在${daysLeft}天后（${formatDateZh(c.notAfter)}）过期，请尽快更新`, messageEn: `The certificate expires in ${daysLeft} days (${formatDateEn(c.notAfter)}); renew it soon` };
  }
  return { id: 'validity', status: 'pass', message: `在有效期内（${range}）`, messageEn: `Within its validity period (${rangeEn})` };
}

export function checkKeyUsage(c: ParsedCertificate): CheckResult {
  const ku = c.keyUsage;
  // The extended key usage narrows what keyUsage allows; the leaf's is judged as the verifier does.
  const eku = c.isCA ? null : loginEkuProblem(c);
  if (eku && (ku === null || ku.includes('digitalSignature'))) {
    return {
      id: 'key-usage', status: 'fail', code: 'EXTENDED_KEY_USAGE',
      message: '这张证书不是用于登录的证书，请选择 USB Key 中用于登录的签名证书',
      messageEn: 'This certificate is not meant for login; choose the signing certificate meant for login on the USB key',
      detail: eku.message, detailEn: eku.messageEn.charAt(0).toUpperCase() + eku.messageEn.slice(1),
    };
  }
  if (ku === null) return { id: 'key-usage', status: 'pass', message: '证书未限制密钥用法，可用于签名登录', messageEn: 'No key usage restriction: the certificate can sign a login' };
  if (ku.includes('digitalSignature')) {
    return { id: 'key-usage', status: 'pass', message: '可用于签名登录', messageEn: 'Can sign a login', detail: `密钥用法：${ku.join(', ')}`, detailEn: `Key usage: ${ku.join(', ')}` };
  }
  if (ku.includes('nonRepudiation') && !ku.includes('keyEncipherment')) {
    return {
      id: 'key-usage',
      status: 'fail',
      code: 'KEY_USAGE_NON_REPUDIATION_ONLY',
      message: '这张证书只能用于电子合同、签章（不可否认签名），不能用于登录；请选择同一 USB Key 中的签名证书',
      messageEn: 'This certificate is for e-contracts and seals only (non-repudiation) and cannot log in; choose the signing certificate on the same USB key',
      detail: `密钥用法：${ku.join(', ')}（没有 digitalSignature）`,
      detailEn: `Key usage: ${ku.join(', ')} (no digitalSignature)`,
    };
  }
  if (ku.includes('keyCertSign') || ku.includes('cRLSign')) {
    return { id: 'key-usage', status: 'fail', code: 'KEY_USAGE_CA_ONLY', message: '这是 CA 证书，不能用于登录', messageEn: 'This is a CA certificate and cannot log in', detail: `密钥用法：${ku.join(', ')}`, detailEn: `Key usage: ${ku.join(', ')}` };
  }
  return {
    id: 'key-usage',
    status: 'fail',
    code: 'KEY_USAGE_NO_SIGNATURE',
    message: '这张证书不能用于签名，通常是加密证书；请选择同一 USB Key 中的签名证书',
    messageEn: 'This certificate cannot sign; it is usually the encryption certificate; choose the signing certificate on the same USB key',
    detail: `密钥用法缺少 digitalSignature，当前为 ${ku.join(', ') || '空'}`,
    detailEn: `Key usage lacks digitalSignature (now: ${ku.join(', ') || 'empty'})`,
  };
}

export function checkSelfSigned(c: ParsedCertificate): CheckResult {
  if (c.selfIssued && verifyCertificateSignature(c, c)) {
    if (c.isCA) return { id: 'self-signed', status: 'warn', code: 'CERT_IS_ROOT', message: '这是自签名的根证书（CA），不是登录用的企业证书', messageEn: 'This is a self-signed root (CA) certificate, not an enterprise login certificate' };
    return { id: 'self-signed', status: 'fail', code: 'CERT_SELF_SIGNED', message: '这是自签名证书，不是由 CA 签发的，不能用于登录', messageEn: 'This certificate is self-signed, not issued by a CA, and cannot log in' };
  }
  return { id: 'self-signed', status: 'pass', message: '由 CA 签发（非自签名）', messageEn: 'Issued by a CA (not self-signed)' };
}

export function checkWeakAlgorithm(c: ParsedCertificate): CheckResult {
  const problems: string[] = [];
  const problemsEn: string[] = [];
  if (/sha1|md5/i.test(c.signatureAlgorithm)) {
    problems.push(`签名算法 ${c.signatureAlgorithm} 已不安全（SHA-1/MD5）`);
    problemsEn.push(`signature algorithm ${c.signatureAlgorithm} is no longer safe (SHA-1/MD5)`);
  }
  if (c.publicKey.kind === 'RSA' && c.publicKey.bits !== null && c.publicKey.bits < 2048) {
    problems.push(`RSA 密钥只有 ${c.publicKey.bits} 位（应至少 2048 位）`);
    problemsEn.push(`the RSA key has only ${c.publicKey.bits} bits (at least 2048 expected)`);
  }
  if (c.publicKey.kind === 'other') {
    problems.push(`未知的密钥算法 ${c.keyAlgorithm}`);
    problemsEn.push(`unknown key algorithm ${c.keyAlgorithm}`);
  }
  if (problems.length) {
    const en = problemsEn.join('; ');
    return {
      id: 'weak-algorithm', status: 'warn', code: 'WEAK_ALGORITHM',
      message: '证书使用的算法已不够安全，建议向 CA 更换证书', messageEn: 'The certificate\'s algorithms are no longer safe enough; ask the CA for a new certificate',
      detail: problems.join('；'), detailEn: en[0]!.toUpperCase() + en.slice(1),
    };
  }
  return { id: 'weak-algorithm', status: 'pass', message: '算法强度足够', messageEn: 'Algorithms strong enough', detail: `${c.keyAlgorithm}，${c.signatureAlgorithm}`, detailEn: `${c.keyAlgorithm}, ${c.signatureAlgorithm}` };
}

export function checkChain(c: ParsedCertificate, ctx: InspectContext): CheckResult {
  const r = verifyChain(c, { intermediates: ctx.intermediates.filter((x) => x !== c), anchors: ctx.anchors, now: ctx.now });
  if (r.ok) {
    const names = r.path.map((p) => shortName(p.subject));
    return { id: 'chain', status: 'pass', message: `证书链可信：${names.join(' → ')}`, messageEn: `Trusted chain: ${names.join(' → ')}` };
  }
  // With no anchors configured at all, the chain cannot be judged: a warning that says what to add.
  const noAnchorsAtAll = ctx.anchors.length === 0 && (r.code === 'CHAIN_NO_ANCHOR' || r.code === 'CHAIN_UNTRUSTED_ROOT');
  const hint = noAnchorsAtAll ? '（尚未配置任何受信任的根证书）' : '';
  const hintEn = noAnchorsAtAll ? ' (no trusted root certificates are configured yet)' : '';
  const en = r.messageEn ?? 'chain verification failed';
  const plain = CHAIN_PLAIN[r.code ?? ''] ?? CHAIN_PLAIN_DEFAULT;
  return {
    id: 'chain',
    status: noAnchorsAtAll ? 'warn' : 'fail',
    code: r.code ?? 'CHAIN_FAILED',
    message: plain[0],
    messageEn: plain[1],
    // DNs and where an administrator puts a root: 技术信息 and the CLI, never the clerk's first line.
    detail: (r.message ?? '证书链验证失败') + hint,
    detailEn: en.charAt(0).toUpperCase() + en.slice(1) + hintEn,
  };
}

/** What a clerk reads for each chain failure (zh, en): no DNs, no folders. */
const CHAIN_PLAIN: Record<string, readonly [string, string]> = {
  CHAIN_NO_ANCHOR: ['本机无法核对这张证书的签发机构（缺少该 CA 的根证书），请联系 IT 管理员', 'This computer cannot check the certificate\'s issuer (the CA\'s root certificate is missing); contact your IT administrator'],
  CHAIN_UNTRUSTED_ROOT: ['签发这张证书的 CA 不在本机的信任列表中，请联系 IT 管理员', 'The CA that issued this certificate is not trusted on this computer; contact your IT administrator'],
  CHAIN_LOOKALIKE_ISSUER: ['签发者冒用了 CA 的名称，这张证书不可信，不能用于登录', 'The issuer imitates a CA\'s name: this certificate is not trustworthy and cannot log in'],
  CHAIN_BAD_SIGNATURE: ['证书的签名与签发 CA 对不上，证书可能被篡改，不能用于登录', 'The certificate\'s signature does not match its CA; it may have been tampered with and cannot log in'],
  CHAIN_SELF_SIGNED: ['这是自签名证书，不是由 CA 签发的，不能用于登录', 'This certificate is self-signed, not issued by a CA, and cannot log in'],
  CHAIN_CA_EXPIRED: ['签发这张证书的 CA 证书已过期，请联系 CA', 'The certificate of the CA that issued it has expired; contact the CA'],
};
const CHAIN_PLAIN_DEFAULT = ['证书链不符合规范，不能用于登录，请联系 CA', 'The certificate chain breaks the rules and cannot log in; contact the CA'] as const;

/** CN (or O) of a display DN, for short chain listings. */
export function shortName(dn: string): string {
  const cn = /(?:^|, )CN=((?:\\.|[^,])*)/.exec(dn)?.[1];
  const o = /(?:^|, )O=((?:\\.|[^,])*)/.exec(dn)?.[1];
  return (cn ?? o ?? dn).replace(/\\(.)/g, '$1');
}

/** A resident ID number in the certificate (an identity field, or anywhere for display): not a 法人 certificate. */
const PERSONAL_CERTIFICATE: CheckResult = {
  id: 'uscc',
  status: 'fail',
  code: 'USCC_PERSONAL_CERT',
  message: '这是个人证书（含居民身份证号），不是企业（法人）证书，不能用于法人登录',
  messageEn: 'This is a personal certificate (it holds a resident ID number), not an enterprise (legal person) certificate; it cannot be used for legal-person login',
};

/** The uscc check fails on a value the certificate holds (a bad code, an org code, a partial one, a placeholder): where it was found goes in the detail. */
function usccFoundFails(found: { source: string }, code: string, message: string, messageEn: string): CheckResult {
  return { id: 'uscc', status: 'fail', code, message, messageEn, detail: `位置：${found.source}`, detailEn: `Found in ${found.source}` };
}

export function checkUscc(identity: CertificateIdentity): CheckResult {
  const u = identity.uscc;
  // Same provenance rules as the verifier (issue 12), so inspect and a login agree.
  if (identity.refusal?.code === 'IDENTITY_AMBIGUOUS') {
    const values = identity.refusal.values.join('、');
    return {
      id: 'uscc',
      status: 'fail',
      code: 'IDENTITY_AMBIGUOUS',
      message: `证书中有两个不同的统一社会信用代码（${values}），无法确定是哪家企业，不能用于法人登录；请联系 CA 核实`,
      messageEn: `The certificate names two different unified social credit codes (${identity.refusal.values.join(', ')}); the enterprise is ambiguous and it cannot be used for legal-person login; ask the CA`,
    };
  }
  if (identity.refusal?.code === 'PERSONAL_CERTIFICATE') {
    return { ...PERSONAL_CERTIFICATE };
  }
  if (u && u.valid) {
    return {
      id: 'uscc', status: 'pass', message: `统一社会信用代码 ${u.value}`, messageEn: `Unified social credit code ${u.value}`,
      detail: `位置：${u.source}；可信度：${CONFIDENCE_ZH[u.confidence] ?? u.confidence}`, detailEn: `Found in ${u.source}; confidence ${CONFIDENCE_EN[u.confidence] ?? u.confidence}`,
    };
  }
  if (u && !u.valid) {
    return usccFoundFails(u, 'USCC_INVALID',
      `找到的统一社会信用代码 ${u.value} 校验不通过，不能作为登录身份；请联系 CA 核实`,
      `The unified social credit code ${u.value} fails its check and cannot be a login identity; ask the CA to verify it`);
  }
  const kinds = new Set(identity.candidates.map((c) => String((c as { kind?: unknown }).kind ?? '')));
  if (kinds.has('residentId')) {
    return { ...PERSONAL_CERTIFICATE };
  }
  if (identity.orgCode) {
    return usccFoundFails(identity.orgCode, 'USCC_ORG_CODE_ONLY',
      `证书中只有组织机构代码 ${identity.orgCode.value}，没有统一社会信用代码；这是 2015 年以前的旧证书，请向 CA 申请更新`,
      `The certificate holds only the organisation code ${identity.orgCode.value}, no unified social credit code; it is a pre-2015 certificate, ask the CA to renew it`);
  }
  // Real CA certificates carry truncated values (HEBCA: 17 chars) and placeholders (000000000): say what was found.
  const partial = identity.candidates.find((c) => c.kind === 'partial');
  if (partial) {
    return usccFoundFails(partial, 'USCC_INCOMPLETE',
      `证书中的统一社会信用代码不完整：${partial.value}（${partial.value.length} 位，应为 18 位），不能作为登录身份；请联系 CA 更正证书`,
      `The unified social credit code in the certificate is incomplete: ${partial.value} (${partial.value.length} characters, 18 expected) and cannot be a login identity; ask the CA to correct the certificate`);
  }
  const placeholder = identity.candidates.find((c) => c.kind === 'placeholder');
  if (placeholder) {
    return usccFoundFails(placeholder, 'USCC_PLACEHOLDER',
      `证书中的统一社会信用代码是占位值 ${placeholder.value}，不能作为登录身份；请联系 CA 更正证书`,
      `The unified social credit code in the certificate is a placeholder ${placeholder.value} and cannot be a login identity; ask the CA to correct the certificate`);
  }
  return { id: 'uscc', status: 'fail', code: 'USCC_NOT_FOUND', message: '证书中没有找到统一社会信用代码，不能用于法人登录', messageEn: 'No unified social credit code found in the certificate; it cannot be used for legal-person login' };
}

/** One `certificates[]` item of `inspect --json`. */
export function inspectCertificate(cert: ParsedCertificate, ctx: InspectContext): CertificateReport {
  const identity = extractIdentity(cert, ctx.profiles, { now: ctx.now });
  const caProfile = detectCaProfile(cert, ctx.profiles);
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    keyAlgorithm: cert.keyAlgorithm,
    signatureAlgorithm: cert.signatureAlgorithm,
    fingerprintSha256: cert.fingerprintSha256,
    caProfile: caProfile ? { id: caProfile.id, name: caProfile.name } : null,
    enterpriseName: enterpriseNameOf(cert, ctx.profiles)?.value ?? null,
    identity,
    checks: [
      checkValidity(cert, ctx.now, ctx.expiryWarningDays),
      checkKeyUsage(cert),
      checkChain(cert, ctx),
      checkSelfSigned(cert),
      checkWeakAlgorithm(cert),
      checkUscc(identity),
    ],
  };
}

export type LoginVerdict = 'usable' | 'unconfirmed' | 'unusable';

/**
 * The one-line answer to "can this certificate log in as a legal person?". Without a verified chain
 * it is never 可以: with no trusted root to check the issuer against, the honest answer is 无法确认.
 */
/** The clerk's line when no revocation source answered (network, CA service): what to do, no OCSP or CRL. */
export const REVOCATION_UNKNOWN_VERDICT = {
  zh: '暂时无法确认证书状态，请检查网络后重试；仍不行请联系单位管理员',
  en: 'The certificate\'s status cannot be confirmed right now. Check the network and try again; if it still fails, contact your organisation\'s administrator',
} as const;

export function loginVerdict(r: { checks: readonly { id: string; status: CheckStatus; message: string; messageEn?: string; code?: string }[] }): { verdict: LoginVerdict; message: string; messageEn: string } {
  const failed = r.checks.find((c) => c.status === 'fail');
  if (failed) return { verdict: 'unusable', message: `不能用于法人登录：${failed.message}`, messageEn: `Cannot log in as a legal person: ${failed.messageEn ?? failed.message}` };
  const chain = r.checks.find((c) => c.id === 'chain');
  if (chain && chain.status !== 'pass') {
    return {
      verdict: 'unconfirmed',
      // The clerk's line: what to do, no policy or folders (where an admin puts a root is the chain
      // check's detail, under 技术信息 and in the CLI).
      message: '无法确认能否用于法人登录：本机没有签发 CA 的根证书，无法核对签发者。请安装 CA 提供的证书驱动（通常会一并安装根证书），或联系单位管理员；门户登录时会自行核对。',
      messageEn: 'Cannot confirm legal-person login: this computer does not have the issuing CA\'s root certificate to check the issuer. Install the CA\'s certificate driver (it usually installs the root too) or contact your organisation\'s administrator; the portal checks it at login.',
    };
  }
  // Revocation on (main/login/certificate-revocation.ts): a link nobody could vouch for is not 可以.
  const revocation = r.checks.find((c) => c.id === 'revocation' && c.status === 'warn' && c.code === 'REVOCATION_UNKNOWN');
  if (revocation) {
    return {
      verdict: 'unconfirmed',
      // A plain action for the clerk; the check itself (why, what the admin can do) is under 技术信息.
      message: REVOCATION_UNKNOWN_VERDICT.zh,
      messageEn: REVOCATION_UNKNOWN_VERDICT.en,
    };
  }
  return { verdict: 'usable', message: '可以用于法人登录', messageEn: 'Can log in as a legal person' };
}
