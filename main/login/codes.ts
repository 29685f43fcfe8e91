/** The verifier's reason codes, in the order the checks run, each with its zh-CN message (+ English). */
import { AssistantError } from '../errors.ts';

export const VERIFY_CODES = [
  'TOKEN_TOO_LARGE',
  'TOKEN_MALFORMED',
  'FORMAT_UNSUPPORTED',
  'CERT_MALFORMED',
  'CERT_DUPLICATE_EXTENSION',
  'KEY_USAGE',
  'EXTENDED_KEY_USAGE',
  'CERT_EXPIRED',
  'CERT_NOT_YET_VALID',
  'UNTRUSTED_CHAIN',
  'CRITICAL_EXTENSION',
  'ISSUER_KEY_USAGE',
  'PATH_LENGTH_EXCEEDED',
  'NAME_CONSTRAINTS',
  'NAME_CONSTRAINTS_UNSUPPORTED',
  'REVOKED',
  'REVOCATION_UNKNOWN',
  'CHALLENGE_UNKNOWN',
  'CHALLENGE_EXPIRED',
  'CHALLENGE_REUSED',
  'ORIGIN_MISMATCH',
  'ALGORITHM_MISMATCH',
  'BAD_SIGNATURE',
  'PERSONAL_CERTIFICATE',
  'IDENTITY_AMBIGUOUS',
  'USCC_MISSING',
  'USCC_INVALID',
  'USCC_MISMATCH',
] as const;

export type VerifyCode = (typeof VERIFY_CODES)[number];

export const VERIFY_MESSAGES: Record<VerifyCode, { zh: string; en: string }> = {
  TOKEN_TOO_LARGE: { zh: '登录令牌过大', en: 'login token is too large' },
  TOKEN_MALFORMED: { zh: '登录令牌格式错误', en: 'login token is malformed' },
  FORMAT_UNSUPPORTED: { zh: '不支持的登录令牌格式或算法', en: 'unsupported token format or algorithm' },
  CERT_MALFORMED: { zh: '令牌中的证书无法解析', en: 'certificate in the token cannot be parsed' },
  CERT_DUPLICATE_EXTENSION: { zh: '令牌中的证书有重复的扩展（格式错误）', en: 'a certificate in the token repeats an extension' },
  KEY_USAGE: { zh: '证书密钥用法不含数字签名，不能用于登录', en: 'certificate key usage lacks digitalSignature' },
  EXTENDED_KEY_USAGE: { zh: '证书的扩展密钥用法不含客户端身份验证，不能用于登录', en: 'extended key usage lacks clientAuth' },
  CERT_EXPIRED: { zh: '证书已过期', en: 'certificate has expired' },
  CERT_NOT_YET_VALID: { zh: '证书尚未生效', en: 'certificate is not yet valid' },
  UNTRUSTED_CHAIN: { zh: '证书不是由受信任的 CA 签发', en: 'certificate does not chain to a trusted CA' },
  CRITICAL_EXTENSION: { zh: '证书链中有无法识别的关键扩展', en: 'a certificate on the path has an unrecognised critical extension' },
  ISSUER_KEY_USAGE: { zh: '签发者的密钥用法不允许签发证书', en: 'an issuer\'s key usage lacks keyCertSign' },
  PATH_LENGTH_EXCEEDED: { zh: '证书链超出 CA 允许的中级 CA 层数', en: 'path length constraint exceeded' },
  NAME_CONSTRAINTS: { zh: '证书名称不符合 CA 的名称约束', en: 'a name violates a CA\'s name constraints' },
  NAME_CONSTRAINTS_UNSUPPORTED: { zh: 'CA 的名称约束无法处理，拒绝该证书链', en: 'a CA\'s name constraints cannot be processed' },
  REVOKED: { zh: '证书已被吊销', en: 'certificate has been revoked' },
  REVOCATION_UNKNOWN: { zh: '无法确认证书是否已被吊销', en: 'the certificate\'s revocation status cannot be confirmed' },
  CHALLENGE_UNKNOWN: { zh: '挑战值未知（不是本站签发的）', en: 'challenge unknown (not issued here)' },
  CHALLENGE_EXPIRED: { zh: '挑战值已过期，请刷新页面重新登录', en: 'challenge has expired' },
  CHALLENGE_REUSED: { zh: '挑战值已被使用（疑似重放）', en: 'challenge already used (replay)' },
  ORIGIN_MISMATCH: { zh: '令牌是为其他网站签发的', en: 'token was signed for another origin' },
  ALGORITHM_MISMATCH: { zh: '签名算法与证书密钥不符', en: 'algorithm does not fit the certificate key' },
  BAD_SIGNATURE: { zh: '签名验证失败', en: 'signature verification failed' },
  PERSONAL_CERTIFICATE: { zh: '这是个人证书（含居民身份证号），不能用于企业法人登录', en: 'personal certificate (holds a resident ID number): not for legal-person login' },
  IDENTITY_AMBIGUOUS: { zh: '证书中有两个不同的统一社会信用代码，无法确定是哪家企业，不能用于法人登录', en: 'the certificate names two different USCCs: the enterprise is ambiguous' },
  USCC_MISSING: { zh: '证书中未找到统一社会信用代码，不是企业法人证书', en: 'no USCC in the certificate' },
  USCC_INVALID: { zh: '证书中的统一社会信用代码无效', en: 'USCC in the certificate is invalid' },
  USCC_MISMATCH: { zh: '证书中的统一社会信用代码与账号不一致', en: 'USCC does not match the account' },
};

