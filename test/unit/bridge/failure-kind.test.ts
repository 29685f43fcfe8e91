/**
 * One decision of what a host error means, answered in each protocol's own numbers: a pulled-out
 * key, a wrong or locked PIN, a refusal, a key that does not match its certificate read the same on
 * BJCA (SOF_GetLastError), HEBCA (`ret`) and JIT (GetLastError), and the message is the error's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssistantError } from '../../../main/errors.ts';
import { hostFailure, SOR } from '../../../main/bridge/bjca.ts';
import { BRIDGE_ERR, numberedFailure } from '../../../main/bridge/numbered-errors.ts';
import { failureKind } from '../../../main/bridge/failure-kind.ts';
import { KEY_STORE_ERROR_CODES } from '../../../main/keystores/errors.ts';

const err = (code: string) => new AssistantError(code, `测试：${code}`, { en: code });

test('each kind of host failure gets its number in BJCA and in HEBCA/JIT, with the zh-CN message', () => {
  const table: Array<[string, number, number]> = [
    ['USER_DENIED', SOR.USER_DENIED, BRIDGE_ERR.USER_DENIED],
    ['CONSENT_TIMEOUT', SOR.USER_DENIED, BRIDGE_ERR.USER_DENIED],
    ['CONSENT_BUSY', SOR.USER_DENIED, BRIDGE_ERR.BUSY],
    ['PIN_INCORRECT', SOR.PIN_INCORRECT, BRIDGE_ERR.PIN_INCORRECT],
    ['PIN_INVALID', SOR.PIN_INCORRECT, BRIDGE_ERR.PIN_INCORRECT],
    ['PIN_LOCKED', SOR.PIN_LOCKED, BRIDGE_ERR.PIN_LOCKED],
    ['DEVICE_TIMEOUT', SOR.TIMEOUT, BRIDGE_ERR.TIMEOUT],
    // The USB key pulled out during the call: the page is told the certificate is gone.
    ['DEVICE_REMOVED', SOR.CERT_NOT_FOUND, BRIDGE_ERR.NO_CERT],
    ['TOKEN_NOT_PRESENT', SOR.CERT_NOT_FOUND, BRIDGE_ERR.NO_CERT],
    ['NO_CERTIFICATE', SOR.CERT_NOT_FOUND, BRIDGE_ERR.NO_CERT],
    // PFX and Windows stores say KEY_CERT_MISMATCH, SKF says KEY_CERTIFICATE_MISMATCH: one meaning.
    ['KEY_CERT_MISMATCH', SOR.DECRYPT, BRIDGE_ERR.DECRYPT_FAILED],
    ['KEY_CERTIFICATE_MISMATCH', SOR.DECRYPT, BRIDGE_ERR.DECRYPT_FAILED],
    ['ENVELOPE_NOT_FOR_RECIPIENT', SOR.DECRYPT, BRIDGE_ERR.DECRYPT_FAILED],
    ['ENVELOPE_MALFORMED', SOR.INDATA, BRIDGE_ERR.BAD_PARAM],
    ['ALGORITHM_MISMATCH', SOR.ALGO_TYPE, BRIDGE_ERR.ALGORITHM_MISMATCH],
    ['SOF_CERT_INFO_TYPE', SOR.NOT_SUPPORTED, BRIDGE_ERR.NOT_SUPPORTED],
    ['SOF_CERT_INVALID', SOR.INDATA, BRIDGE_ERR.BAD_PARAM],
    ['OPERATION_NOT_SUPPORTED', SOR.NOT_SUPPORTED, BRIDGE_ERR.NOT_SUPPORTED],
    ['SKF_FAILED', SOR.UNKNOWN, BRIDGE_ERR.FAILED],
  ];
  for (const [code, sof, numbered] of table) {
    assert.deepEqual(hostFailure(err(code)), { code: sof, message: `测试：${code}` }, code);
    assert.deepEqual(numberedFailure(err(code)), { ret: numbered, msg: `测试：${code}` }, code);
  }
});

test('every key-store error code has a kind; the PIN, removal and mismatch codes are never "other"', () => {
  for (const code of KEY_STORE_ERROR_CODES) {
    const kind = failureKind(code);
    assert.ok(typeof kind === 'string', code);
    if (/^PIN_(INCORRECT|INVALID|LEN_RANGE|LOCKED)$|^DEVICE_REMOVED$|^TOKEN_NOT_PRESENT$|MISMATCH$/.test(code)) assert.notEqual(kind, 'other', code);
  }
  // Something that is not an AssistantError is a failure of its own kind, never a crash.
  assert.equal(hostFailure(new Error('boom')).code, SOR.UNKNOWN);
  assert.equal(numberedFailure('boom').ret, BRIDGE_ERR.FAILED);
});
