/**
 * A JIT PNXClient client written from docs/compat.md §8 (not from any vendor library): POST
 * `QueryService` to the listener for a session URL, then POST `<Func>:<json>` there and read
 * `{"value": …}`. Plain node:http so the Origin and Host headers are exactly what a test says.
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function httpRequest(url: string, opts: { method?: string; body?: string; headers?: Record<string, string>; ca?: string } = {}): Promise<HttpAnswer> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request({
      host: u.hostname, port: u.port, path: u.pathname + u.search, method: opts.method ?? 'POST',
      headers: { 'Content-Type': 'text/plain;charset=UTF-8', ...(opts.headers ?? {}) },
      ...(opts.ca ? { ca: opts.ca } : {}),
      agent: false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body ?? '');
  });
}

export class JitClient {
  private constructor(readonly sessionUrl: string, readonly origin: string, private readonly ca?: string) {}

  static async open(listener: string, origin: string, ca?: string): Promise<JitClient> {
    const r = await httpRequest(listener, { body: 'QueryService', headers: { Origin: origin }, ...(ca ? { ca } : {}) });
    if (r.status !== 200) throw new Error(`QueryService: HTTP ${r.status}`);
    return new JitClient(r.body, origin, ca);
  }

  /** One call; the answer's `value`. */
  async call(func: string, args?: Record<string, unknown>): Promise<string | number> {
    const r = await this.raw(args === undefined ? `${func}:` : `${func}:${JSON.stringify(args)}`);
    if (r.status !== 200) throw new Error(`${func}: HTTP ${r.status}`);
    return (JSON.parse(r.body) as { value: string | number }).value;
  }

  raw(body: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    return httpRequest(this.sessionUrl, { body, headers: { Origin: this.origin, ...headers }, ...(this.ca ? { ca: this.ca } : {}) });
  }
}
