import assert from 'node:assert/strict';
import { isAssistantError } from '../../main/errors.ts';

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
