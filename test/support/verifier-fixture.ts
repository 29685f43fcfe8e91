/**
 * What the verifier tests (login tokens, SOF logins, revocation) start from: the test PKI, its real
 * roots, HEBCA CA's CRL and a frozen clock; and the closing check of a file that gives one
 * negative case per reason code.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after } from 'node:test';
import { getTestPki, type TestPki } from '../fixtures/pki.ts';
import { testRoots } from './key-store.ts';

/** The frozen clock: one hour after the test PKI was made (its leaves valid, its CRLs current). */
export function pkiHourAfter(pki: TestPki): Date {
  return new Date(new Date(pki.generatedAt).getTime() + 60 * 60 * 1000);
}

export interface VerifierFixture {
  pki: TestPki;
  /** Every real root of the test PKI (not the look-alike), DER. */
  roots: Uint8Array[];
  /** HEBCA CA's CRL (DER), which revokes `neg-revoked`. */
  crls: Uint8Array[];
  now: Date;
}

export async function verifierFixture(): Promise<VerifierFixture> {
  const pki = await getTestPki();
  return { pki, roots: testRoots(pki), crls: [new Uint8Array(readFileSync(pki.crls['hebca-ca']!))], now: pkiHourAfter(pki) };
}

/**
 * The set a file's negative cases add the codes they met to; once the file's tests have run, every
 * one of `codes` must be in it (`message` names the rule when one is missing).
 */
export function everyCodeSeen(codes: readonly string[], message: string): Set<string> {
  const seen = new Set<string>();
  after(() => {
    assert.deepEqual(codes.filter((c) => !seen.has(c)), [], message);
  });
  return seen;
}
