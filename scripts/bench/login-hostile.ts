/**
 * CPU cost of a hostile SM2 token (issue 12, item 5) against a real one, in the same run: a
 * ~3 KB token whose CAs are self-issued look-alikes of the real HEBCA SM2 CA (same subject DN,
 * fresh keys: test/support/lookalike-chain.ts) versus a real enterprise's first login (leaf never
 * seen, its CA seen before: the verifier's leaf caches are cleared before each real token). Every
 * hostile token has its own fresh keys (an attacker defeats caches that way), so each is verified
 * once; real and hostile tokens alternate, CPU time (process.cpuUsage) per token, median of each.
 * Target: hostile <= 2x real. Prints one JSON value on stdout.
 */
import fs from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { getTestPki } from '../../test/fixtures/pki.ts';
import { PemKeyStore, chainIntermediates, testRoots } from '../../test/support/key-store.ts';
import { buildLookalikeSm2Chain } from '../../test/support/lookalike-chain.ts';
import { createLoginToken } from '../../main/login/token.ts';
import { clearVerifyCaches, verifyLoginToken, type ChallengeStore } from '../../main/login/verify.ts';

const ORIGIN = 'https://www.hbzwfw.gov.cn';
const CHALLENGE = Buffer.alloc(32, 0x42).toString('base64');
const TOKENS = Number(process.env['BENCH_HOSTILE_TOKENS'] ?? 12);
// The store is not what is measured: every challenge is known and fresh.
const store: ChallengeStore = { issue: async () => ({ challenge: CHALLENGE, expiresAt: new Date() }), consume: async () => 'ok', lookup: async () => 'ok' };

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number): number => Math.round(x * 1000) / 1000;

async function main(): Promise<void> {
  const pki = await getTestPki();
  const NOW = new Date(new Date(pki.generatedAt).getTime() + 3600_000);
  const trustAnchors = testRoots(pki);
  const realEntry = pki.get('hebca-sm2-ent');
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'bench-hostile-'));
  try {
    const make = async (entry: typeof realEntry, intermediates: Uint8Array[]): Promise<string> =>
      (await createLoginToken({ origin: ORIGIN, challenge: CHALLENGE, store: new PemKeyStore(entry, { intermediates }), identityId: '0', pin: '123456', appVersion: 'bench', now: NOW })).token;
    process.stderr.write(`login-hostile: building ${TOKENS} hostile tokens with OpenSSL …\n`);
    const hostile: string[] = [];
    for (let i = 0; i < TOKENS; i++) {
      const h = buildLookalikeSm2Chain(path.join(dir, String(i)), pki.get('hebca-sm2-ca'), realEntry, 4);
      hostile.push(await make(h.leaf, h.intermediates));
    }
    const real = await make(realEntry, chainIntermediates(pki, realEntry));
    const verify = (token: string) => verifyLoginToken(token, { origin: ORIGIN, trustAnchors, challengeStore: store, challenge: CHALLENGE, now: NOW });
    // Warm-up: the real CA's key and CA→root link are what a portal has after its first logins.
    for (let i = 0; i < 5; i++) {
      clearVerifyCaches();
      const r = await verify(real);
      if (!r.ok) throw new Error(`real token refused: ${r.code}`);
    }
    const cpu = async (fn: () => Promise<unknown>): Promise<number> => {
      const c0 = process.cpuUsage();
      await fn();
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / 1000;
    };
    const realMs: number[] = [];
    const hostileMs: number[] = [];
    const codes = new Set<string>();
    for (const token of hostile) {
      realMs.push(await cpu(async () => {
        clearVerifyCaches();
        const r = await verify(real);
        if (!r.ok) throw new Error(`real token refused: ${r.code}`);
      }));
      hostileMs.push(await cpu(async () => {
        const r = await verify(token);
        if (r.ok) throw new Error('hostile token accepted');
        codes.add(r.code);
      }));
    }
    const ratio = median(hostileMs) / median(realMs);
    process.stdout.write(JSON.stringify({
      realColdCpuMsMedian: round(median(realMs)),
      hostileCpuMsMedian: round(median(hostileMs)),
      hostileMaxCpuMs: round(Math.max(...hostileMs)),
      hostileVsReal: round(ratio),
      target: { hostileVsRealAtMost: 2, met: ratio <= 2 },
      hostileTokenBytes: hostile[0]!.length,
      refusedWith: [...codes],
      tokens: TOKENS,
      loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
    }, null, 2) + '\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
