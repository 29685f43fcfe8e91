import assert from 'node:assert/strict';
import { isAssistantError, type AssistantError } from '../../main/errors.ts';

/** Awaits `p`, which must fail with an AssistantError of `code` and a zh-CN message; returns its details. */
export async function rejectsWith(p: Promise<unknown>, code: string): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (e) {
    assert.ok(isAssistantError(e), `expected AssistantError, got ${String(e)}`);
    assert.equal(e.code, code, `${e.code}: ${e.message}`);
    assert.match(e.message, /[\u4e00-\u9fff]/u, 'zh-CN message');
    return e.details ?? {};
  }
  assert.fail(`expected ${code}`);
}

/** A verifier result that must be a refusal with `code` and a zh-CN message. */
export function rejected(r: { ok: true } | { ok: false; code: string; message: string }, code: string): void {
  assert.equal(r.ok, false, `expected ${code}, got ok`);
  if (!r.ok) {
    assert.equal(r.code, code, r.message);
    assert.match(r.message, /[\u4e00-\u9fff]/, 'zh-CN message');
  }
}

/** The code `p` is refused with (an AssistantError's), or `'resolved'` when it is not refused. */
export async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as AssistantError).code;
  }
  return 'resolved';
}
