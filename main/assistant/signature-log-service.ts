/**
 * The 签名记录 screen's view of the signature log: entries filtered as asked, the hash chain
 * checked on every read, CSV export to a place the user picks (main/app passes the dialog).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SignatureFilter, SignatureListView } from '../../common/ipc-contract.ts';
import { filterEntries, parseLogDay, toCsv } from '../login/signature-log-export.ts';
import type { SignatureLog } from '../login/signature-log.ts';
import type { SignatureLogService } from './world.ts';

function read(log: SignatureLog, f: SignatureFilter) {
  return filterEntries(log.entries(), {
    certificate: f.certificate, origin: f.origin,
    since: f.since ? parseLogDay(f.since, false) : null, until: f.until ? parseLogDay(f.until, true) : null,
  });
}

export function createSignatureLogService(log: SignatureLog, pickSaveFile: (suggestedName: string) => Promise<string | null>): SignatureLogService {
  return {
    async list(f): Promise<SignatureListView> {
      const verdict = log.verify();
      // Newest first on screen; the chain fields (prev/hash) stay in the file and the CSV.
      const entries = read(log, f).reverse().map(({ prev: _p, hash: _h, ...e }) => e);
      return { entries, intact: verdict.ok, problem: verdict.ok ? null : { seq: verdict.seq, message: verdict.message, messageEn: verdict.messageEn } };
    },
    async exportCsv(f) {
      const file = await pickSaveFile(`签名记录-${new Date().toISOString().slice(0, 10)}.csv`);
      if (!file) return null;
      const entries = read(log, f);
      fs.writeFileSync(file, toCsv(entries));
      return { count: entries.length, fileName: path.basename(file) };
    },
  };
}
