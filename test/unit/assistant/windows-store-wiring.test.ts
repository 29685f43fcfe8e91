// The Windows certificate store as the app wires it (the real store runs in
// test/windows/winstore.win.test.ts under Wine): one `windows` store when the app runs on Windows,
// shown with its own source and the CSP it lives behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createCertificateService, usbKeyStores, WINDOWS_STORE_LABEL } from '../../../main/assistant/certificates.ts';
import type { KeyStore } from '../../../main/keystores/types.ts';
import type { StoreSpec } from '../../../main/keystores/worker/protocol.ts';
import { getTestPki } from '../../fixtures/pki.ts';

test('usbKeyStores: a `windows` store (CurrentUser\\My, LocalMachine\\My as policy says) only when asked', () => {
  const specs: StoreSpec[] = [];
  const open = (spec: StoreSpec) => { specs.push(spec); return { kind: spec.kind } as unknown as KeyStore; };
  assert.deepEqual(usbKeyStores(open, { pkcs11: [], skf: [] }).map((r) => r.storeId), []);
  const regs = usbKeyStores(open, { pkcs11: ['/usr/lib/a.so'], skf: [], windowsStore: { localMachine: true } });
  assert.deepEqual(regs.map((r) => [r.storeId, r.source, r.label]), [['usb-1', 'usb', 'a.so'], ['windows', 'windows', WINDOWS_STORE_LABEL]]);
  assert.deepEqual(specs.at(-1), { kind: 'windows', localMachine: true });
});

test('certificate screen: a Windows-store identity shows source windows, its CSP as the place, no PIN line', async () => {
  const pki = await getTestPki();
  const der = new Uint8Array(readFileSync(pki.get('hebca-ent').certDer));
  const store: KeyStore = {
    kind: 'windows',
    listIdentities: async () => [{ id: 'f'.repeat(64), label: 'x', certificate: der, intermediates: [], algorithm: 'RS256', location: { kind: 'windows', store: 'CurrentUser\\My', provider: 'HaiTai Cryptographic Service Provider', container: 'c' } }],
    pinState: async () => { throw new Error('not asked for the Windows store'); },
    sign: async () => { throw new Error('unused'); },
    close: async () => {},
  };
  const service = createCertificateService({
    now: () => new Date(), appVersion: 't', usbStores: () => [{ storeId: 'windows', source: 'windows', label: WINDOWS_STORE_LABEL, store }],
    openPkcs12: async () => { throw new Error('unused'); }, anchors: () => [],
  });
  const list = await service.list();
  assert.deepEqual(list.problems, []);
  const c = list.certificates[0]!;
  assert.equal(c.id, `windows/${'f'.repeat(64)}`);
  assert.equal(c.source, 'windows');
  assert.equal(c.sourceLabel, 'HaiTai Cryptographic Service Provider');
  assert.equal(c.pin, null);
});
