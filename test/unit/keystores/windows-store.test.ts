// WindowsStoreKeyStore's own logic on Linux, over a stand-in for crypt32/advapi32/ncrypt that
// behaves as they do (CryptoAPI little-endian signatures, NTE_BAD_ALGID from PROV_RSA_FULL, key
// spec 3 from Wine). The real DLLs are exercised by test/windows/winstore.win.test.ts under Wine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createHash, createPrivateKey, createPublicKey, privateEncrypt, publicEncrypt, randomBytes, verify } from 'node:crypto';
import { rsaPkcs1Decrypt } from '../../../main/pki/rsa-pkcs1.ts';
import { readFileSync } from 'node:fs';
import * as win from '../../../main/keystores/windows/binding.ts';
import { WindowsStoreKeyStore, type WindowsCrypto } from '../../../main/keystores/windows/store.ts';
import { winError, WIN_ERRORS } from '../../../main/keystores/windows/win-errors.ts';
import { getTestPki } from '../../fixtures/pki.ts';

const pki = await getTestPki();
const leaf = pki.get('hebca-ent');
const leafDer = new Uint8Array(readFileSync(leaf.certDer));
const leafKey = createPrivateKey(readFileSync(leaf.keyPem));
const otherKey = createPrivateKey(readFileSync(pki.get('bjca-ent').keyPem));
const caDer = new Uint8Array(readFileSync(pki.get('hebca-ca').certDer));
const ecDer = new Uint8Array(readFileSync(pki.get('cfca-ec-ent').certDer));
const fp = createHash('sha256').update(leafDer).digest('hex');
const MS_BASE = 'Microsoft Enhanced Cryptographic Provider v1.0';

interface Behaviour {
  kind?: 'capi' | 'ncrypt';
  keySpec?: number;
  provider?: string;
  /** The provider cannot hash SHA-256 (PROV_RSA_FULL) until reopened as PROV_RSA_AES. */
  noSha256?: boolean;
  /** The provider refuses the PIN parameter (software keys): NTE_BAD_TYPE. */
  noPinParam?: boolean;
  /** The key's real spec: signing with the other one is NTE_NO_KEY. */
  realSpec?: number;
  wrongPinFor?: string;
  key?: typeof leafKey;
  myCerts?: win.StoreCertificate[];
}

