/**
 * Starts the reference portal:
 *   npm start -- [--port 8787] [--db FILE] [--trust PEM_OR_DIR]... [--origin URL] [--crl FILE]... [--redis URL]
 * With --redis, challenges live in that Redis (cert-assistant/redis-challenge-store), so several
 * instances behind one load balancer share them and a challenge is single-use across all of them.
 * (from the repository root: `npm run portal -- …`, which also passes the service guide and, without
 * --trust, the generated test PKI's roots). Binds only to 127.0.0.1 and prints `listening on <url>`.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ChallengeStore } from 'cert-assistant/verifier';
import { buildPortal } from './app.ts';
import type { GuideSource } from './sites.ts';
import { loadTrustFiles } from './trust.ts';

/** What the host passes in besides the command line. */
export interface PortalServerExtras {
  /** Trust anchors when --trust is not given (default: none, and every certificate login is refused). */
  defaultTrust?: () => Promise<Uint8Array[]>;
  guide?: GuideSource | null;
}

/** Runs the server; returns an exit code, or -1 while it is listening. */
export async function runPortalServer(argv: string[], extras: PortalServerExtras = {}): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' }, db: { type: 'string' }, trust: { type: 'string', multiple: true },
        origin: { type: 'string' }, crl: { type: 'string', multiple: true }, redis: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`参数错误：${(e as Error).message}\n用法：npm start -- [--port P] [--db FILE] [--trust PEM_OR_DIR] [--origin URL] [--redis URL]\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write('用法：npm start -- [--port 8787] [--db FILE] [--trust PEM_OR_DIR]... [--origin URL] [--crl FILE]... [--redis redis://HOST:PORT]\n');
    return 0;
  }
  const port = values.port === undefined ? 8787 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`参数错误：--port 须为 0–65535 的整数\n`);
    return 2;
  }
  let dbFile = values.db;
  if (!dbFile) {
    const dir = path.join(os.tmpdir(), 'cert-portal');
    mkdirSync(dir, { recursive: true });
    dbFile = path.join(dir, 'portal.sqlite');
  }
  let trustAnchors: Uint8Array[];
  try {
    trustAnchors = values.trust?.length ? loadTrustFiles(values.trust) : ((await extras.defaultTrust?.()) ?? []);
  } catch (e) {
    process.stderr.write(`无法读取信任根：${(e as Error).message}\n`);
    return 1;
  }
  if (trustAnchors.length === 0) process.stderr.write('警告：没有配置信任根（--trust），所有证书登录都会被拒绝。Warning: no trust anchors.\n');

  // With --port 0 the origin is only known after listen.
  let listenedOrigin = `http://127.0.0.1:${port}`;
  const originOpt = values.origin;
  let crls: Uint8Array[] | undefined;
  try {
    crls = values.crl?.map((f) => new Uint8Array(readFileSync(f)));
  } catch (e) {
    process.stderr.write(`无法读取 CRL：${(e as Error).message}\n`);
    return 1;
  }
  let redisStore: { close(): Promise<void> } & ChallengeStore | undefined;
  if (values.redis !== undefined) {
    if (!/^rediss?:\/\//.test(values.redis)) {
      process.stderr.write('参数错误：--redis 须为 redis://主机:端口 形式的地址\n');
      return 2;
    }
    // Loaded only here: a portal without --redis never loads the Redis client.
    const { RedisChallengeStore } = await import('cert-assistant/redis-challenge-store');
    const store = new RedisChallengeStore({ redis: values.redis });
    try {
      await store.lookup('probe', new Date());
    } catch (e) {
      process.stderr.write(`无法连接 Redis（${values.redis}）：${(e as Error).message}\n`);
      await store.close();
      return 1;
    }
    redisStore = store;
  }
  const app = await buildPortal({
    dbFile, origin: originOpt ?? (() => listenedOrigin), trustAnchors, guide: extras.guide ?? null, ...(crls ? { crls } : {}),
    ...(redisStore ? { challengeStore: redisStore } : {}),
  });
  if (redisStore) { const s = redisStore; app.addHook('onClose', async () => { await s.close(); }); }
  try {
    await app.listen({ host: '127.0.0.1', port });
  } catch (e) {
    const code = (e as { code?: string }).code;
    process.stderr.write(code === 'EADDRINUSE' ? `端口 ${port} 已被占用，请换一个端口（--port）\n` : `无法监听 127.0.0.1:${port}：${(e as Error).message}\n`);
    await app.close();
    return 1;
  }
  const addr = app.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  listenedOrigin = `http://127.0.0.1:${actualPort}`;
  process.stdout.write(`listening on ${listenedOrigin}\n`);
  if (originOpt) process.stderr.write(`origin: ${originOpt}\n`);
  process.stderr.write(`db: ${dbFile}; trust anchors: ${trustAnchors.length}; challenges: ${redisStore ? 'redis' : 'sqlite'}\n`);
  const stop = () => { void app.close().then(() => process.exit(0)); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return -1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const code = await runPortalServer(process.argv.slice(2));
  if (code >= 0) process.exitCode = code;
}
