/**
 * Differential RFC 5280 path validation: crafted chains (test/fixtures/generate-crafted-chains.ts)
 * judged by OpenSSL (`openssl verify -x509_strict -purpose sslclient`, run here, now) and by us
 * through `inspect --json --trust` and `login` + `verify`, in-process through the CLI dispatcher.
 * Our verdict per case is stated in OUR_VERDICTS; for RSA and P-256 it must equal OpenSSL's except
 * for the commented EXCEPTIONS (docs/pki.md lists them too). OpenSSL 3.0's CLI cannot verify SM2
 * certificate signatures (it ignores the distinguishing ID), so for SM2 our stated verdicts stand alone.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../main/cli/main.ts';
import { CRAFTED_USCC, craftedCaseSpecs, generateCraftedChains, opensslVerdict, type CraftedAlg, type CraftedCase } from '../../fixtures/generate-crafted-chains.ts';
import { PKI_PASSWORD } from '../../fixtures/generate-pki.ts';
import { runCli, type CliRun } from '../../support/cli.ts';

const ORIGIN = 'https://www.hbzwfw.gov.cn';

/** Our verdict for every case: accepted, or refused with these codes (inspect check code / file error, verifier code). */
type Verdict = { accept: true } | { accept: false; inspect: string; verify: string };
const ACCEPT: Verdict = { accept: true };
const refuse = (inspect: string, verify: string): Verdict => ({ accept: false, inspect, verify });

const OUR_VERDICTS: Record<string, Verdict> = {
  baseline: ACCEPT,
  'pathlen-root0-violated': refuse('CHAIN_PATH_LENGTH', 'PATH_LENGTH_EXCEEDED'),
  'pathlen-int0-ok': ACCEPT,
  'pathlen-int0-violated': refuse('CHAIN_PATH_LENGTH', 'PATH_LENGTH_EXCEEDED'),
  'pathlen-root1-violated': refuse('CHAIN_PATH_LENGTH', 'PATH_LENGTH_EXCEEDED'),
  'pathlen-self-issued-ok': ACCEPT,
  'issuer-ku-without-certsign': refuse('CHAIN_ISSUER_KEY_USAGE', 'ISSUER_KEY_USAGE'),
  'issuer-without-ku': ACCEPT,
  'unknown-critical-leaf': refuse('CHAIN_CRITICAL_EXTENSION', 'CRITICAL_EXTENSION'),
  'unknown-critical-int': refuse('CHAIN_CRITICAL_EXTENSION', 'CRITICAL_EXTENSION'),
  'unknown-critical-root': refuse('CHAIN_CRITICAL_EXTENSION', 'CRITICAL_EXTENSION'),
  'unknown-noncritical-leaf': ACCEPT,
  'critical-aki-leaf': ACCEPT,
  'nc-dirname-ok': ACCEPT,
  'nc-dirname-violated': refuse('CHAIN_NAME_CONSTRAINTS', 'NAME_CONSTRAINTS'),
  'nc-dirname-excluded': refuse('CHAIN_NAME_CONSTRAINTS', 'NAME_CONSTRAINTS'),
  'nc-root-dirname-violated': refuse('CHAIN_NAME_CONSTRAINTS', 'NAME_CONSTRAINTS'),
  'nc-dns-ok': ACCEPT,
  'nc-dns-violated': refuse('CHAIN_NAME_CONSTRAINTS', 'NAME_CONSTRAINTS'),
  'nc-email-ok': ACCEPT,
  'nc-email-excluded': refuse('CHAIN_NAME_CONSTRAINTS', 'NAME_CONSTRAINTS'),
  'nc-ip-ok': ACCEPT,
  'nc-ip-violated': refuse('CHAIN_NAME_CONSTRAINTS', 'NAME_CONSTRAINTS'),
  'nc-uri-unsupported': refuse('CHAIN_NAME_CONSTRAINTS_UNSUPPORTED', 'NAME_CONSTRAINTS_UNSUPPORTED'),
  'eku-absent': ACCEPT,
  'eku-client-email': ACCEPT,
  'eku-client-server': ACCEPT,
  'eku-email-only': refuse('EXTENDED_KEY_USAGE', 'EXTENDED_KEY_USAGE'),
  'eku-server-only': refuse('EXTENDED_KEY_USAGE', 'EXTENDED_KEY_USAGE'),
  'eku-any': ACCEPT,
  'eku-nonstandard': refuse('EXTENDED_KEY_USAGE', 'EXTENDED_KEY_USAGE'),
  'duplicate-ext-leaf': refuse('CERT_DUPLICATE_EXTENSION', 'CERT_DUPLICATE_EXTENSION'),
  'duplicate-ext-int': refuse('CERT_DUPLICATE_EXTENSION', 'CERT_DUPLICATE_EXTENSION'),
};

