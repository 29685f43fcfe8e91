/**
 * `cert-assistant bridge` driven as later checks drive it: a child process on free ports, JSON
 * lines, consents answered on stdin; our own clients for both protocols (test/support/bridge.ts,
 * written from docs/compat.md). Signatures are checked by OpenSSL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WebSocket } from 'ws';
import { NAMED_REFUSALS } from '../../../main/bridge/refused.ts';
import { SOR } from '../../../main/bridge/bjca.ts';
import { main } from '../../../main/cli/main.ts';
import { getTestPki, type PkiEntry } from '../../fixtures/pki.ts';
import { BjcaClient, HebcaClient, startCliBridge, type BridgeEvent, type RunningCli } from '../../support/bridge.ts';
import { runCli } from '../../support/cli.ts';
import { createSoftHsmToken, softHsmAvailable, SOFTHSM_MODULE, type SoftHsmToken } from '../../support/softhsm.ts';
import { buildFakeSkf, fakeSkfEnv, skipFakeSkf, verifyCalls } from '../../support/fake-skf.ts';
import { scratchDir } from '../../support/scratch.ts';

const ORIGIN = 'http://127.0.0.1:8931';
const pki = await getTestPki();
const dir = scratchDir('ca-bridge-');

/** OpenSSL's verdict on a raw signature: RSA PKCS#1 v1.5 SHA-256, or SM2 over SM3 with the default ID. */
function opensslVerifies(entry: PkiEntry, data: Uint8Array, sig: Uint8Array): boolean {
  const pub = path.join(dir, `${entry.id}.pub.pem`);
  fs.writeFileSync(pub, execFileSync('openssl', ['x509', '-in', entry.certPem, '-pubkey', '-noout']));
  const d = path.join(dir, 'data.bin');
  const s = path.join(dir, 'sig.bin');
  fs.writeFileSync(d, data);
  fs.writeFileSync(s, sig);
  const args = entry.keyAlg === 'sm2'
    ? ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', d, '-sigfile', s]
    : ['dgst', '-sha256', '-verify', pub, '-signature', s, d];
  try {
    execFileSync('openssl', args, { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** The portal's own signature over its random (as the library checks it with SOF_VerifySignedData). */
function portalSignature(entry: PkiEntry, data: string, md: 'sha1' | 'sha256' | 'sm3'): string {
  const d = path.join(dir, 'portal.txt');
  const s = path.join(dir, 'portal.sig');
  fs.writeFileSync(d, data);
  const args = md === 'sm3'
    ? ['pkeyutl', '-sign', '-inkey', entry.keyPem, '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', d, '-out', s]
    : ['dgst', `-${md}`, '-sign', entry.keyPem, '-out', s, d];
  execFileSync('openssl', args, { stdio: 'pipe' });
  return fs.readFileSync(s).toString('base64');
}

const allowWith = (secret: string) => (e: BridgeEvent) => (e['operation'] === 'open' ? `allow ${secret}` : `allow ${secret}`);

/** The BJCA library's form login, step by step, as docs/compat.md lists it. */
async function bjcaFormLogin(c: BjcaClient, entry: PkiEntry, pagePin: string): Promise<{ cert: string; random: string; signature: string; certId: string }> {
  const list = String(await c.call('SOF_GetUserList'));
  const users = list.split('&&&').filter(Boolean).map((u) => u.split('||'));
  const certId = users.find(([name]) => name === entry.expect.enterpriseName)?.[1] ?? users[0]![1]!;
  assert.equal(await c.call('SOF_Login', certId, pagePin), true);
  assert.ok(c.token.length > 0, 'SOF_Login hands back a token');
  const cert = String(await c.call('SOF_ExportUserCert', certId));
  assert.equal(createHash('sha256').update(Buffer.from(cert, 'base64')).digest('hex'), createHash('sha256').update(fs.readFileSync(entry.certDer)).digest('hex'));
  const notAfter = String(await c.call('SOF_GetCertInfo', cert, 12));
  assert.match(notAfter, /^\d{14}$/);
  assert.match(String(await c.call('SOF_GetCertInfo', cert, 11)), /^\d{14}$/);
  const random = Buffer.from(Array.from({ length: 24 }, (_, i) => (i * 37 + Date.now()) & 0xff)).toString('base64');
  // The portal's signature over its random, made here with the same test CA hierarchy's key.
  const md = entry.keyAlg === 'sm2' ? 'sm3' : 'sha1';
  assert.equal(await c.call('SOF_VerifySignedData', cert, random, portalSignature(entry, random, md)), true);
  assert.equal(await c.call('SOF_VerifySignedData', cert, random + 'x', portalSignature(entry, random, md)), false);
  const signature = String(await c.call('SOF_SignData', certId, random));
  return { cert, random, signature, certId };
}

describe('cert-assistant bridge with PFX files (BJCA and HEBCA)', () => {
  let cli: RunningCli;
  let answer = allowWith('123456');
  before(async () => {
    const rsa = pki.get('bjca-ent').pfx!.modern!;
    const sm2 = pki.get('hebca-sm2-ent').pfx!.modern!;
    cli = await startCliBridge(['--pfx', rsa, '--pfx', sm2, '--allow-origin', ORIGIN], { answer: (e) => answer(e) });
  });
  after(async () => {
    await cli.stop();
  });

  test('a refused origin, or none, is turned away at the handshake and noted; nothing is sent', async () => {
    await assert.rejects(BjcaClient.open(cli.bjca, 'http://127.0.0.1:8932'), /403/);
    await assert.rejects(BjcaClient.open(cli.bjca, null), /403/);
    await assert.rejects(HebcaClient.open(cli.hebca, 'https://evil.example'), /403/);
    await assert.rejects(BjcaClient.open(cli.bjca, 'https://www.hbzwfw.gov.cn.evil.example'), /403/);
    const refused = await cli.waitFor('refused', 3);
    assert.equal(refused['origin'], 'https://www.hbzwfw.gov.cn.evil.example');
    assert.ok(cli.events.filter((e) => e.event === 'refused').some((e) => e['reason'] === 'no-origin'));
  });

  for (const id of ['bjca-ent', 'hebca-sm2-ent']) {
    test(`BJCA form login with ${id}: consent per signature, page PIN ignored, OpenSSL verifies`, async () => {
      const entry = pki.get(id);
      const c = await BjcaClient.open(cli.bjca, ORIGIN);
      const before = cli.events.filter((e) => e.event === 'consent').length;
      const r = await bjcaFormLogin(c, entry, 'page-typed-wrong-pin');
      assert.ok(r.signature.length > 0, `signature made (last error ${String(await c.call('SOF_GetLastErrMsg'))})`);
      assert.ok(opensslVerifies(entry, Buffer.from(r.random), Buffer.from(r.signature, 'base64')), 'OpenSSL accepts the signature');
      const consents = cli.events.filter((e) => e.event === 'consent' && e['origin'] === ORIGIN).slice(-1);
      assert.equal(cli.events.filter((e) => e.event === 'consent').length - before >= 1, true);
      const consent = consents[0]!;
      assert.equal(consent['operation'], 'login');
      assert.equal((consent['content'] as Record<string, unknown>)['kind'], 'login');
      assert.equal((consent['certificate'] as Record<string, unknown>)['uscc'], entry.expect.uscc);
      const signed = cli.events.filter((e) => e.event === 'signed').at(-1)!;
      assert.equal(signed['origin'], ORIGIN);
      assert.equal(signed['protocol'], 'bjca');
      assert.equal(signed['contentSha256'], createHash('sha256').update(r.random).digest('hex'));
      assert.ok(!JSON.stringify(cli.events).includes('page-typed-wrong-pin'), 'the page PIN appears nowhere');
      c.close();
    });
  }

  test('content is shown as 签署内容 with a preview and SHA-256; Deny reaches the page as an error', async () => {
    const c = await BjcaClient.open(cli.bjca, ORIGIN);
    const list = String(await c.call('SOF_GetUserList'));
    const certId = list.split('&&&')[0]!.split('||')[1]!;
    const text = '投标文件摘要\n项目编号 HB-2026-001\n金额 100 万元';
    answer = () => 'deny';
    try {
      assert.equal(await c.call('SOF_SignData', certId, text), '');
      assert.equal(await c.call('SOF_GetLastError'), SOR.USER_DENIED);
      assert.match(String(await c.call('SOF_GetLastErrMsg')), /拒绝/);
    } finally {
      answer = allowWith('123456');
    }
    const consent = cli.events.filter((e) => e.event === 'consent').at(-1)!;
    const content = consent['content'] as Record<string, string>;
    assert.equal(content['kind'], 'content');
    assert.match(content['preview']!, /投标文件摘要/);
    assert.equal(content['sha256'], createHash('sha256').update(text).digest('hex'));
    c.close();
  });

  test('SOF_SignMessage attached and detached: PKCS#7 that openssl cms -verify accepts; HEBCA P7SignB64 too', async () => {
    const c = await BjcaClient.open(cli.bjca, ORIGIN);
    const entry = pki.get('bjca-ent');
    const users = String(await c.call('SOF_GetUserList')).split('&&&').filter(Boolean).map((u) => u.split('||'));
    const certId = users.find(([n]) => n === entry.expect.enterpriseName)![1]!;
    const text = '申报材料确认：营业执照副本一份';
    const content = path.join(dir, 'p7content.txt');
    fs.writeFileSync(content, text);
    for (const flag of [0, 1]) {
      const p7 = String(await c.call('SOF_SignMessage', flag, certId, text));
      assert.ok(p7.length > 0, String(await c.call('SOF_GetLastErrMsg')));
      const f = path.join(dir, `m${flag}.p7`);
      fs.writeFileSync(f, Buffer.from(p7, 'base64'));
      const out = execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', f, '-noverify', ...(flag === 1 ? ['-content', content] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
      assert.equal(out.toString('utf8'), text);
      assert.equal(await c.call('SOF_VerifySignedMessage', p7, flag === 1 ? text : ''), true);
    }
    c.close();
    const h = await HebcaClient.open(cli.hebca, ORIGIN);
    const idx = String((await h.call('GetCertList'))['certSnList']).split(';').findIndex((sn) => execFileSync('openssl', ['x509', '-in', entry.certPem, '-noout', '-serial']).toString().trim().toUpperCase().endsWith(sn));
    await h.call('GetSignCert', { index: idx });
    const r = await h.call('P7SignB64', { b64data: Buffer.from(text).toString('base64') });
    assert.equal(r['ret'], 0, String(r['msg']));
    const f = path.join(dir, 'h.p7');
    fs.writeFileSync(f, Buffer.from(String(r['b64data']), 'base64'));
    assert.equal(execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', f, '-noverify'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8'), text);
    assert.equal((await h.call('P7VerifyB64', { b64data: r['b64data'] }))['ret'], 0);
    h.close();
  });

  test('a consent answered without the PIN does not sign with the PIN the page typed', async () => {
    const c = await BjcaClient.open(cli.bjca, ORIGIN);
    const certId = String(await c.call('SOF_GetUserList')).split('&&&')[0]!.split('||')[1]!;
    assert.equal(await c.call('SOF_Login', certId, '123456'), true);
    answer = () => 'allow';
    try {
      assert.equal(await c.call('SOF_SignData', certId, 'abcdefgh12345678'), '');
      assert.equal(await c.call('SOF_GetLastError'), SOR.PIN_INCORRECT);
    } finally {
      answer = allowWith('123456');
    }
    c.close();
  });

  test('calls of newer BJCA libraries: SOF_LoginEx, retries, last login, device check, Base64 helpers, *Base64 signing and SM2 HashDataEx with a signer ID — OpenSSL verifies', async () => {
    const c = await BjcaClient.open(cli.bjca, ORIGIN);
    const users = String(await c.call('SOF_GetUserList')).split('&&&').filter(Boolean).map((u) => u.split('||')[1]!);
    const idOf = async (id: string) => {
      for (const u of users) if (String(await c.call('SOF_ExportUserCert', u)) === fs.readFileSync(pki.get(id).certDer).toString('base64')) return u;
      throw new Error(`${id} not listed`);
    };
    const rsaId = await idOf('bjca-ent');
    const sm2Id = await idOf('hebca-sm2-ent');
    assert.equal(await c.call('SOF_GetLastLoginCertID'), '');
    assert.equal(await c.call('SOF_LoginEx', rsaId, 'page-pin', 1), true);
    assert.ok(c.token.length > 0, 'SOF_LoginEx hands back a token as SOF_Login does');
    assert.equal(await c.call('SOF_IsLogin', rsaId), true);
    assert.equal(await c.call('SOF_GetLastLoginCertID'), rsaId);
    assert.equal(await c.call('SOF_GetRetryCount', rsaId), -1, 'a PFX file has no retry counter');
    assert.equal(await c.call('SOF_GetProductVersion'), '2.20');
    const sn = String(await c.call('GetAllDeviceSN')).split('&&&')[0]!;
    assert.equal(await c.call('IsDeviceExist', sn), true);
    assert.equal(await c.call('IsDeviceExist', 'NO-SUCH-DEVICE'), false);
    assert.equal(await c.call('SOF_Base64Encode', '河北政务'), Buffer.from('河北政务').toString('base64'));
    assert.equal(await c.call('SOF_Base64Decode', Buffer.from('河北政务').toString('base64')), '河北政务');
    assert.equal(await c.call('SOF_Base64Decode', Buffer.from([0xff, 0xfe, 0x00]).toString('base64')), '');
    assert.equal(await c.call('SOF_GetLastError'), SOR.INDATA);
    // The test PKI's certificates carry no entity identifier: the error shape, with a reason.
    assert.equal(await c.call('SOF_GetCertEntity', String(await c.call('SOF_ExportUserCert', rsaId))), '');
    assert.match(String(await c.call('SOF_GetLastErrMsg')), /唯一实体标识/);

    // Binary content, Base64 on the wire: the consent shows it as 二进制数据, OpenSSL verifies over the bytes.
    const binary = Buffer.from([0x00, 0x01, 0xfe, 0xff, 0x10, 0x20, 0x30, 0x40]);
    const consents = cli.events.filter((e) => e.event === 'consent').length;
    const sig = String(await c.call('SOF_SignDataBase64', rsaId, binary.toString('base64')));
    assert.ok(opensslVerifies(pki.get('bjca-ent'), binary, Buffer.from(sig, 'base64')), 'OpenSSL accepts the signature over the decoded bytes');
    assert.equal(cli.events.filter((e) => e.event === 'consent').length, consents + 1, 'one consent');
    const consent = cli.events.filter((e) => e.event === 'consent').at(-1)!;
    assert.equal((consent['content'] as Record<string, unknown>)['preview'], '二进制数据');
    assert.equal(await c.call('SOF_VerifySignedDataBase64', String(await c.call('SOF_ExportUserCert', rsaId)), binary.toString('base64'), sig), true);
    const p7 = String(await c.call('SOF_SignMessageBase64', 0, rsaId, binary.toString('base64')));
    assert.equal(await c.call('SOF_VerifySignedMessageBase64', p7, ''), true);
    const p7File = path.join(dir, 'b64.p7');
    fs.writeFileSync(p7File, Buffer.from(p7, 'base64'));
    const content = execFileSync('openssl', ['cms', '-verify', '-inform', 'DER', '-in', p7File, '-noverify', '-binary'], { stdio: ['ignore', 'pipe', 'pipe'] });
    assert.deepEqual(content, binary, 'the attached content is the decoded bytes');

    // SM2: e = SM3(Z_A ‖ M) with the page's signer ID, signed by SOF_SignHashData; OpenSSL checks with that distid.
    const sm2Cert = String(await c.call('SOF_ExportUserCert', sm2Id));
    const message = '招标文件摘要 2026';
    for (const signerId of ['', 'ALICE123@YAHOO.COM']) {
      const e = String(await c.call('SOF_HashDataEx', 1, message, sm2Cert, signerId));
      assert.equal(Buffer.from(e, 'base64').length, 32);
      const s2 = String(await c.call('SOF_SignHashData', sm2Id, e, 1));
      const entry = pki.get('hebca-sm2-ent');
      const pub = path.join(dir, 'sm2.pub.pem');
      fs.writeFileSync(pub, execFileSync('openssl', ['x509', '-in', entry.certPem, '-pubkey', '-noout']));
      fs.writeFileSync(path.join(dir, 'm.txt'), message);
      fs.writeFileSync(path.join(dir, 'm.sig'), Buffer.from(s2, 'base64'));
      const id = signerId === '' ? '1234567812345678' : signerId;
      execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-digest', 'sm3', '-pkeyopt', `distid:${id}`, '-in', path.join(dir, 'm.txt'), '-sigfile', path.join(dir, 'm.sig')], { stdio: 'pipe' });
    }
    // Not SM2/SM3: the plain digest, as SOF_HashData gives it.
    assert.equal(await c.call('SOF_HashDataEx', 4, message, String(await c.call('SOF_ExportUserCert', rsaId)), ''), createHash('sha256').update(message).digest('base64'));
    c.close();
  });

  test('every refused BJCA function answers an empty retVal (false to bool readers) with SOR_NOTSUPPORTYETERR, the socket stays', async () => {
    const c = await BjcaClient.open(cli.bjca, ORIGIN);
    for (const f of [...NAMED_REFUSALS.bjca, 'NoSuchFunction']) {
      const v = await c.call(f, 'C:\\Windows\\win.ini', '123456');
      assert.equal(c.raw, '', f);
      assert.ok(v === false || v === '' || v === 0, `${f}: ${String(v)}`);
      assert.equal(await c.call('SOF_GetLastError'), SOR.NOT_SUPPORTED, f);
      assert.match(String(await c.call('SOF_GetLastErrMsg')), /[\u4e00-\u9fff]/, f);
    }
    assert.equal(await c.call('SOF_GetVersion'), '2.20');
    c.close();
  });

  test('HEBCA as the public HebcaP11Object 2.0.1 library reads the wire (split on |, fields by its names, JSON built by concatenation)', async () => {
    const ws = new WebSocket(cli.hebca, { origin: ORIGIN });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    // One handler at a time, matched on args[1]; the JSON is args[2] of split('|'), as the library does.
    const send = (fun: string, param: string | null): Promise<{ frame: string; json: Record<string, unknown> }> => new Promise((resolve) => {
      const onMessage = (d: unknown): void => {
        const frame = String(d);
        const args = frame.split('|');
        if (args[1] !== fun) return;
        ws.off('message', onMessage);
        resolve({ frame, json: JSON.parse(args[2]!) as Record<string, unknown> });
      };
      ws.on('message', onMessage);
      ws.send(`1|${fun}${param ? `|${param}` : ''}`);
    });
    const welcome = await new Promise<string>((resolve) => {
      ws.once('message', (d) => resolve(String(d)));
      ws.send(`0|${Date.now()}`);
    });
    assert.ok(welcome.split('|')[0] === '0' && welcome.split('|')[1]!.includes('Welcome'));
    const b64 = (t: string) => Buffer.from(t, 'utf8').toString('base64');
    // Start-up: its debug flag, read from its own registry key (the JS literal loses the backslashes).
    const debug = await send('ReadRegB64', `{"key":"${b64('HKEY_CURRENT_USERSoftwareHebcaClientX')}","name":"${b64('p11ObjectDebug')}"}`);
    assert.equal(debug.json['ret'], 0);
    assert.equal(debug.json['value'], 0);
    // getAssistorVersion / assertAssistorVersion: a number compared with 0xMMmmpp.
    const version = await send('ReadRegB64', `{"key":"${b64('\\HKEY_CURRENT_USER\\Software\\Hebca\\ClientX')}","name":"${b64('version')}"}`);
    assert.equal(version.json['ret'], 0);
    assert.ok(typeof version.json['value'] === 'number' && version.json['value'] >= 0x060305);
    // Any other registry read stays refused.
    const other = await send('ReadRegB64', `{"key":"${b64('HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft')}","name":"${b64('x')}"}`);
    assert.notEqual(other.json['ret'], 0);
    // selectSignCertCombine({sn}): getCertList → json.certsnlist.split(';') → getSignCert(index).
    const sm2 = pki.get('hebca-sm2-ent');
    const list = await send('GetCertList', null);
    assert.equal(list.json['ret'], 0);
    const sns = String(list.json['certsnlist']).split(';');
    const certs = String(list.json['certlist']).split(';');
    assert.equal(sns.length, 2);
    const sn = execFileSync('openssl', ['x509', '-in', sm2.certPem, '-noout', '-serial']).toString().trim().split('=')[1]!.toUpperCase();
    const index = sns.findIndex((x) => x === sn.replace(/^(00)+(?=.)/, ''));
    assert.ok(index >= 0, `${sn} in ${sns.join(';')}`);
    assert.ok(Buffer.from(certs[index]!, 'base64').equals(fs.readFileSync(sm2.certDer)), 'certlist in the order of certsnlist');
    assert.equal((await send('GetSignCert', `{"index":${index}}`)).json['ret'], 0);
    // sign(): '{"signText":"' + content + '"}' — a multi-line text arrives with raw line breaks.
    const text = '第一行\n第二行\tend';
    const st = await send('SignText', `{"signText":"${text}"}`);
    assert.equal(st.json['ret'], 0, String(st.json['msg']));
    assert.ok(opensslVerifies(sm2, Buffer.from(text), Buffer.from(String(st.json['signature']), 'base64')));
    // A `|` in an answer (here a message quoting the page's digest name) must not cut args[2].
    const bad = await send('Digest', `{"certSN":"","b64data":"AAEC","digestalg":"sha|md5"}`);
    assert.equal(bad.frame.split('|').length, 3);
    assert.notEqual(bad.json['ret'], 0);
    assert.match(String(bad.json['msg']), /sha\|md5/);
    // selectSignCertFilterDevice and reloadDevice are answered.
    assert.equal((await send('SelectSignCertFilterDevice', '{"deviceNames":"no-such-device"}')).json['ret'], 0);
    assert.equal((await send('ReloadDevice', null)).json['ret'], 0);
    ws.close();
  });

  test('HEBCA: select, read, login (PIN dropped), SignText and SignB64 verify with OpenSSL; refused calls answer ret ≠ 0', async () => {
    const h = await HebcaClient.open(cli.hebca, ORIGIN);
    const count = await h.call('GetSignCertCount');
    assert.equal(count['ret'], 0);
    assert.equal(count['count'], 2);
    const list = await h.call('GetCertList');
    const sns = String(list['certSnList']).split(';');
    const sm2 = pki.get('hebca-sm2-ent');
    const index = sns.findIndex((sn) => execFileSync('openssl', ['x509', '-in', sm2.certPem, '-noout', '-serial']).toString().trim().toUpperCase().endsWith(sn));
    assert.ok(index >= 0);
    assert.equal((await h.call('GetSignCert', { index }))['ret'], 0);
    const cert = await h.call('GetCertB64');
    assert.equal(Buffer.from(String(cert['cert']), 'base64').equals(fs.readFileSync(sm2.certDer)), true);
    assert.equal((await h.call('GetSubjectItem', { index: 0 }))['content'], sm2.expect.enterpriseName);
    assert.match(String((await h.call('GetSignCertNotAfter', { index }))['certnotafter']), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.equal((await h.call('Login', { pin: 'page-pin-hebca' }))['ret'], 0);
    const text = 'abcdefgh12345678abcd';
    const st = await h.call('SignText', { signText: text });
    assert.equal(st['ret'], 0, String(st['msg']));
    assert.ok(opensslVerifies(sm2, Buffer.from(text), Buffer.from(String(st['signature']), 'base64')));
    const bin = Buffer.from([0, 1, 2, 3, 250, 251]);
    const sb = await h.call('SignB64', { b64data: bin.toString('base64') });
    assert.equal(sb['ret'], 0);
    assert.ok(opensslVerifies(sm2, bin, Buffer.from(String(sb['signature']), 'base64')));
    const consent = cli.events.filter((e) => e.event === 'consent').at(-1)!;
    assert.equal((consent['content'] as Record<string, string>)['preview'], '二进制数据');
    assert.equal(consent['protocol'], 'hebca');
    for (const f of [...NAMED_REFUSALS.hebca, 'NoSuchCall']) {
      const r = await h.call(f, { key: 'HKEY_LOCAL_MACHINE\\SOFTWARE', cmd: 'calc.exe' });
      assert.notEqual(r['ret'], 0, f);
      assert.match(String(r['msg']), /[\u4e00-\u9fff]/, f);
    }
    assert.ok(!JSON.stringify(cli.events).includes('page-pin-hebca'));
    h.close();
  });

  test('malformed HEBCA frames get a protocol error, the connection stays usable', async () => {
    const h = await HebcaClient.open(cli.hebca, ORIGIN);
    const got = await new Promise<string>((resolve) => {
      h.ws.once('message', (d) => resolve(String(d)));
      h.ws.send('1|SignText|{not json');
    });
    assert.match(got, /^1\|SignText\|/);
    assert.notEqual(JSON.parse(got.split('|').slice(2).join('|'))['ret'], 0);
    assert.equal((await h.call('GetAssistorVersion'))['ret'], 0);
    h.close();
  });

  test('every signature is in the signature log before the page gets it: cert-assistant log lists each one (via bridge), nothing denied, no PIN', async () => {
    const env = { ...process.env, CERT_ASSISTANT_HOME: cli.home };
    const listed = await runCli(main, ['log', '--json'], { env });
    assert.equal(listed.code, 0, listed.stderr);
    const { entries } = JSON.parse(listed.stdout) as { entries: Array<Record<string, unknown>> };
    assert.ok(entries.length >= 6, `signatures made above (${entries.length})`);
    // The last `signed` line may still be on its way through the pipe when the page already has the signature.
    await cli.waitFor('signed', entries.length - 1);
    const signed = cli.events.filter((e) => e.event === 'signed');
    // Only signatures: the denied consent and the one without a PIN left no entry.
    assert.equal(entries.length, signed.length, `log entries vs signed events; bridge stderr: ${cli.stderr().slice(-500)}`);
    for (const [i, e] of entries.entries()) {
      const s = signed[i]!;
      assert.equal(e['seq'], i + 1);
      assert.equal(e['via'], 'bridge');
      for (const k of ['origin', 'protocol', 'operation', 'fingerprintSha256', 'contentSha256', 'uscc', 'enterprise', 'at']) assert.equal(e[k], s[k], `${k} of entry ${i + 1}`);
    }
    const rsa = pki.get('bjca-ent');
    const login = entries.find((e) => e['protocol'] === 'bjca' && e['operation'] === 'login' && e['uscc'] === rsa.expect.uscc);
    assert.ok(login, 'the RSA form login is recorded with its USCC');
    assert.equal(login['fingerprintSha256'], createHash('sha256').update(fs.readFileSync(rsa.certDer)).digest('hex'));
    assert.ok(entries.some((e) => e['protocol'] === 'hebca' && e['operation'] === 'sign'), 'HEBCA SignB64 is recorded as content');
    assert.ok(!entries.some((e) => e['contentSha256'] === createHash('sha256').update('投标文件摘要\n项目编号 HB-2026-001\n金额 100 万元').digest('hex')), 'the denied content left no entry');
    const raw = fs.readFileSync(path.join(cli.home, 'signature-log.jsonl'), 'utf8');
    assert.ok(!/"123456"|page-typed-wrong-pin|page-pin-hebca|abcdefgh12345678/.test(raw), 'no PIN and no signed content in the log');
    const verified = await runCli(main, ['log', '--verify'], { env });
    assert.equal(verified.code, 0, verified.stdout);
    assert.match(verified.stdout, new RegExp(`共 ${entries.length} 条`));
    const human = await runCli(main, ['log', '--origin', ORIGIN], { env });
    assert.match(human.stdout, /CA 助手兼容 · bjca/);
  });
});

describe('cert-assistant bridge with USB keys', () => {
  test('SoftHSM2 (PKCS#11) RSA key: BJCA login signature verifies with OpenSSL', { skip: softHsmAvailable() ? false : 'SoftHSM2/OpenSC not installed' }, async () => {
    const entry = pki.get('bjca-ent');
    const token: SoftHsmToken = createSoftHsmToken('bridge-rsa', [{ id: '01', label: 'bjca-ent', certDer: entry.certDer, keyPem: entry.keyPem }]);
    const cli = await startCliBridge(['--module', SOFTHSM_MODULE, '--allow-origin', ORIGIN, '--protocol', 'bjca'], { answer: () => 'allow 123456', env: token.env });
    try {
      assert.equal(cli.hebca, '', 'only the protocols asked for are served');
      const c = await BjcaClient.open(cli.bjca, ORIGIN);
      const certId = String(await c.call('SOF_GetUserList')).split('&&&')[0]!.split('||')[1]!;
      assert.equal(await c.call('GetDeviceInfo', certId, 7), 'HARD');
      const random = 'MTIzNDU2Nzg5MGFiY2RlZg==';
      const sig = String(await c.call('SOF_SignData', certId, random));
      assert.ok(opensslVerifies(entry, Buffer.from(random), Buffer.from(sig, 'base64')), String(await c.call('SOF_GetLastErrMsg')));
      c.close();
    } finally {
      await cli.stop();
      token.cleanup();
    }
  });

  // A USB key through its SKF driver: an SM2 container (hebca-sm2-ent) and an RSA one (bjca-ent, as BJCA and 河北CA RSA keys are).
  for (const [id, kind] of [['hebca-sm2-ent', 'SM2'], ['bjca-ent', 'RSA']] as const) {
    test(`fake SKF ${kind} key: BJCA form login and HEBCA SignText verify with OpenSSL; pulling it out mid-session sends onUsbkeyChange and empties the list`, { skip: skipFakeSkf }, async () => {
      const entry = pki.get(id);
      const skfDir = fs.mkdtempSync(path.join(dir, 'skf-'));
      const lib = buildFakeSkf(skfDir);
      const made = fakeSkfEnv(entry, skfDir);
      const cli = await startCliBridge(['--skf', lib, '--allow-origin', ORIGIN], { answer: () => 'allow 12345678', env: { ...process.env, ...made.env } });
      try {
        const c = await BjcaClient.open(cli.bjca, ORIGIN);
        const r = await bjcaFormLogin(c, entry, 'page-typed-wrong-pin');
        assert.ok(opensslVerifies(entry, Buffer.from(r.random), Buffer.from(r.signature, 'base64')), `OpenSSL accepts the signature (last error ${String(await c.call('SOF_GetLastErrMsg'))})`);
        assert.equal(verifyCalls(made.files), 1, 'one SKF_VerifyPIN, with the PIN typed in the consent');
        const h = await HebcaClient.open(cli.hebca, ORIGIN);
        assert.equal((await h.call('GetSignCert', { index: 0 }))['ret'], 0);
        assert.equal((await h.call('Login', { pin: 'page-pin-hebca' }))['ret'], 0);
        const text = 'abcdefgh12345678abcd';
        const st = await h.call('SignText', { signText: text });
        assert.equal(st['ret'], 0, String(st['msg']));
        assert.ok(opensslVerifies(entry, Buffer.from(text), Buffer.from(String(st['signature']), 'base64')), 'OpenSSL accepts the HEBCA SignText signature');
        h.close();
        fs.writeFileSync(made.files.removed, '');
        await cli.waitFor('keys-changed', 0, 20_000);
        for (let i = 0; i < 50 && !c.events.some((e) => String(e['call_cmd_id']).toLowerCase() === 'onusbkeychange'); i++) await new Promise((r) => setTimeout(r, 100));
        assert.ok(c.events.some((e) => String(e['call_cmd_id']).toLowerCase() === 'onusbkeychange'), 'onUsbkeyChange arrived');
        assert.equal(await c.call('SOF_GetUserList'), '');
        assert.equal(await c.call('SOF_SignData', r.certId, r.random), '');
        c.close();
      } finally {
        await cli.stop();
      }
    });
  }

  test('wss://127.0.0.1 (BJCA for https pages): a client pinning our loopback certificate logs in; an unpinned one is refused by TLS', async () => {
    const tlsDir = fs.mkdtempSync(path.join(dir, 'tls-'));
    const cert = path.join(tlsDir, 'cert.pem');
    const key = path.join(tlsDir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'pipe' });
    const entry = pki.get('bjca-ent');
    const cli = await startCliBridge(['--pfx', entry.pfx!.modern!, '--allow-origin', 'https://127.0.0.1:8933', '--protocol', 'bjca', '--tls-cert', cert, '--tls-key', key], { answer: () => 'allow 123456' });
    try {
      assert.ok(cli.bjcaWss, 'a wss endpoint is listed');
      await assert.rejects(BjcaClient.open(cli.bjcaWss!, 'https://127.0.0.1:8933'));
      const pinned = fs.readFileSync(cert, 'utf8');
      const c = await BjcaClient.open(cli.bjcaWss!, 'https://127.0.0.1:8933', { ca: pinned });
      const certId = String(await c.call('SOF_GetUserList')).split('&&&')[0]!.split('||')[1]!;
      const sig = String(await c.call('SOF_SignData', certId, 'd3NzLWxvZ2luLXJhbmRvbQ=='));
      assert.ok(opensslVerifies(entry, Buffer.from('d3NzLWxvZ2luLXJhbmRvbQ=='), Buffer.from(sig, 'base64')));
      c.close();
    } finally {
      await cli.stop();
    }
  });

  test('SIGTERM ends it promptly and frees the ports', async () => {
    const cli = await startCliBridge(['--allow-origin', ORIGIN]);
    const url = cli.bjca;
    const started = Date.now();
    assert.equal(await cli.stop(), 0);
    assert.ok(Date.now() - started < 5_000);
    await assert.rejects(BjcaClient.open(url, ORIGIN));
  });
});
