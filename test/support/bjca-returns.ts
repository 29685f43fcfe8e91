/**
 * How BJCA's page libraries read an XTXApp answer, for our test clients: each function's declared
 * return type (as the public libraries declare them) and the conversion most deployed versions do —
 * bool is `retVal == "true"`, number is `Number(retVal)`, anything else the value itself. A client
 * that reads answers this way fails if the bridge sends a JSON `true` (`true == "true"` is false).
 */
const BOOL = [
  'SOF_Login', 'SOF_LoginEx', 'SOF_Logout', 'SOF_IsLogin', 'SOF_ChangePassWd', 'SOF_VerifySignedData', 'SOF_VerifySignedFile',
  'SOF_VerifySignedMessage', 'SOF_VerifySignedHashData', 'SOF_VerifySignedDataBase64', 'SOF_VerifySignedMessageBase64',
  'SOF_VerifySignedHashMessage', 'SOF_VerifySignedDataXML', 'SOF_VerifySignedByteData', 'SOF_EncryptFile', 'SOF_DecryptFile',
  'SOF_SymEncryptFile', 'SOF_SymDecryptFile', 'IsDeviceExist', 'IsContainerExist', 'ChangeAdminPass', 'UnlockUserPass',
  'UnlockUserPassEx', 'GenerateKeyPair', 'ImportSignCert', 'ImportEncCert', 'ImportEncCertEx', 'ImportKeyCertToSoftDevice',
  'ImportPfxToDevice', 'WriteFile', 'WriteFileEx', 'WriteFileBase64', 'DeleteFile', 'DeleteContainer', 'DeleteOldContainer',
  'InitDevice', 'InitDeviceEx', 'InitDeviceWithAppName', 'AddSignInfo', 'SetENVSN', 'CreateSoftDevice', 'DeleteSoftDevice',
  'EnableSoftDevice', 'SoftDeviceRestore', 'SetUserConfig', 'CheckSoftDeviceEnv', 'RemoteUnblockPIN',
];
const NUMBER = [
  'SOF_SetSignMethod', 'SOF_GetSignMethod', 'SOF_SetEncryptMethod', 'SOF_GetEncryptMethod', 'SOF_GetPinRetryCount',
  'SOF_GetRetryCount', 'SOF_GetLastError', 'SOF_ValidateCert', 'GetDeviceCount', 'GetDeviceCountEx', 'GetContainerCount',
  'SOF_UpdateCert', 'SOF_UpdateCertEx',
];

export type BjcaReturn = 'bool' | 'number' | 'string';

export const BJCA_RETURNS: Record<string, BjcaReturn> = Object.fromEntries([
  ...BOOL.map((f) => [f, 'bool'] as const),
  ...NUMBER.map((f) => [f, 'number'] as const),
]);

/** The older libraries' reading of `retVal` for `func` (kept as page-script source too: readBjcaAnswer). */
export function readBjcaAnswer(func: string, retVal: unknown): unknown {
  const kind = BJCA_RETURNS[func] ?? 'string';
  if (kind === 'bool') return retVal == 'true';
  if (kind === 'number') return Number(retVal);
  return retVal;
}

/** The same, as page-script source (the table inlined), for the e2e pages in Chromium. */
export const READ_BJCA_ANSWER_SOURCE = `const BJCA_RETURNS = ${JSON.stringify(BJCA_RETURNS)};
function readBjcaAnswer(func, retVal) {
  const kind = BJCA_RETURNS[func] || 'string';
  if (kind === 'bool') return retVal == 'true';
  if (kind === 'number') return Number(retVal);
  return retVal;
}
`;