/** Where we knowingly differ from `openssl verify -x509_strict -purpose sslclient`, and why. */
const EXCEPTIONS: Record<string, string> = {
  // RFC 5280 6.1.4 (n) only checks keyCertSign when keyUsage is present; -x509_strict adds a
  // profile rule (X509_V_ERR_CA_CERT_MISSING_KEY_USAGE) that older Chinese CA certificates break.
  'issuer-without-ku': 'OpenSSL -x509_strict demands keyUsage on CAs; RFC 5280 path validation does not',
  // Real SHECA SM2 certificates (test/fixtures/realworld/sheca-sm2-2013-*) mark AKI and SKI
  // critical. We recognise both (they only steer path building); OpenSSL lists neither as handled.
  'critical-aki-leaf': 'we recognise a critical authorityKeyIdentifier; OpenSSL calls it unhandled',
  // RFC 5280 4.2.1.12: anyExtendedKeyUsage means any purpose, so it allows a login. OpenSSL's
  // sslclient purpose counts only clientAuth.
  'eku-any': 'we accept anyExtendedKeyUsage as RFC 5280 defines it; OpenSSL sslclient wants clientAuth',
  // We process directoryName, dNSName, rfc822Name and iPAddress constraints only; a path whose
  // constraints use another form is refused rather than half-checked. OpenSSL checks URIs and,
  // as this leaf has none, accepts.
  'nc-uri-unsupported': 'we refuse name constraints of a form we do not process (URI); OpenSSL processes them',
};

let dir: string;
function cli(args: string[], stdin = ''): Promise<CliRun> {
  return runCli(main, args, { stdin, env: { ...process.env, CERT_ASSISTANT_POLICY: path.join(dir, 'no-policy.json') }, cwd: dir });
}

interface Ours {
  accept: boolean;
  code: string | null;
}

async function viaInspect(c: CraftedCase): Promise<Ours> {
  const r = await cli(['inspect', '--json', '--policy', path.join(dir, 'no-policy.json'), '--trust', c.root, c.bundle]);
  const report = JSON.parse(r.stdout) as { files: { error?: { code: string }; certificates: { checks: { id: string; status: string; code?: string }[] }[] }[] };
  const file = report.files[0]!;
  if (file.error) return { accept: false, code: file.error.code };
  const failed = file.certificates[0]!.checks.find((k) => k.status === 'fail');
  return { accept: !failed && r.code === 0, code: failed?.code ?? null };
}

const newChallenge = (): string => Buffer.from(Array.from({ length: 32 }, () => Math.floor(Math.random() * 256))).toString('base64');

let baselineToken: Record<string, Record<string, unknown>> = {};

async function viaLogin(c: CraftedCase): Promise<Ours> {
  const challenge = newChallenge();
  let token: string;
  const login = c.pfx ? await cli(['login', '--origin', ORIGIN, '--challenge', challenge, '--pfx', c.pfx, '--pin-stdin'], `${PKI_PASSWORD}\n`) : null;
  if (login && login.code === 0) {
    token = login.stdout.trim();
    if (c.id === 'baseline') baselineToken[c.alg] = JSON.parse(token) as Record<string, unknown>;
  } else {
    // Our own PFX reader refuses the certificate (duplicate extension): hand the verifier a token
    // carrying it (the signature is never reached: certificates are decoded first).
    const base = baselineToken[c.alg];
    assert.ok(base, 'baseline runs first');
    const pems = fs.readFileSync(c.bundle, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)!;
    const b64 = pems.map((p) => p.replace(/-----[^-]+-----|\s+/g, ''));
    token = JSON.stringify({ ...base, certificate: b64[0], intermediates: b64.slice(1) });
  }
  const v = await cli(['verify', '--origin', ORIGIN, '--challenge', challenge, '--trust', c.root, '--no-bundled', '--expect-uscc', CRAFTED_USCC, token]);
  const out = JSON.parse(v.stdout) as { ok: boolean; code?: string };
  return { accept: out.ok === true && v.code === 0, code: out.code ?? null };
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ca-crafted-'));
  fs.writeFileSync(path.join(dir, 'no-policy.json'), '{}');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('every crafted case has a stated verdict, and every exception names a case', () => {
  const ids = craftedCaseSpecs().map((s) => s.id);
  assert.deepEqual(Object.keys(OUR_VERDICTS).sort(), [...ids].sort());
  for (const id of Object.keys(EXCEPTIONS)) assert.ok(ids.includes(id), id);
});

for (const alg of ['rsa', 'p256', 'sm2'] as CraftedAlg[]) {
  describe(`crafted chains, ${alg}`, () => {
    let cases: CraftedCase[] = [];
    before(() => {
      cases = generateCraftedChains(dir, alg);
      baselineToken = {};
    });
    test(`${alg}: inspect and login+verify agree with ${alg === 'sm2' ? 'our stated verdicts (OpenSSL 3.0 cannot verify SM2)' : 'openssl verify -x509_strict -purpose sslclient, exceptions explained'}`, async () => {
      const problems: string[] = [];
      for (const c of cases) {
        const stated = OUR_VERDICTS[c.id]!;
        if (alg !== 'sm2') {
          const oracle = opensslVerdict(c);
          const expected = EXCEPTIONS[c.id] ? !oracle.ok : oracle.ok;
          if (expected !== stated.accept) problems.push(`${c.id}: OpenSSL says ${oracle.ok ? 'ok' : oracle.error}${EXCEPTIONS[c.id] ? ' (listed as an exception)' : ''}, we state ${stated.accept ? 'accept' : 'refuse'}`);
        }
        const inspect = await viaInspect(c);
        const login = await viaLogin(c);
        for (const [how, ours, code] of [['inspect', inspect, stated.accept ? null : stated.inspect], ['login+verify', login, stated.accept ? null : stated.verify]] as const) {
          if (ours.accept !== stated.accept || (!stated.accept && ours.code !== code)) {
            problems.push(`${c.id} via ${how}: ${ours.accept ? 'accepted' : `refused ${ours.code}`}, stated ${stated.accept ? 'accept' : `refuse ${code}`} (${c.description})`);
          }
        }
      }
      assert.deepEqual(problems, []);
    });
  });
}
