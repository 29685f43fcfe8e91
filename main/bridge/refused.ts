/**
 * Calls the bridge never serves for a web page, with the reason a diagnostics line and
 * docs/compat.md give. Everything not on a protocol's allowed table is refused too; these are
 * named so the refusal says why (and so the tests can try every one).
 */
export type RefusalReason = 'device-admin' | 'device-file' | 'local-file' | 'registry-process' | 'pin-change' | 'install' | 'gateway' | 'pin-read';

export const REFUSAL_MESSAGES: Record<RefusalReason | 'unknown', { zh: string; en: string }> = {
  'device-admin': { zh: '网页不能管理证书设备（初始化、解锁、导入、生成密钥等只能在证书助手中进行）', en: 'web pages may not administer key devices' },
  'device-file': { zh: '网页不能读写证书设备中的文件', en: 'web pages may not read or write files on key devices' },
  'local-file': { zh: '网页不能让证书助手读写本机文件', en: 'web pages may not make the assistant read or write local files' },
  'registry-process': { zh: '网页不能读写注册表、运行或结束程序、读取本机信息', en: 'web pages may not touch the registry, processes or machine information' },
  'pin-change': { zh: '修改 PIN 只能在证书助手自己的窗口中进行', en: 'PINs are changed only in the assistant’s own window' },
  install: { zh: '网页不能让证书助手下载、安装或启动程序', en: 'web pages may not make the assistant download, install or start programs' },
  gateway: { zh: '证书助手不提供安全网关客户端的代理、代填、网关会话与令牌功能', en: 'the assistant offers no gateway-client proxy, form-filling, gateway session or token functions' },
  'pin-read': { zh: '网页不能取得 PIN：PIN 只在证书助手自己的窗口中输入', en: 'web pages never get the PIN; it is typed only in the assistant’s own window' },
  unknown: { zh: '证书助手不提供该功能', en: 'the assistant does not offer this function' },
};

const BJCA_REFUSED: Record<string, RefusalReason> = {
  SOF_ChangePassWd: 'pin-change',
  SOF_SignDataByPriKey: 'device-admin',
  ChangeAdminPass: 'device-admin',
  GenerateKeyPair: 'device-admin',
  ImportPfxToDevice: 'device-admin',
  CreateSoftDevice: 'device-admin',
  DeleteSoftDevice: 'device-admin',
  EnableSoftDevice: 'device-admin',
  SoftDeviceBackup: 'device-admin',
  SoftDeviceRestore: 'device-admin',
  DeleteContainer: 'device-admin',
  DeleteOldContainer: 'device-admin',
  SetENVSN: 'device-admin',
  RemoteUnblockPIN: 'device-admin',
  DeleteFile: 'device-file',
  SOF_SignFile: 'local-file',
  SOF_VerifySignedFile: 'local-file',
  SOF_EncryptFile: 'local-file',
  SOF_DecryptFile: 'local-file',
  SOF_SignFileToSignedMessage: 'local-file',
  SOF_HashFile: 'local-file',
  EncryptFile: 'local-file',
  DecryptFile: 'local-file',
};

const HEBCA_REFUSED: Record<string, RefusalReason> = {
  ReadRegB64: 'registry-process',
  WriteRegB64: 'registry-process',
  Execute: 'registry-process',
  KillProcess: 'registry-process',
  GetMachineInfo: 'registry-process',
  OnlineFormatByURL: 'device-admin',
  OnlineResetPinByURL: 'device-admin',
  ImportCert: 'device-admin',
  ImportECCKeyPair: 'device-admin',
  GenKeyPair: 'device-admin',
  CreateSM2SoftDevice: 'device-admin',
  DeleteFromCertStore: 'device-admin',
  ChangePin: 'pin-change',
  DeleteData: 'device-file',
  EncryptFile: 'local-file',
  DecryptFile: 'local-file',
  SignFile: 'local-file',
  VerifyFile: 'local-file',
};

/** JIT PNXClient (docs/compat.md §8): installing/starting programs, gateway functions, machine data, PINs. */
const JIT_REFUSED: Record<string, RefusalReason> = {
  SetupClient: 'install',
  RunSetup: 'install',
  GetDownloadProgress: 'install',
  IsInstallComplete: 'install',
  SetUpdatePolicy: 'install',
  ExecuteCS: 'install',
  NavigateURL: 'install',
  SetPolicy: 'gateway',
  WaitSetPolicyFinish: 'gateway',
  GetAuthToken: 'gateway',
  GetAttribute: 'gateway',
  MessageAuth: 'gateway',
  GetSessionToken: 'gateway',
  GWLogout: 'gateway',
  DoClientSecurityCheck: 'gateway',
  CallQueueEnable: 'gateway',
  CallQueueClear: 'gateway',
  CallQueueGet: 'gateway',
  GetFinger: 'registry-process',
  GetClientIP: 'registry-process',
  ChangePinCode: 'pin-change',
};

/** Families named by prefix in the CAs' libraries (InitDevice…, Import…, ReadFile…, WriteData…). */
const BJCA_PREFIXES: Array<[RegExp, RefusalReason]> = [
  [/^InitDevice/, 'device-admin'],
  [/^UnlockUserPass/, 'device-admin'],
  [/^Import/, 'device-admin'],
  [/^(ReadFile|WriteFile)/, 'device-file'],
  [/File$/, 'local-file'],
];
const HEBCA_PREFIXES: Array<[RegExp, RefusalReason]> = [
  [/^(WriteData|ReadData)/, 'device-file'],
  [/^(Import|Gen|Create|Delete|Init|Unlock|Format|Reset)/, 'device-admin'],
  [/(Reg|Process|Machine)/, 'registry-process'],
  [/File/, 'local-file'],
];

/** Why a call is refused, or null when it is not one of the named refusals. */
export function refusalReason(protocol: 'bjca' | 'hebca' | 'jit', func: string): RefusalReason | null {
  const table = protocol === 'bjca' ? BJCA_REFUSED : protocol === 'hebca' ? HEBCA_REFUSED : JIT_REFUSED;
  if (Object.prototype.hasOwnProperty.call(table, func)) return table[func]!;
  for (const [re, reason] of protocol === 'bjca' ? BJCA_PREFIXES : protocol === 'hebca' ? HEBCA_PREFIXES : []) if (re.test(func)) return reason;
  return null;
}

/** Every named refusal (tests call each one). */
export const NAMED_REFUSALS = {
  bjca: [...Object.keys(BJCA_REFUSED), 'InitDevice', 'InitDeviceEx', 'UnlockUserPass', 'UnlockUserPassEx', 'ImportSignX509Cert', 'ImportEncX509Cert', 'ReadFile', 'WriteFile', 'ReadFileEx', 'WriteFileEx'],
  hebca: [...Object.keys(HEBCA_REFUSED), 'WriteData', 'ReadData', 'WriteDataB64', 'ReadDataB64'],
  jit: Object.keys(JIT_REFUSED),
};
