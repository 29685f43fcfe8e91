import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { getTestPki } from '../../fixtures/pki.ts';
import { rejectsWith } from '../../support/assert-error.ts';
import { KeyStoreWorkerClient, type WorkerTransport } from '../../../main/keystores/worker/client.ts';
import { forkWorkerSpawner } from '../../../main/keystores/worker/fork-transport.ts';
import { openPkcs12InWorker } from '../../../main/keystores/worker/remote-store.ts';
import type { ClientToHost } from '../../../main/keystores/worker/protocol.ts';

// Issue 12, item 9: the app opens PFX files in the key-store worker (main/app/main.ts wires
// openPkcs12InWorker, as the e2e host does), so a file's key derivations never run in the process
// that draws the window, a hostile file is refused there by PFX_LIMITS, and a slow one is ended by
// the call's timeout.
const pki = await getTestPki();
const e = pki.get('hebca-ent');

describe('PFX files open in the key-store worker', () => {
  let dir: string;
  let nss: string;
  let mac4m: string;
  const seen: ClientToHost[] = [];
  let client: KeyStoreWorkerClient;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-pfx-worker-'));
    const exportPfx = (name: string, args: string[]): string => {
      const out = path.join(dir, name);
      execFileSync('openssl', ['pkcs12', '-export', '-in', e.certPem, '-inkey', e.keyPem, '-passout', 'pass:123456', '-out', out, ...args], { stdio: 'pipe' });
      return out;
    };
    // NSS's parameters: PBES2/PBKDF2-HMAC-SHA256 + AES-256-CBC for both bags, MAC with 600,000 iterations.
    nss = exportPfx('nss600k.pfx', ['-keypbe', 'AES-256-CBC', '-certpbe', 'AES-256-CBC', '-macalg', 'sha256', '-iter', '600000', '-maciter']);
    mac4m = exportPfx('mac4m.pfx', ['-keypbe', 'NONE', '-certpbe', 'NONE', '-macalg', 'sha256', '-iter', '4000000', '-maciter']);
    const spawn = forkWorkerSpawner();
    client = new KeyStoreWorkerClient({
      spawn: (): WorkerTransport => {
        const t = spawn();
        return { ...t, postMessage: (m) => { seen.push(m); t.postMessage(m); } };
      },
    });
  });
  after(async () => {
    await client?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('an NSS-style 600,000-iteration file: identities listed here, signatures made there, this process never blocked', async () => {
    await client.call('ping', {});
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const store = await openPkcs12InWorker(client, nss, '123456').finally(() => clearInterval(timer));
    // A decode in this process would have held the event loop for the whole open: no tick at all.
    assert.ok(ticks >= 3, `this process kept running while the worker derived keys (${ticks} ticks)`);
    const [ident, ...rest] = await store.listIdentities();
    assert.equal(rest.length, 0);
    assert.equal(ident!.algorithm, 'RS256');
    assert.deepEqual(Buffer.from(ident!.certificate), fs.readFileSync(e.certDer));
    const data = Buffer.from('tbs');
    const sig = await store.sign(ident!.id, data, 'RS256', '123456');
    assert.ok(verify('sha256', data, createPublicKey(fs.readFileSync(e.certPem)), sig), 'the worker signed with the file\'s key');
    await rejectsWith(store.sign(ident!.id, data, 'RS256', '654321'), 'PIN_INCORRECT');
    await rejectsWith(openPkcs12InWorker(client, nss, '654321'), 'PIN_INCORRECT');
    // The password crossed the boundary only inside the calls that need it.
    const withSecret = seen.filter((m) => JSON.stringify(m).includes('123456'));
    assert.deepEqual(withSecret.map((m) => (m.type === 'call' ? m.method : m.type)), ['pkcs12.open', 'store.sign']);
    await store.close();
  });

  test('4,000,000 iterations: PFX_TOO_EXPENSIVE from the worker at once; the worker lives on', async () => {
    const starts = client.starts;
    const details = await rejectsWith(openPkcs12InWorker(client, mac4m, '123456'), 'PFX_TOO_EXPENSIVE');
    assert.equal(details['work'], 4_000_000);
    assert.equal(client.starts, starts, 'refused by the cap, not ended by the timeout');
    assert.deepEqual(Object.keys(await client.call('ping', {})), ['pid']);
  });

  test('an open that outlasts its timeout: PFX_TIMEOUT, the worker is replaced and serves the next call', async () => {
    const slow = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner(), timeouts: { 'pkcs12.open': 30 } });
    try {
      const first = (await slow.call('ping', {})).pid;
      const details = await rejectsWith(openPkcs12InWorker(slow, nss, '123456'), 'PFX_TIMEOUT');
      assert.equal(details['method'], 'pkcs12.open');
      const second = (await slow.call('ping', {})).pid;
      assert.notEqual(second, first);
      assert.equal(slow.starts, 2);
    } finally {
      await slow.close();
    }
  });
});
