/**
 * Test-only: puts a PFX into the Windows certificate store the way Windows' import wizard does
 * (PFXImportCertStore; the certificate with the key into CurrentUser\My, intermediate CAs into
 * CurrentUser\CA), adds roots to LocalMachine\Root, and removes all of it again.
 * Runs under Node for Windows (Wine) only.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';
import { parseCertificate } from '../../main/pki/certificate.ts';

const CERT_STORE_PROV_SYSTEM_W = 10;
const CERT_SYSTEM_STORE_CURRENT_USER = 1 << 16;
const CERT_SYSTEM_STORE_LOCAL_MACHINE = 2 << 16;
const CERT_STORE_ADD_REPLACE_EXISTING = 3;
const CRYPT_USER_KEYSET = 0x1000;
const CRYPT_EXPORTABLE = 0x1;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (...a: any[]) => any;

let loaded: ReturnType<typeof declare> | null = null;
function lib(): ReturnType<typeof declare> {
  loaded ??= declare();
  return loaded;
}

function declare() {
  const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
  const BLOB = koffi.struct('T_CRYPT_DATA_BLOB', { cbData: 'uint32', pbData: 'void *' });
  const CTX = koffi.struct('T_CERT_CONTEXT', { dwCertEncodingType: 'uint32', pbCertEncoded: 'void *', cbCertEncoded: 'uint32', pCertInfo: 'void *', hCertStore: 'void *' });
  const PCTX = koffi.pointer(CTX);
  const crypt32 = koffi.load('crypt32.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const f = (n: string, r: string | Koffi.IKoffiCType, p: Array<string | Koffi.IKoffiCType>): Fn => crypt32.func(n, r, p) as Fn;
  return {
    koffi, CTX,
    GetLastError: kernel32.func('GetLastError', 'uint32', []) as Fn,
    PFXImportCertStore: f('PFXImportCertStore', 'void *', [koffi.pointer(BLOB), 'str16', 'uint32']),
    CertOpenStore: f('CertOpenStore', 'void *', ['uintptr_t', 'uint32', 'uintptr_t', 'uint32', 'str16']),
    CertEnumCertificatesInStore: f('CertEnumCertificatesInStore', PCTX, ['void *', PCTX]),
    CertAddCertificateContextToStore: f('CertAddCertificateContextToStore', 'int32', ['void *', PCTX, 'uint32', 'void *']),
    CertDuplicateCertificateContext: f('CertDuplicateCertificateContext', PCTX, [PCTX]),
    CertFreeCertificateContext: f('CertFreeCertificateContext', 'int32', [PCTX]),
    CertDeleteCertificateFromStore: f('CertDeleteCertificateFromStore', 'int32', [PCTX]),
    CertCloseStore: f('CertCloseStore', 'int32', ['void *', 'uint32']),
    CertAddEncodedCertificateToStore: f('CertAddEncodedCertificateToStore', 'int32', ['void *', 'uint32', 'void *', 'uint32', 'uint32', 'void *']),
    CertGetCertificateContextProperty: f('CertGetCertificateContextProperty', 'int32', [PCTX, 'uint32', 'void *', koffi.inout(koffi.pointer('uint32'))]),
  };
}

function der(l: ReturnType<typeof lib>, ctx: unknown): Buffer {
  const c = l.koffi.decode(ctx, l.CTX) as { pbCertEncoded: unknown; cbCertEncoded: number };
  return Buffer.from(l.koffi.decode(c.pbCertEncoded, l.koffi.array('uint8', c.cbCertEncoded, 'Typed')) as Uint8Array);
}

export type StoreName = 'CurrentUser\\My' | 'CurrentUser\\CA' | 'LocalMachine\\Root';

function open(l: ReturnType<typeof lib>, name: StoreName): unknown {
  const [location, store] = name.split('\\') as [string, string];
  const h = l.CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0, location === 'CurrentUser' ? CERT_SYSTEM_STORE_CURRENT_USER : CERT_SYSTEM_STORE_LOCAL_MACHINE, store);
  if (!h) throw new Error(`CertOpenStore ${name} failed: 0x${(l.GetLastError() >>> 0).toString(16)}`);
  return h;
}

function isCa(d: Buffer): boolean {
  return parseCertificate(d).isCA;
}

/**
 * Imports a PFX: the end-entity certificate (with its key) into CurrentUser\My, the other
 * certificates into CurrentUser\CA. Returns what went where, for removeFromStore.
 */