const CONTACT_CA = { zh: '请联系签发证书的 CA', en: 'contact the CA that issued your certificate' };
const RETRY = { zh: '请刷新页面后重新登录', en: 'reload the page and log in again' };

/**
 * What the person logging in reads (zh-CN first): plain words and what to do, never a DN, an OID,
 * a folder or a setting — those are the admin's message (`VERIFY_MESSAGES` + detail), for logs.
 */
export const VERIFY_CLERK_MESSAGES: Record<VerifyCode, { zh: string; en: string }> = {
  TOKEN_TOO_LARGE: { zh: `登录数据有误，${RETRY.zh}`, en: `The login data is invalid; ${RETRY.en}` },
  TOKEN_MALFORMED: { zh: `登录数据有误，${RETRY.zh}`, en: `The login data is invalid; ${RETRY.en}` },
  FORMAT_UNSUPPORTED: { zh: '您的证书助手版本与本网站不匹配，请更新证书助手后重试', en: 'Your certificate assistant does not match this site; update it and try again' },
  CERT_MALFORMED: { zh: `无法读取您的证书，${CONTACT_CA.zh}`, en: `Your certificate cannot be read; ${CONTACT_CA.en}` },
  CERT_DUPLICATE_EXTENSION: { zh: `您的证书格式有误，${CONTACT_CA.zh}`, en: `Your certificate is malformed; ${CONTACT_CA.en}` },
  KEY_USAGE: { zh: '这张证书不能用于登录（通常是加密证书），请选择同一 USB Key 中的签名证书', en: 'This certificate cannot log in (it is usually the encryption certificate); choose the signing certificate on the same USB key' },
  EXTENDED_KEY_USAGE: { zh: '这张证书不是用于登录的证书，请选择 USB Key 中用于登录的证书', en: 'This certificate is not meant for login; choose the login certificate on your USB key' },
  CERT_EXPIRED: { zh: `您的证书已过期，${CONTACT_CA.zh}办理更新`, en: `Your certificate has expired; ${CONTACT_CA.en} to renew it` },
  CERT_NOT_YET_VALID: { zh: '您的证书尚未生效，请检查电脑的日期和时间，或稍后再试', en: 'Your certificate is not valid yet; check the computer\'s date and time, or try later' },
  UNTRUSTED_CHAIN: { zh: '本网站不接受签发您证书的机构，请使用本网站支持的 CA 签发的证书，或联系本网站客服', en: 'This site does not accept the issuer of your certificate; use a certificate from a CA this site supports, or contact the site\'s help desk' },
  CRITICAL_EXTENSION: { zh: `您的证书不符合规范，${CONTACT_CA.zh}`, en: `Your certificate breaks the rules; ${CONTACT_CA.en}` },
  ISSUER_KEY_USAGE: { zh: `您的证书不符合规范，${CONTACT_CA.zh}`, en: `Your certificate breaks the rules; ${CONTACT_CA.en}` },
  PATH_LENGTH_EXCEEDED: { zh: `您的证书不符合规范，${CONTACT_CA.zh}`, en: `Your certificate breaks the rules; ${CONTACT_CA.en}` },
  NAME_CONSTRAINTS: { zh: `您的证书不符合规范，${CONTACT_CA.zh}`, en: `Your certificate breaks the rules; ${CONTACT_CA.en}` },
  NAME_CONSTRAINTS_UNSUPPORTED: { zh: `您的证书不符合规范，${CONTACT_CA.zh}`, en: `Your certificate breaks the rules; ${CONTACT_CA.en}` },
  REVOKED: { zh: `您的证书已被注销（吊销），不能再使用，${CONTACT_CA.zh}`, en: `Your certificate has been revoked and can no longer be used; ${CONTACT_CA.en}` },
  REVOCATION_UNKNOWN: { zh: '暂时无法确认您的证书状态，请稍后再试', en: 'The status of your certificate cannot be checked right now; try again later' },
  CHALLENGE_UNKNOWN: { zh: `登录已失效，${RETRY.zh}`, en: `The login has expired; ${RETRY.en}` },
  CHALLENGE_EXPIRED: { zh: `登录已超时，${RETRY.zh}`, en: `The login timed out; ${RETRY.en}` },
  CHALLENGE_REUSED: { zh: `登录已失效，${RETRY.zh}`, en: `The login has expired; ${RETRY.en}` },
  ORIGIN_MISMATCH: { zh: '登录数据不是为本网站生成的，请确认您访问的是正确的网站后重新登录', en: 'The login data was made for another site; make sure this is the right site and log in again' },
  ALGORITHM_MISMATCH: { zh: '签名与证书不符，请重新登录；多次失败请更新证书助手', en: 'The signature does not fit the certificate; log in again, and update the certificate assistant if it keeps failing' },
  BAD_SIGNATURE: { zh: '签名核对失败，请重新登录；多次失败请更新证书助手', en: 'The signature could not be verified; log in again, and update the certificate assistant if it keeps failing' },
  PERSONAL_CERTIFICATE: { zh: '这是个人证书，请使用单位（法人）证书登录', en: 'This is a personal certificate; log in with your organisation\'s (legal person) certificate' },
  IDENTITY_AMBIGUOUS: { zh: `您的证书中有两个不同的统一社会信用代码，无法确定是哪家单位，${CONTACT_CA.zh}`, en: `Your certificate names two different unified social credit codes; ${CONTACT_CA.en}` },
  USCC_MISSING: { zh: '您的证书中没有统一社会信用代码，请使用单位（法人）证书；2015 年以前的旧证书请向 CA 申请更新', en: 'Your certificate holds no unified social credit code; use your organisation\'s certificate, and renew a pre-2015 one with the CA' },
  USCC_INVALID: { zh: `您的证书中的统一社会信用代码有误，${CONTACT_CA.zh}`, en: `The unified social credit code in your certificate is wrong; ${CONTACT_CA.en}` },
  USCC_MISMATCH: { zh: '这张证书不属于当前账户的单位，请换用本单位的证书，或先在“账户设置”中绑定这张证书', en: 'This certificate belongs to another organisation than the account; use your organisation\'s certificate or bind this one under account settings first' },
};

/** One failed verification step: the code, the admin's message (with detail), and the clerk's plain one. */
export class LoginTokenRejection extends AssistantError {
  declare readonly code: VerifyCode;
  /** For the person logging in; `message` (with DNs, folders, settings) is for logs and administrators. */
  readonly clerkMessage: string;
  readonly clerkMessageEn: string;
  constructor(code: VerifyCode, detailZh?: string, detailEn?: string, details?: Record<string, unknown>) {
    const base = VERIFY_MESSAGES[code];
    super(code, detailZh ? `${base.zh}：${detailZh}` : base.zh, {
      en: detailEn ? `${base.en}: ${detailEn}` : base.en,
      ...(details ? { details } : {}),
    });
    this.clerkMessage = VERIFY_CLERK_MESSAGES[code].zh;
    this.clerkMessageEn = VERIFY_CLERK_MESSAGES[code].en;
  }
}