function fakeWindows(b: Behaviour = {}) {
  const calls: string[] = [];
  const stored = (der: Uint8Array, hasKey = true): win.StoreCertificate => ({
    der, hasKey, friendlyName: null, provider: hasKey ? { container: 'c1', provider: b.provider ?? MS_BASE, provType: 1, flags: 0, keySpec: b.keySpec ?? 3 } : null,
  });
  const my = b.myCerts ?? [stored(leafDer), stored(caDer), stored(ecDer), stored(new Uint8Array(readFileSync(pki.get('bjca-ent').certDer)), false)];
  const stores: Record<string, win.StoreCertificate[]> = { 'CurrentUser\\My': my, 'CurrentUser\\CA': [stored(caDer, false)], 'LocalMachine\\CA': [] };
  let pin: string | null = null;
  const sign = (hash: Buffer): Buffer => {
    if (b.wrongPinFor !== undefined && pin === b.wrongPinFor) throw winError(0x8010006b, 'sign');
    // PKCS#1 v1.5 over a given SHA-256 value: sign the DigestInfo through a raw private encrypt.
    return privateEncrypt(b.key ?? leafKey, Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), hash]));
  };
  const fake: WindowsCrypto = {
    ...win,
    openSystemStore: (location, name) => {
      calls.push(`open ${location}\\${name}`);
      const s = stores[`${location}\\${name}`];
      if (!s) throw winError(0x80092004, 'CertOpenStore');
      return s;
    },
    closeStore: () => void calls.push('close'),
    listCertificates: (h) => h as win.StoreCertificate[],
    withCertificate: (h, pick, fn) => {
      const c = (h as win.StoreCertificate[]).find(pick);
      return c ? fn(c, c) : null;
    },
    acquirePrivateKey: (_ctx, opts) => {
      calls.push(`acquire silent=${opts.silent}`);
      return b.kind === 'ncrypt' ? { kind: 'ncrypt', handle: 7, free: true } : { kind: 'capi', handle: 1, keySpec: b.keySpec ?? 3, free: true };
    },
    releaseKey: (k) => void calls.push(`release ${k.kind}`),
    acquireContext: (container, provider, provType, flags) => {
      calls.push(`reacquire ${container} ${provider} ${provType} ${flags}`);
      return 2;
    },
    releaseContext: (h) => void calls.push(`releaseContext ${h}`),
    setCapiPin: (h, spec, p) => {
      if (b.noPinParam) throw winError(0x8009000a, 'CryptSetProvParam');
      pin = p.toString('utf8').replace(/\0$/, '');
      calls.push(`capi pin ${h} ${spec}`);
    },
    capiSignSha256: (h, spec, hash) => {
      calls.push(`capi sign ${h} ${spec}`);
      if (b.noSha256 && h === 1) throw winError(0x80090008, 'CryptCreateHash');
      if (b.realSpec !== undefined && spec !== b.realSpec) throw winError(0x8009000d, 'CryptSignHash');
      return new Uint8Array(sign(Buffer.from(hash))); // the binding has already turned it big-endian
    },
    setNcryptPin: (_h, p) => {
      pin = p.toString('utf16le').replace(/\0$/, '');
      calls.push('ncrypt pin');
    },
    ncryptSignSha256: (_h, hash, opts) => {
      calls.push(`ncrypt sign silent=${opts.silent}`);
      return new Uint8Array(sign(Buffer.from(hash)));
    },
    // PKCS#1 v1.5 decryption as the providers do it: a block that does not unpad is NTE_BAD_DATA.
    capiDecrypt: (h, spec, ct) => {
      calls.push(`capi decrypt ${h} ${spec}`);
      if (b.realSpec !== undefined && spec !== b.realSpec) throw winError(0x8009000d, 'CryptGetUserKey');
      return unpadOr(ct, 'CryptDecrypt');
    },
    ncryptDecrypt: (_h, ct, opts) => {
      calls.push(`ncrypt decrypt silent=${opts.silent}`);
      if (b.wrongPinFor !== undefined && pin === b.wrongPinFor) throw winError(0x8010006b, 'NCryptDecrypt');
      return unpadOr(ct, 'NCryptDecrypt');
    },
  };
  const unpadOr = (ct: Uint8Array, fn: string): Uint8Array => {
    try {
      return rsaPkcs1Decrypt(b.key ?? leafKey, ct);
    } catch {
      throw winError(0x80090005, fn);
    }
  };
  return { fake, calls };
}

const data = new TextEncoder().encode('tbs bytes');
const pub = createPublicKey({ key: Buffer.from(readFileSync(leaf.certPem)), format: 'pem' });

test('lists RSA end-entity certificates that have a key, id = SHA-256 fingerprint; CA, EC and key-less ones are not offered; intermediates from the CA store', async () => {
  const { fake, calls } = fakeWindows();
  const ids = await new WindowsStoreKeyStore({}, fake).listIdentities();
  assert.deepEqual(ids.map((i) => i.id), [fp]);
  const id = ids[0]!;
  assert.equal(id.algorithm, 'RS256');
  assert.deepEqual(id.location, { kind: 'windows', store: 'CurrentUser\\My', provider: MS_BASE, container: 'c1' });
  assert.equal(id.label, leaf.expect.enterpriseName, 'no friendly name: the subject CN');
  assert.deepEqual(id.intermediates.map((d) => Buffer.from(d).toString('hex')), [Buffer.from(caDer).toString('hex')]);
  // Stores are opened read-only and closed again; LocalMachine\My only when policy says.
  assert.ok(!calls.some((c) => c.includes('LocalMachine\\My')));
  assert.equal(calls.filter((c) => c.startsWith('open')).length, calls.filter((c) => c === 'close').length);
});