export function importPfx(pfx: Uint8Array, password: string): { my: Buffer[]; ca: Buffer[] } {
  const l = lib();
  const data = Buffer.from(pfx);
  const temp = l.PFXImportCertStore({ cbData: data.length, pbData: data }, password, CRYPT_USER_KEYSET | CRYPT_EXPORTABLE);
  if (!temp) throw new Error(`PFXImportCertStore failed: 0x${(l.GetLastError() >>> 0).toString(16)}`);
  const my = open(l, 'CurrentUser\\My');
  const ca = open(l, 'CurrentUser\\CA');
  const out = { my: [] as Buffer[], ca: [] as Buffer[] };
  try {
    let ctx: unknown = null;
    while ((ctx = l.CertEnumCertificatesInStore(temp, ctx))) {
      const d = der(l, ctx);
      const leaf = !isCa(d);
      if (!l.CertAddCertificateContextToStore(leaf ? my : ca, ctx, CERT_STORE_ADD_REPLACE_EXISTING, null)) {
        throw new Error(`CertAddCertificateContextToStore failed: 0x${(l.GetLastError() >>> 0).toString(16)}`);
      }
      (leaf ? out.my : out.ca).push(d);
    }
  } finally {
    l.CertCloseStore(ca, 0);
    l.CertCloseStore(my, 0);
    l.CertCloseStore(temp, 0);
  }
  return out;
}

/** Adds a DER certificate to a store (LocalMachine\Root for trust anchors). */
export function addToStore(name: StoreName, certificate: Uint8Array): void {
  const l = lib();
  const h = open(l, name);
  try {
    const d = Buffer.from(certificate);
    if (!l.CertAddEncodedCertificateToStore(h, 1, d, d.length, CERT_STORE_ADD_REPLACE_EXISTING, null)) {
      throw new Error(`CertAddEncodedCertificateToStore failed: 0x${(l.GetLastError() >>> 0).toString(16)}`);
    }
  } finally {
    l.CertCloseStore(h, 0);
  }
}

/** Deletes the certificates with these DERs from a store; returns how many went. */
export function removeFromStore(name: StoreName, ders: Uint8Array[]): number {
  const l = lib();
  const h = open(l, name);
  let removed = 0;
  try {
    for (;;) {
      let ctx: unknown = null;
      let hit: unknown = null;
      while ((ctx = l.CertEnumCertificatesInStore(h, ctx))) {
        const d = der(l, ctx);
        if (ders.some((x) => Buffer.from(x).equals(d))) {
          hit = l.CertDuplicateCertificateContext(ctx);
          l.CertFreeCertificateContext(ctx); // ends this pass
          break;
        }
      }
      if (!hit) break;
      l.CertDeleteCertificateFromStore(hit); // frees the duplicate
      removed++;
    }
  } finally {
    l.CertCloseStore(h, 0);
  }
  if (name === 'LocalMachine\\Root') {
    // Wine's root store is rebuilt in memory from the host's roots plus this registry key, and a
    // delete through it does not always reach the key: remove the registry copy as well.
    for (const d of ders) {
      const sha1 = createHash('sha1').update(d).digest('hex').toUpperCase();
      spawnSync('reg.exe', ['delete', `HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\Root\\Certificates\\${sha1}`, '/f'], { stdio: 'ignore', timeout: 60_000 });
    }
  }
  return removed;
}
