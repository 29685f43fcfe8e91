// The certificate screen's empty state: which of driver / key / certificate is missing, and which
// CA's driver to install. Real peers where they exist: SoftHSM2 plays the USB key behind the worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { firstRunState, probeDrivers } from '../../../main/assistant/first-run.ts';
import { createCertificateService } from '../../../main/assistant/certificates.ts';
import { loadCaProfiles } from '../../../main/pki/ca-profiles.ts';
import { KeyStoreWorkerClient } from '../../../main/keystores/worker/client.ts';
import { forkWorkerSpawner } from '../../../main/keystores/worker/fork-transport.ts';
import { createSoftHsmToken, softHsmAvailable, SOFTHSM_MODULE } from '../../support/softhsm.ts';

const profiles = loadCaProfiles();

test('no driver on a Windows machine: says so and names each CA whose USB-key driver to install, with its site', () => {
  const s = firstRunState({ probes: [], profiles, platform: 'win32', windowsStore: true });
  assert.equal(s.status, 'no-driver');
  assert.match(s.message, /没有找到 USB Key 驱动/);
  assert.match(s.message, /Windows 证书存储中也没有证书/);
  const hebca = s.install.find((i) => i.ca === '河北CA');
  assert.deepEqual(hebca, { ca: '河北CA', caEn: 'HEBCA', drivers: ['HebcaP11X.dll'], website: 'https://www.hebca.com' });
  assert.ok(s.install.some((i) => i.ca === '北京CA' && i.drivers.includes('mtoken_gm3000.dll')), 'SKF libraries count too');
  // On Linux the profiles name no driver: no list, and the message does not point at one.
  const linux = firstRunState({ probes: [], profiles, platform: 'linux', windowsStore: false });
  assert.deepEqual(linux.install, []);
  assert.doesNotMatch(linux.message, /见下方|Windows/);
});

test('a driver that does not load: named with its CA, and a 32/64-bit mismatch says which build to install', () => {
  const s = firstRunState({
    probes: [{ kind: 'pkcs11', path: 'C:\\Windows\\System32\\HebcaP11X.dll', loads: false, keys: null, error: { code: 'DRIVER_ARCH_MISMATCH', message: '位数不符' } }],
    profiles, platform: 'win32', windowsStore: false,
  });
  assert.equal(s.status, 'driver-failed');
  assert.match(s.message, /hebcap11x\.dll（河北CA），但无法加载：驱动与证书助手的位数（32\/64 位）不一致/);
  assert.deepEqual(s.install.map((i) => i.ca), ['河北CA']);
  assert.equal(s.drivers[0]!.errorCode, 'DRIVER_ARCH_MISMATCH');
  assert.match(s.messageEn, /another architecture/);
});

test('a list with no certificate carries the first-run state; with certificates it does not', async () => {
  const svc = createCertificateService({
    now: () => new Date(), appVersion: 't', usbStores: () => [], openPkcs12: async () => { throw new Error('unused'); }, anchors: () => [],
    probeDrivers: async () => [], platform: 'win32', profiles,
  });
  const list = await svc.list();
  assert.equal(list.certificates.length, 0);
  assert.equal(list.firstRun?.status, 'no-driver');
});

test('SoftHSM2 behind the worker: no key inserted, then a key without certificates', { skip: softHsmAvailable() ? false : 'softhsm2 not installed' }, async () => {
  // An empty token folder: the driver loads and sees no initialised key.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-first-run-'));
  fs.mkdirSync(path.join(dir, 'tokens'));
  const conf = path.join(dir, 'softhsm2.conf');
  fs.writeFileSync(conf, `directories.tokendir = ${path.join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const empty = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner({ env: { ...process.env, SOFTHSM2_CONF: conf } }) });
  const token = createSoftHsmToken('空Key', []);
  const withKey = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner({ env: token.env }) });
  try {
    const probesNone = await probeDrivers((_k, module) => empty.call('pkcs11.tokens', { module }), { pkcs11: [SOFTHSM_MODULE], skf: [] });
    assert.deepEqual(probesNone.map((p) => [p.loads, p.keys]), [[true, 0]]);
    const none = firstRunState({ probes: probesNone, profiles, platform: 'linux', windowsStore: false });
    assert.equal(none.status, 'no-key');
    assert.match(none.message, /请把 USB Key 插入电脑/);

    const probesKey = await probeDrivers((_k, module) => withKey.call('pkcs11.tokens', { module }), { pkcs11: [SOFTHSM_MODULE], skf: [] });
    assert.equal(probesKey[0]!.keys, 1);
    assert.equal(firstRunState({ probes: probesKey, profiles, platform: 'linux', windowsStore: false }).status, 'key-empty');

    // A driver file that is not a PKCS#11 library: the worker's error, not a crash.
    const bogus = path.join(dir, 'not-a-driver.so');
    fs.writeFileSync(bogus, 'not an ELF');
    const probesBad = await probeDrivers((_k, module) => empty.call('pkcs11.tokens', { module }), { pkcs11: [bogus], skf: [] });
    assert.equal(probesBad[0]!.loads, false);
    assert.ok(probesBad[0]!.error?.code);
    assert.equal(firstRunState({ probes: probesBad, profiles, platform: 'linux', windowsStore: false }).status, 'driver-failed');
  } finally {
    await empty.close();
    await withKey.close();
    token.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
