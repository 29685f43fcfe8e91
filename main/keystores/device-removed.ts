import { AssistantError, isAssistantError } from '../errors.ts';

/**
 * A USB key pulled out mid-call shows up as whatever the driver makes of a vanished handle. Each
 * store lists the codes after which it asks "is the key still there?" and, when it is not, says
 * DEVICE_REMOVED with one message, naming the slot or device and keeping the driver's code as cause.
 */
export function mayMeanRemoved(e: unknown, codes: ReadonlySet<string>): e is AssistantError {
  return isAssistantError(e) && codes.has(e.code);
}

export function deviceRemovedError(where: { slot: number } | { device: string }, cause?: AssistantError): AssistantError {
  return new AssistantError('DEVICE_REMOVED', 'USB Key 已被拔出或无法访问，请重新插入后再试', {
    en: 'the key was removed or cannot be reached; insert it and retry',
    details: { ...where, ...(cause ? { cause: cause.code, ...(cause.details ?? {}) } : {}) },
  });
}
