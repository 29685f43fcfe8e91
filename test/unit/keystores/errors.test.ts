import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deviceRemovedError, isKeyStoreErrorCode, isLocked, isWrongSecret, KEY_STORE_ERROR_CODES, WRONG_SECRET_CODES, LOCKED_CODES } from '../../../main/keystores/errors.ts';
import { ckrTable } from '../../../main/keystores/pkcs11/ckr.ts';
import { sarTable } from '../../../main/keystores/skf/sar.ts';
import { AssistantError } from '../../../main/errors.ts';

const KEYSTORES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../main/keystores');

test('every code the CK_RV and SAR tables give is in the closed key-store vocabulary', () => {
  for (const e of [...ckrTable(), ...sarTable()]) if (e.code !== 'OK') assert.ok(isKeyStoreErrorCode(e.code), `${e.name} → ${e.code}`);
});

test('every code raised in main/keystores is in the vocabulary, and the vocabulary names nothing that is never raised', () => {
  const raised = new Set<string>();
  const walk = (dir: string): void => {
    for (const f of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, f.name);
      if (f.isDirectory()) walk(p);
      else if (f.name.endsWith('.ts') && f.name !== 'errors.ts') {
        for (const m of readFileSync(p, 'utf8').matchAll(/AssistantError\('([A-Z0-9_]+)'|code: '([A-Z0-9_]+)'|toErrorInfo\([^,)]+, '([A-Z0-9_]+)'\)/g)) raised.add(m[1] ?? m[2] ?? m[3]!);
      }
    }
  };
  walk(KEYSTORES);
  raised.add('DEVICE_REMOVED');
  raised.delete('OK');
  for (const c of raised) assert.ok(isKeyStoreErrorCode(c), `raised but not in the vocabulary: ${c}`);
  for (const c of KEY_STORE_ERROR_CODES) assert.ok(raised.has(c), `in the vocabulary but raised nowhere: ${c}`);
});

test('isWrongSecret / isLocked: a refused PIN may be typed again, a locked key may not', () => {
  assert.deepEqual([...WRONG_SECRET_CODES], ['PIN_INCORRECT', 'PIN_LEN_RANGE']);
  assert.deepEqual([...LOCKED_CODES], ['PIN_LOCKED']);
  for (const c of WRONG_SECRET_CODES) assert.ok(isWrongSecret(c) && !isLocked(c), c);
  assert.ok(isLocked('PIN_LOCKED') && !isWrongSecret('PIN_LOCKED'));
  for (const c of ['DEVICE_REMOVED', 'USER_CANCELLED', 'PASSWORD_INCORRECT', 'PFX_PASSWORD_INCORRECT', '']) assert.ok(!isWrongSecret(c) && !isLocked(c), c);
});

test('DEVICE_REMOVED names the slot or device and keeps the driver\'s code as cause', () => {
  const cause = new AssistantError('SESSION_HANDLE_INVALID', 'x', { details: { function: 'C_Sign' } });
  assert.deepEqual(deviceRemovedError({ slot: 3 }, cause).details, { slot: 3, cause: 'SESSION_HANDLE_INVALID', function: 'C_Sign' });
  assert.deepEqual(deviceRemovedError({ device: 'Key 1' }).details, { device: 'Key 1' });
  assert.equal(deviceRemovedError({ slot: 0 }).code, 'DEVICE_REMOVED');
});
