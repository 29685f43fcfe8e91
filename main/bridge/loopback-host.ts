import type { IncomingMessage } from 'node:http';
import { LOOPBACK_HOSTNAMES } from '../../common/portal-origins.ts';

/** Host header must name loopback (a page reached through DNS rebinding names its own host). */
export function hostHeaderIsLoopback(req: IncomingMessage): boolean {
  const h = req.headers.host;
  if (typeof h !== 'string') return false;
  const m = /^(\[[0-9a-f:]+\]|[^:]+)(?::\d{1,5})?$/i.exec(h);
  return m !== null && LOOPBACK_HOSTNAMES.has(m[1]!.toLowerCase());
}
