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

/** One failed verification step: the code, and a more specific message when there is one. */
export class LoginTokenRejection extends AssistantError {
  declare readonly code: VerifyCode;
  constructor(code: VerifyCode, detailZh?: string, detailEn?: string, details?: Record<string, unknown>) {
    const base = VERIFY_MESSAGES[code];
    super(code, detailZh ? `${base.zh}：${detailZh}` : base.zh, {
      en: detailEn ? `${base.en}: ${detailEn}` : base.en,
      ...(details ? { details } : {}),
    });
  }
}
