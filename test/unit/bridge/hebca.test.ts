/**
 * HEBCA P11 (docs/compat.md §4) read the way the public HebcaP11Object 2.0.1 library reads it:
 * `frame.split('|')`, the JSON in args[2], fields by the library's own names; the library's JSON
 * is built by string concatenation, so page text arrives unescaped.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { HEBCA_ASSISTOR_VERSION_INT, HebcaSession, parseHebcaFrame } from '../../../main/bridge/hebca.ts';
import { CertificateCache, DEFAULT_LIMITS, parsedCertificate, type SessionContext } from '../../../main/bridge/session.ts';
import type { BridgeCertificate, BridgeSignRequest } from '../../../main/bridge/types.ts';
import { getTestPki } from '../../fixtures/pki.ts';

let rsa: BridgeCertificate;
let sm2: BridgeCertificate;

before(async () => {
  const pki = await getTestPki();
  const der = (id: string) => new Uint8Array(fs.readFileSync(pki.get(id).certDer));
  rsa = { id: 'R', label: 'key-A', certificate: der('jit-ent'), algorithm: 'RS256', hardware: true, deviceSerial: 'A1', retriesLeft: null };
  sm2 = { id: 'S', label: 'key-B', certificate: der('hebca-sm2-ent'), algorithm: 'SM2-SM3', hardware: true, deviceSerial: 'B1', retriesLeft: null };
});

function session(): { s: HebcaSession; frames: string[]; signs: BridgeSignRequest[]; call: (frame: string) => Promise<{ frame: string; json: Record<string, unknown> }> } {
  const frames: string[] = [];
  const signs: BridgeSignRequest[] = [];
  const ctx: SessionContext = {
    origin: 'http://127.0.0.1:8000', protocol: 'hebca', certificates: new CertificateCache(0), limits: DEFAULT_LIMITS, acceptPagePin: false,
    host: {
      certificates: async () => [rsa, sm2],
      sign: async (req) => {
        signs.push(req);
        return { signature: new Uint8Array([1]), certificate: rsa.certificate, algorithm: rsa.algorithm };
      },
      decrypt: async () => ({ plaintext: new Uint8Array() }),
      note: () => {},
    },
    send: (t) => frames.push(t),
    log: () => {},
  };
  const s = new HebcaSession(ctx);
  const call = async (frame: string) => {
    await s.onFrame(frame);
    const last = frames.at(-1)!;
    // The library: args = msg.data.split('|'); json = eval('(' + args[2] + ')').
    return { frame: last, json: JSON.parse(last.split('|')[2]!) as Record<string, unknown> };
  };
  return { s, frames, signs, call };
}

test('page text with raw line breaks or tabs inside a JSON string is taken as itself (the library does not escape it)', async () => {
  const f = parseHebcaFrame('1|SignText|{"signText":"第一行\n第二行\tend"}');
  assert.deepEqual(f, { kind: 'call', seq: '1', func: 'SignText', params: { signText: '第一行\n第二行\tend' } });
  // Whitespace outside strings is still whitespace; what is not JSON stays a bad frame.
  assert.deepEqual(parseHebcaFrame('1|GetSignCert|{\n"index":1}'), { kind: 'call', seq: '1', func: 'GetSignCert', params: { index: 1 } });
  assert.equal(parseHebcaFrame('1|SignText|{"signText":"a"b"}').kind, 'bad');
  const { call, signs } = session();
  await call('1|SelectSignCert');
  assert.equal((await call('1|SignText|{"signText":"a\r\nb"}')).json['ret'], 0);
  assert.equal(Buffer.from(signs[0]!.data).toString(), 'a\r\nb');
});

test('a | inside an answer travels escaped, so split("|")[2] is the whole JSON', async () => {
  const { call } = session();
  const r = await call('1|Digest|{"b64data":"AAEC","digestalg":"sha|md5"}');
  assert.equal(r.frame.split('|').length, 3);
  assert.notEqual(r.json['ret'], 0);
  assert.match(String(r.json['msg']), /sha\|md5/);
});

test('GetCertList answers the library\'s lower-case certlist and certsnlist, ;-separated, same order', async () => {
  const { call } = session();
  const r = (await call('1|GetCertList')).json;
  assert.equal(r['certsnlist'], [rsa, sm2].map((c) => parsedCertificate(c).serialNumber.toUpperCase()).join(';'));
  assert.equal(r['certlist'], [rsa, sm2].map((c) => Buffer.from(c.certificate).toString('base64')).join(';'));
  assert.equal(r['certSnList'], r['certsnlist']);
});

test('ReadRegB64: the library\'s own debug flag and getAssistorVersion are answered; every other read is refused', async () => {
  const { call } = session();
  const b64 = (t: string) => Buffer.from(t).toString('base64');
  const read = (key: string, name: string) => call(`1|ReadRegB64|{"key":"${b64(key)}","name":"${b64(name)}"}`);
  assert.deepEqual((await read('HKEY_CURRENT_USERSoftwareHebcaClientX', 'p11ObjectDebug')).json, { ret: 0, msg: '', value: 0 });
  const v = (await read('\\HKEY_CURRENT_USER\\Software\\Hebca\\ClientX', 'version')).json;
  assert.equal(v['value'], HEBCA_ASSISTOR_VERSION_INT);
  assert.ok(HEBCA_ASSISTOR_VERSION_INT >= 0x060305, 'passes the library\'s own example minimum (6.3.5)');
  for (const [k, n] of [['\\HKEY_CURRENT_USER\\Software\\Hebca\\ClientX', 'InstallPath'], ['HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows', 'version']]) {
    const r = (await read(k!, n!)).json;
    assert.equal(r['ret'], 1003);
    assert.match(String(r['msg']), /注册表/);
  }
  assert.equal((await call('1|ReadRegB64')).json['ret'], 1003);
});

test('SelectSignCertFilterDevice skips the named devices (by label or device serial); ReloadDevice is answered', async () => {
  const { call } = session();
  assert.equal((await call('1|SelectSignCertFilterDevice|{"deviceNames":"key-A;"}')).json['ret'], 0);
  assert.equal((await call('1|GetCertB64')).json['cert'], Buffer.from(sm2.certificate).toString('base64'));
  assert.equal((await call('1|SelectSignCertFilterDevice|{"deviceNames":""}')).json['ret'], 0);
  assert.equal((await call('1|GetCertB64')).json['cert'], Buffer.from(rsa.certificate).toString('base64'));
  assert.equal((await call('1|SelectSignCertFilterDevice|{"deviceNames":"A1;key-B"}')).json['ret'], 1004);
  assert.equal((await call('1|ReloadDevice')).json['ret'], 0);
});
