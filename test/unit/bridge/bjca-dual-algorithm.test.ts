/**
 * Government pages built on BJCA's library call SetUserConfig(16, "SM2") as they load ("一证通双算法
 * 证书默认使用SM2证书"): of a dual-algorithm key — an RSA and an SM2 certificate of one subject — the
 * user list then offers the SM2 one (or the RSA one for "RSA"); certificates without a twin stay.
 * The pair here is real: the same subject issued by the RSA and the SM2 test CAs, with OpenSSL.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { SOR } from '../../../main/bridge/bjca.ts';
import { startBridgeServer, type BridgeServer } from '../../../main/bridge/server.ts';
import type { BridgeCertificate, BridgeHost } from '../../../main/bridge/types.ts';
import { getTestPki } from '../../fixtures/pki.ts';
import { BjcaClient } from '../../support/bridge.ts';
import { reissue } from '../../support/reissue.ts';
import { scratchDir } from '../../support/scratch.ts';

const ORIGIN = 'http://127.0.0.1:8961';
const dir = scratchDir('ca-dual-');
let server: BridgeServer;
let certs: BridgeCertificate[];

before(async () => {
  const pki = await getTestPki();
  const subject = '/C=CN/ST=河北省/O=河北一证通测试有限公司/CN=河北一证通测试有限公司';
  const ext = 'basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature';
  const entry = (id: string, der: Uint8Array, algorithm: BridgeCertificate['algorithm']): BridgeCertificate => ({
    id, label: `河北一证通测试有限公司 ${id}`, certificate: der, algorithm, hardware: true, deviceSerial: 'KEY-1', retriesLeft: null,
  });
  certs = [
    entry('RSA', reissue(pki, { keyOf: 'hebca-ent', caId: 'hebca-ca', subject, ext, serial: '0x7401', dir, name: 'dual-rsa' }), 'RS256'),
    entry('SM2', reissue(pki, { keyOf: 'hebca-sm2-ent', caId: 'hebca-sm2-ca', subject, ext, serial: '0x7402', dir, name: 'dual-sm2' }), 'SM2-SM3'),
    { ...entry('OTHER', new Uint8Array(fs.readFileSync(pki.get('bjca-ent').certDer)), 'RS256'), label: 'bjca-ent' },
  ];
  const host: BridgeHost = {
    certificates: async () => certs,
    sign: async () => { throw new Error('unused'); },
    decrypt: async () => { throw new Error('unused'); },
    note: () => {},
  };
  server = await startBridgeServer({ protocols: ['bjca'], ports: { bjcaWs: 0 }, host, isAllowedOrigin: (o) => o === ORIGIN });
});
after(() => server.close());

const listed = async (c: BjcaClient) => String(await c.call('SOF_GetUserList')).split('&&&').filter(Boolean).map((u) => u.split('||')[1]);

test('SetUserConfig(16, "SM2"/"RSA") picks the certificate of a dual-algorithm key; others stay; per connection', async () => {
  const c = await BjcaClient.open(server.endpoints[0]!.url, ORIGIN);
  const other = await BjcaClient.open(server.endpoints[0]!.url, ORIGIN);
  try {
    assert.deepEqual((await listed(c)).sort(), ['OTHER', 'RSA', 'SM2']);
    assert.equal(await c.call('SetUserConfig', 16, 'SM2'), true);
    assert.deepEqual((await listed(c)).sort(), ['OTHER', 'SM2']);
    assert.equal(await c.call('SetUserConfig', 16, 'rsa'), true);
    assert.deepEqual((await listed(c)).sort(), ['OTHER', 'RSA']);
    assert.deepEqual((await listed(other)).sort(), ['OTHER', 'RSA', 'SM2'], 'another page is not affected');
    assert.equal(await c.call('SetUserConfig', 16, 'ECC'), false);
    assert.equal(await c.call('SOF_GetLastError'), SOR.INDATA);
    assert.equal(await c.call('SetUserConfig', 3, 'x'), false);
    assert.equal(await c.call('SOF_GetLastError'), SOR.NOT_SUPPORTED);
    assert.match(String(await c.call('SOF_GetLastErrMsg')), /配置项 3/);
  } finally {
    c.close();
    other.close();
  }
});
