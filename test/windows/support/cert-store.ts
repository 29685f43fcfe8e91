/**
 * Test-only: puts a PFX into CurrentUser\My the way Windows' import wizard does
 * (PFXImportCertStore, then CertAddCertificateContextToStore), and removes it again.
 * Runs under Node for Windows (Wine) only.
 */
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

const CERT_STORE_PROV_SYSTEM_W = 10;
const CERT_SYSTEM_STORE_CURRENT_USER = 1 << 16;
const CERT_STORE_ADD_REPLACE_EXISTING = 3;
const CRYPT_USER_KEYSET = 0x1000;
const CRYPT_EXPORTABLE = 0x1;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (...a: any[]) => any;

function lib() {
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
    CertDeleteCertificateFromStore: f('CertDeleteCertificateFromStore', 'int32', [PCTX]),
    CertCloseStore: f('CertCloseStore', 'int32', ['void *', 'uint32']),
    CertGetCertificateContextProperty: f('CertGetCertificateContextProperty', 'int32', [PCTX, 'uint32', 'void *', koffi.inout(koffi.pointer('uint32'))]),
  };
}

function der(l: ReturnType<typeof lib>, ctx: unknown): Buffer {
  const c = l.koffi.decode(ctx, l.CTX) as { pbCertEncoded: unknown; cbCertEncoded: number };
  return Buffer.from(l.koffi.decode(c.pbCertEncoded, l.koffi.array('uint8', c.cbCertEncoded, 'Typed')) as Uint8Array);
}

/** Imports every certificate of the PFX (the leaf with its key) into CurrentUser\My; returns their DERs. */
export function importPfxToCurrentUserMy(pfx: Uint8Array, password: string): Buffer[] {
  const l = lib();
  const data = Buffer.from(pfx);
  const temp = l.PFXImportCertStore({ cbData: data.length, pbData: data }, password, CRYPT_USER_KEYSET | CRYPT_EXPORTABLE);
  if (!temp) throw new Error(`PFXImportCertStore failed: 0x${(l.GetLastError() >>> 0).toString(16)}`);
  const my = l.CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0, CERT_SYSTEM_STORE_CURRENT_USER, 'MY');
  if (!my) throw new Error(`CertOpenStore failed: 0x${(l.GetLastError() >>> 0).toString(16)}`);
  const out: Buffer[] = [];
  try {
    let ctx: unknown = null;
    while ((ctx = l.CertEnumCertificatesInStore(temp, ctx))) {
      const size: [number] = [0];
      // Only the certificate that carries a key goes to My; CA certificates would go to CA stores.
      if (!l.CertGetCertificateContextProperty(ctx, 2, null, size)) continue;
      if (!l.CertAddCertificateContextToStore(my, ctx, CERT_STORE_ADD_REPLACE_EXISTING, null)) {
        throw new Error(`CertAddCertificateContextToStore failed: 0x${(l.GetLastError() >>> 0).toString(16)}`);
      }
      out.push(der(l, ctx));
    }
  } finally {
    l.CertCloseStore(my, 0);
    l.CertCloseStore(temp, 0);
  }
  return out;
}

/** Deletes the certificates with these DERs from CurrentUser\My. */
export function removeFromCurrentUserMy(ders: Uint8Array[]): number {
  const l = lib();
  const my = l.CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0, CERT_SYSTEM_STORE_CURRENT_USER, 'MY');
  let removed = 0;
  try {
    for (;;) {
      let ctx: unknown = null;
      let hit: unknown = null;
      while ((ctx = l.CertEnumCertificatesInStore(my, ctx))) {
        const d = der(l, ctx);
        if (ders.some((x) => Buffer.from(x).equals(d))) {
          hit = l.CertDuplicateCertificateContext(ctx);
          break;
        }
      }
      if (!hit) break;
      l.CertDeleteCertificateFromStore(hit); // frees the context
      removed++;
    }
  } finally {
    l.CertCloseStore(my, 0);
  }
  return removed;
}
