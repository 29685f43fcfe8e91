/**
 * A page on an origin that is not allowed is refused at the WebSocket handshake — and BJCA's older
 * libraries reconnect at once on every error, so the refusals come in a tight loop: each one is
 * refused (403, nothing sent), but at most 10 a second reach the diagnostics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBridgeServer } from '../../../main/bridge/server.ts';
import type { BridgeHost, BridgeNote } from '../../../main/bridge/types.ts';
import { BjcaClient, HebcaClient } from '../../support/bridge.ts';

test('a refused page reconnecting in a loop: every handshake 403, at most 10 refused notes a second', async () => {
  let now = 7_000_000;
  const notes: BridgeNote[] = [];
  const host: BridgeHost = {
    certificates: async () => [],
    sign: async () => { throw new Error('unused'); },
    decrypt: async () => { throw new Error('unused'); },
    note: (n) => notes.push(n),
  };
  const server = await startBridgeServer({ protocols: ['bjca', 'hebca'], ports: { bjcaWs: 0, hebca: 0 }, host, isAllowedOrigin: () => false, now: () => now });
  try {
    const bjca = server.endpoints.find((e) => e.protocol === 'bjca')!.url;
    const hebca = server.endpoints.find((e) => e.protocol === 'hebca' && e.host === '127.0.0.1')!.url;
    for (let i = 0; i < 15; i++) await assert.rejects(BjcaClient.open(bjca, 'https://evil.example'), /403/);
    for (let i = 0; i < 10; i++) await assert.rejects(HebcaClient.open(hebca, 'https://evil.example'), /403/);
    assert.equal(notes.length, 10);
    assert.deepEqual(notes[0], { event: 'refused', origin: 'https://evil.example', reason: 'origin-not-allowed', protocol: 'bjca' });
    now += 1_000;
    await assert.rejects(BjcaClient.open(bjca, null), /403/);
    assert.equal(notes.length, 11);
    assert.equal(notes[10]!['reason' as keyof BridgeNote], 'no-origin');
  } finally {
    await server.close();
  }
});
