/** One HTTP request with a hard timeout and a size cap on the answer (CRLs, OCSP answers). */
export async function fetchBounded(url: string, init: RequestInit, limits: { timeoutMs: number; maxBytes: number }, what: string): Promise<Uint8Array> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(limits.timeoutMs) });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > limits.maxBytes) throw new Error(`${what} too large`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limits.maxBytes) throw new Error(`${what} too large`);
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