test('LocalMachine\\My is read when policy says; a missing one does not hide the user certificates', async () => {
  const { fake, calls } = fakeWindows();
  const ids = await new WindowsStoreKeyStore({ localMachine: true }, fake).listIdentities();
  assert.deepEqual(ids.map((i) => i.id), [fp]);
  assert.ok(calls.includes('open LocalMachine\\My'));
});

test('CryptoAPI: Wine\'s key spec 3 tries AT_SIGNATURE then AT_KEYEXCHANGE; PROV_RSA_FULL reopens the container as PROV_RSA_AES; the signature verifies', async () => {
  const { fake, calls } = fakeWindows({ noSha256: true, realSpec: win.AT_KEYEXCHANGE });
  const sig = await new WindowsStoreKeyStore({}, fake).sign(fp, data, 'RS256', '');
  assert.ok(verify('sha256', data, pub, sig));
  assert.deepEqual(calls.filter((c) => /sign|reacquire|release|pin/.test(c)), [
    'capi sign 1 2', `reacquire c1 ${win.MS_ENH_RSA_AES_PROV} ${win.PROV_RSA_AES} 0`, 'capi sign 2 2', 'capi sign 2 1', 'releaseContext 2', 'release capi',
  ]);
  // No PIN from us: the CSP may show its own dialog (not silent), and no PIN is set.
  assert.ok(calls.includes('acquire silent=false'));
});

test('a PIN our consent took is passed silently (PP_SIGNATURE_PIN / NCRYPT_PIN_PROPERTY); a wrong one is PIN_INCORRECT, never retried', async () => {
  const capi = fakeWindows({ keySpec: win.AT_SIGNATURE });
  await new WindowsStoreKeyStore({}, capi.fake).sign(fp, data, 'RS256', '1234');
  assert.ok(capi.calls.includes('acquire silent=true'));
  assert.ok(capi.calls.includes(`capi pin 1 ${win.AT_SIGNATURE}`));

  const cng = fakeWindows({ kind: 'ncrypt', wrongPinFor: '0000' });
  const sig = await new WindowsStoreKeyStore({}, cng.fake).sign(fp, data, 'RS256', '1234');
  assert.ok(verify('sha256', data, pub, sig));
  assert.deepEqual(cng.calls.filter((c) => c.includes('ncrypt')), ['ncrypt pin', 'ncrypt sign silent=true', 'release ncrypt']);
  const wrong = fakeWindows({ kind: 'ncrypt', wrongPinFor: '0000' });
  await assert.rejects(new WindowsStoreKeyStore({}, wrong.fake).sign(fp, data, 'RS256', '0000'), (e: { code: string }) => e.code === 'PIN_INCORRECT');
  assert.equal(wrong.calls.filter((c) => c.startsWith('ncrypt sign')).length, 1);
  assert.ok(wrong.calls.includes('release ncrypt'), 'the key handle is released on failure too');
  // A software key's provider takes no PIN: the consent's PIN has nothing to unlock, the key signs.
  const soft = fakeWindows({ keySpec: win.AT_SIGNATURE, noPinParam: true });
  assert.ok(verify('sha256', data, pub, await new WindowsStoreKeyStore({}, soft.fake).sign(fp, data, 'RS256', '1234')));
  await assert.rejects(new WindowsStoreKeyStore({}, fakeWindows().fake).sign(fp, data, 'RS256', 'x'.repeat(65)), (e: { code: string }) => e.code === 'PIN_LEN_RANGE');
});

test('refusals before any key is touched: unknown or malformed id, SM2/ES256 asked of an RSA key; a key that is not the certificate\'s is KEY_CERT_MISMATCH', async () => {
  const { fake, calls } = fakeWindows();
  const store = new WindowsStoreKeyStore({}, fake);
  await assert.rejects(store.sign('ab'.repeat(32), data, 'RS256', ''), (e: { code: string }) => e.code === 'IDENTITY_NOT_FOUND');
  await assert.rejects(store.sign('not-hex', data, 'RS256', ''), (e: { code: string }) => e.code === 'IDENTITY_NOT_FOUND');
  await assert.rejects(store.sign(fp, data, 'SM2-SM3', ''), (e: { code: string }) => e.code === 'ALGORITHM_MISMATCH');
  assert.ok(!calls.some((c) => c.startsWith('acquire')));
  const swapped = fakeWindows({ keySpec: win.AT_SIGNATURE, key: otherKey });
  await assert.rejects(new WindowsStoreKeyStore({}, swapped.fake).sign(fp.toUpperCase(), data, 'RS256', ''), (e: { code: string }) => e.code === 'KEY_CERT_MISMATCH');
});

