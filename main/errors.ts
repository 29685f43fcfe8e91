/**
 * Errors are values: a stable `code` for programs and tests, a zh-CN message for people,
 * an English translation second. Never carries a stack to the user.
 */
export interface ErrorInfo {
  code: string;
  message: string;
  messageEn?: string;
  details?: Record<string, unknown>;
}

export class AssistantError extends Error {
  readonly code: string;
  readonly messageEn: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, opts: { en?: string; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AssistantError';
    this.code = code;
    this.messageEn = opts.en;
    this.details = opts.details;
  }

  toJSON(): ErrorInfo {
    const out: ErrorInfo = { code: this.code, message: this.message };
    if (this.messageEn !== undefined) out.messageEn = this.messageEn;
    if (this.details !== undefined) out.details = this.details;
    return out;
  }
}

export function isAssistantError(e: unknown): e is AssistantError {
  return e instanceof AssistantError;
}

/** Turns anything thrown into a user-safe error value (no stack, no internals). */
export function toErrorInfo(e: unknown, fallbackCode = 'INTERNAL_ERROR'): ErrorInfo {
  if (e instanceof AssistantError) return e.toJSON();
  return { code: fallbackCode, message: '内部错误，请重试或联系管理员', messageEn: 'Internal error' };
}
