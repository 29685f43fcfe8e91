// SoftHSM2 RSA-2048 sign latency: our koffi binding (C_SignInit+C_Sign in-process), the whole
// KeyStore.sign (login, find key, sign, logout) in-process and through the worker, against a raw
// C loop (dlopen + C_SignInit/C_Sign) compiled with gcc in the same run. Target: binding within
// 20% of raw C_Sign. Prints one JSON value; progress goes to stderr.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { getTestPki } from '../../test/fixtures/pki.ts';
import { createSoftHsmToken, softHsmAvailable, SOFTHSM_MODULE, USER_PIN } from '../../test/support/softhsm.ts';
import { Pkcs11Module, ulongBytes } from '../../main/keystores/pkcs11/binding.ts';
import { CKA_CLASS, CKA_ID, CKM_SHA256_RSA_PKCS, CKO_PRIVATE_KEY, CKU_USER } from '../../main/keystores/pkcs11/constants.ts';
import { Pkcs11KeyStore } from '../../main/keystores/pkcs11/store.ts';
import { KeyStoreWorkerClient } from '../../main/keystores/worker/client.ts';
import { forkWorkerSpawner } from '../../main/keystores/worker/fork-transport.ts';
import { WorkerKeyStore } from '../../main/keystores/worker/remote-store.ts';

const N = Number(process.env['BENCH_PKCS11_N'] ?? 400);
const ROUNDS = 3;
const DATA = Buffer.alloc(64, 0x5a);

const RAW_C = String.raw`
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
typedef unsigned long U;
typedef struct { U type; void *p; U len; } A;
typedef struct { U mech; void *p; U len; } M;
typedef struct { unsigned char major, minor; void *f[68]; } L;
typedef U (*gfl_t)(L **);
int main(int argc, char **argv) {
  const char *lib = argv[1]; U slot = strtoul(argv[2], 0, 10); const char *pin = argv[3]; long n = atol(argv[4]);
  void *h = dlopen(lib, RTLD_NOW); if (!h) { fprintf(stderr, "dlopen\n"); return 1; }
  L *fl; if (((gfl_t)dlsym(h, "C_GetFunctionList"))(&fl)) return 2;
  struct { void *a, *b, *c, *d; U flags; void *r; } ia = { 0, 0, 0, 0, 2, 0 };
  if (((U (*)(void *))fl->f[0])(&ia)) return 3;
  U s; if (((U (*)(U, U, void *, void *, U *))fl->f[12])(slot, 4, 0, 0, &s)) return 4;
  if (((U (*)(U, U, const char *, U))fl->f[18])(s, 1, pin, strlen(pin))) return 5;
  U cls = 3; unsigned char id = 1; A t[2] = { { 0, &cls, sizeof cls }, { 0x102, &id, 1 } };
  ((U (*)(U, A *, U))fl->f[26])(s, t, 2); U k, cnt = 0; ((U (*)(U, U *, U, U *))fl->f[27])(s, &k, 1, &cnt); ((U (*)(U))fl->f[28])(s);
  if (cnt != 1) return 6;
  unsigned char data[64]; memset(data, 0x5a, 64); unsigned char sig[1024]; M m = { 0x40, 0, 0 };
  for (long i = 0; i < n / 10 + 1; i++) { U sl = sizeof sig; ((U (*)(U, M *, U))fl->f[42])(s, &m, k); ((U (*)(U, unsigned char *, U, unsigned char *, U *))fl->f[43])(s, data, 64, sig, &sl); }
  struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) {
    U sl = sizeof sig;
    if (((U (*)(U, M *, U))fl->f[42])(s, &m, k)) return 7;
    if (((U (*)(U, unsigned char *, U, unsigned char *, U *))fl->f[43])(s, data, 64, sig, &sl) || sl != 256) return 8;
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.3f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / n);
  return 0;
}
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
const round3 = (x: number) => Math.round(x * 1000) / 1000;

async function perOpUs(n: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < Math.ceil(n / 10); i++) await fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - t0) / 1e3 / n;
}

async function main(): Promise<void> {
  if (!softHsmAvailable()) {
    process.stdout.write(JSON.stringify({ skipped: 'softhsm2 / pkcs11-tool not installed' }) + '\n');
    return;
  }
  const pki = await getTestPki();
  const ent = pki.get('hebca-ent');
  const token = createSoftHsmToken('bench', [{ id: '01', label: 'bench', keyPem: ent.keyPem, certDer: ent.certDer }]);
  process.env['SOFTHSM2_CONF'] = token.conf;
  const client = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner({ env: token.env }) });
  try {
    const raw = path.join(token.dir, 'raw-sign');
    fs.writeFileSync(raw + '.c', RAW_C);
    execFileSync('gcc', ['-O2', '-o', raw, raw + '.c', '-ldl']);

    const m = Pkcs11Module.load(SOFTHSM_MODULE);
    m.initialize();
    const slot = m.slots(true).find((s) => m.tokenInfo(s).label === 'bench')!;
    const session = m.openSession(slot);
    // KeyStore.sign below logs out (login state is per application), so log in again each round.
    const loginAndFindKey = () => {
      const rv = m.login(session, CKU_USER, Buffer.from(USER_PIN));
      if (rv !== 0 && rv !== 0x100) throw new Error('login failed');
      return m.findObjects(session, [{ type: CKA_CLASS, value: ulongBytes(CKO_PRIVATE_KEY) }, { type: CKA_ID, value: Buffer.from([1]) }])[0]!;
    };

    const store = Pkcs11KeyStore.open(SOFTHSM_MODULE);
    const identityId = `${slot}:01`;
    const remote = new WorkerKeyStore(client, { kind: 'pkcs11', module: SOFTHSM_MODULE });
    await remote.listIdentities();

    const rounds: Record<string, number[]> = { rawC: [], binding: [], storeInProcess: [], storeViaWorker: [] };
    for (let r = 0; r < ROUNDS; r++) {
      process.stderr.write(`pkcs11 bench round ${r + 1}/${ROUNDS} (n=${N})\n`);
      rounds['rawC']!.push(Number(execFileSync(raw, [SOFTHSM_MODULE, String(slot), USER_PIN, String(N)], { env: token.env, encoding: 'utf8' }).trim()));
      const key = loginAndFindKey();
      rounds['binding']!.push(await perOpUs(N, () => m.sign(session, CKM_SHA256_RSA_PKCS, key, DATA)));
      rounds['storeInProcess']!.push(await perOpUs(Math.ceil(N / 4), () => store.sign(identityId, DATA, 'RS256', USER_PIN)));
      rounds['storeViaWorker']!.push(await perOpUs(Math.ceil(N / 4), () => remote.sign(identityId, DATA, 'RS256', USER_PIN)));
    }
    m.closeSession(session);
    await store.close();

    const med = Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, median(v)])) as Record<string, number>;
    const ratio = med['binding']! / med['rawC']!;
    process.stdout.write(JSON.stringify({
      unit: 'microseconds per RSA-2048 SHA256-RSA-PKCS signature (median of rounds)',
      n: N, rounds: ROUNDS,
      rawC_SignUs: round3(med['rawC']!),
      bindingSignUs: round3(med['binding']!),
      keyStoreSignInProcessUs: round3(med['storeInProcess']!),
      keyStoreSignViaWorkerUs: round3(med['storeViaWorker']!),
      bindingOverRaw: round3(ratio),
      target: 'bindingOverRaw <= 1.2',
      targetMet: ratio <= 1.2,
      perRound: Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, v.map(round3)])),
    }) + '\n');
  } finally {
    await client.close();
    token.cleanup();
  }
}

await main();