test('decryption: CryptDecrypt with the exchange key first (Wine\'s spec 3), NCryptDecrypt for CNG keys with the PIN silently; a block for another key is DECRYPT_FAILED; SM2 is refused before the key is touched', async () => {
  const secret = randomBytes(16);
  const block = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, secret);
  const capi = fakeWindows({ realSpec: win.AT_SIGNATURE });
  assert.ok(Buffer.from(await new WindowsStoreKeyStore({}, capi.fake).decrypt(fp, block, 'RS256', '')).equals(secret));
  assert.deepEqual(capi.calls.filter((c) => /decrypt|release/.test(c)), [`capi decrypt 1 ${win.AT_KEYEXCHANGE}`, `capi decrypt 1 ${win.AT_SIGNATURE}`, 'release capi']);
  const cng = fakeWindows({ kind: 'ncrypt', wrongPinFor: '0000' });
  assert.ok(Buffer.from(await new WindowsStoreKeyStore({}, cng.fake).decrypt(fp, block, 'RS256', '1234')).equals(secret));
  assert.deepEqual(cng.calls.filter((c) => c.includes('ncrypt')), ['ncrypt pin', 'ncrypt decrypt silent=true', 'release ncrypt']);
  await assert.rejects(new WindowsStoreKeyStore({}, cng.fake).decrypt(fp, block, 'RS256', '0000'), (e: { code: string }) => e.code === 'PIN_INCORRECT');
  const forOther = publicEncrypt({ key: createPublicKey(otherKey), padding: constants.RSA_PKCS1_PADDING }, secret);
  await assert.rejects(new WindowsStoreKeyStore({}, fakeWindows().fake).decrypt(fp, forOther, 'RS256', ''), (e: { code: string }) => e.code === 'DECRYPT_FAILED');
  const { fake, calls } = fakeWindows();
  await assert.rejects(new WindowsStoreKeyStore({}, fake).decrypt(fp, block.subarray(1), 'RS256', ''), (e: { code: string }) => e.code === 'DECRYPT_FAILED');
  await assert.rejects(new WindowsStoreKeyStore({}, fake).decrypt(fp, block, 'SM2-SM3', ''), (e: { code: string }) => e.code === 'ALGORITHM_MISMATCH');
  assert.ok(!calls.some((c) => c.startsWith('acquire')), 'a block of the wrong size and the wrong algorithm never reach the key');
});

test('Win32 errors map to stable codes with zh-CN messages; the number stays in details', () => {
  const cases: Array<[number, string]> = [
    [0x8010006b, 'PIN_INCORRECT'], [0x8010006c, 'PIN_LOCKED'], [0x8010006e, 'USER_CANCELLED'], [0x800704c7, 'USER_CANCELLED'],
    [0x80100069, 'DEVICE_REMOVED'], [0x80090016, 'WINDOWS_KEY_NOT_FOUND'], [0x80090008, 'WINDOWS_ALGORITHM_UNSUPPORTED'], [0x80090022, 'PIN_REQUIRED'],
  ];
  for (const [n, code] of cases) {
    const e = winError(n, 'CryptSignHash');
    assert.equal(e.code, code);
    assert.match(e.message, /[\u4e00-\u9fff]/u);
    assert.equal(e.details?.['status'], `0x${n.toString(16).padStart(8, '0')}`);
  }
  const unknown = winError(0x80091234, 'NCryptSignHash');
  assert.equal(unknown.code, 'WINDOWS_KEY_UNAVAILABLE');
  assert.equal(unknown.details?.['function'], 'NCryptSignHash');
  for (const t of Object.values(WIN_ERRORS)) assert.match(t.code, /^[A-Z][A-Z0-9_]+$/);
});
