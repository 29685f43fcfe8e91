/**
 * SKF (GM/T 0016) with Windows' ABI for real: a mingw-built fake key (test/fixtures/skf-fake/win-key.c,
 * DEVINFO packed to 1 byte, DEVAPI __stdcall) loaded by koffi on Node for Windows, in process and
 * through the key-store worker; its crashing SKF_RSASignData costs a worker restart.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import koffi from 'koffi';
import { declareSkf, SkfModule } from '../../main/keystores/skf/binding.ts';
import { KeyStoreWorkerClient } from '../../main/keystores/worker/client.ts';
import { forkWorkerSpawner } from '../../main/keystores/worker/fork-transport.ts';
import { WorkerKeyStore } from '../../main/keystores/worker/remote-store.ts';
import { rejectsWith } from '../support/assert-error.ts';
import { fakeDll, testPki, winEnv } from './support.ts';

const cert = () => testPki().get('hebca-ent').certDer;

describe('SKF with the Windows ABI', () => {
  test('DEVINFO is packed: its ULONGs start right after 198 bytes of text', () => {
    const { DEVINFO } = declareSkf(true).types;
    assert.equal(koffi.offsetof(DEVINFO, 'AlgSymCap'), 198);
    assert.equal(koffi.sizeof(DEVINFO), 198 + 8 * 4 + 64);
  });

  test('a mingw-built SKF library answers through koffi: device info, application, PIN, container, certificate', () => {
    process.env['FAKE_SKF_CERT'] = cert();
    const m = SkfModule.load(fakeDll('skf-key'));
    assert.deepEqual(m.enumDevices(), ['FakeKey']);
    const dev = m.connect('FakeKey');
    const info = m.devInfo(dev);
    assert.deepEqual(
      { label: info.label, serial: info.serial, manufacturer: info.manufacturer, issuer: info.issuer, algAsymCap: info.algAsymCap, maxBufferSize: info.maxBufferSize, firmware: info.firmwareVersion },
      { label: 'FakeKey', serial: 'WIN0001', manufacturer: 'Fake Vendor', issuer: 'Fake CA', algAsymCap: 0x20100, maxBufferSize: 2048, firmware: '3.1' },
    );
    assert.deepEqual(m.applications(dev), ['APP']);
    const app = m.openApplication(dev, 'APP');
    assert.deepEqual(m.pinInfo(app), { maxRetry: 6, remainRetry: 6, defaultPin: false });
    assert.deepEqual(m.containers(app), ['RSA']);
    const con = m.openContainer(app, 'RSA');
    assert.equal(m.containerType(con), 1);
    assert.deepEqual(m.exportCertificate(con, true), fs.readFileSync(cert()));
    m.closeContainer(con);
    m.closeApplication(app);
    m.disconnect(dev);
  });
});

describe('the key-store worker on Windows with an SKF key', () => {
  let client: KeyStoreWorkerClient;
  before(() => {
    client = new KeyStoreWorkerClient({ spawn: forkWorkerSpawner({ entry: winEnv.worker, env: { ...process.env, FAKE_SKF_CERT: cert() } }), timeouts: { 'store.sign': 8_000 }, startTimeoutMs: 60_000 });
  });
  after(async () => {
    await client?.close();
  });

  test('skf.describe lists the device, its application and the identity', async () => {
    const report = await client.call('skf.describe', { module: fakeDll('skf-key') });
    assert.equal(report.devices.length, 1);
    const d = report.devices[0]!;
    assert.equal(d.info?.serial, 'WIN0001');
    assert.equal(d.applications[0]?.name, 'APP');
    assert.equal(d.applications[0]?.identities.length, 1);
  });

  test('SKF_RSASignData crashes → WORKER_CRASHED (after the PIN was verified); a fresh worker answers', async () => {
    const { pid } = await client.call('ping', {});
    const store = new WorkerKeyStore(client, { kind: 'skf', module: fakeDll('skf-key') });
    const ids = await store.listIdentities();
    assert.equal(ids.length, 1);
    await rejectsWith(store.sign(ids[0]!.id, Buffer.from('tbs'), 'RS256', '1234'), 'WORKER_CRASHED');
    assert.notEqual((await client.call('ping', {})).pid, pid);
  });
});
