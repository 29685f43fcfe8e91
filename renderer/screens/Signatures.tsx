import { useCallback, useEffect, useMemo, useState } from 'react';
import type { SignatureFilter, SignatureListView } from '../../common/ipc-contract.ts';
import { ErrorNote } from '../ErrorNote.tsx';
import { ScreenHead } from '../ScreenHead.tsx';
import { formatTime } from '../format.ts';
import { useI18n } from '../i18n-context.tsx';
import { invoke } from '../ipc.ts';

/** 签名记录: every signature and decryption the assistant made, filtered by certificate, site and date. */
export function SignaturesScreen() {
  const { t, lang } = useI18n();
  const [filter, setFilter] = useState<SignatureFilter>({});
  const [all, setAll] = useState<SignatureListView | null>(null);
  const [view, setView] = useState<SignatureListView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [exported, setExported] = useState<{ count: number; fileName: string } | null>(null);

  const load = useCallback((f: SignatureFilter) => {
    setError(null);
    invoke('signatures:list', f).then(setView, setError);
  }, []);
  useEffect(() => {
    // The unfiltered list feeds the certificate and site choices.
    invoke('signatures:list', {}).then((v) => { setAll(v); setView(v); }, setError);
  }, []);

  const certificates = useMemo(() => {
    const m = new Map<string, string>();
    for (const e of all?.entries ?? []) if (!m.has(e.fingerprintSha256)) m.set(e.fingerprintSha256, e.enterprise ?? e.uscc ?? e.fingerprintSha256.slice(0, 16));
    return [...m];
  }, [all]);
  const origins = useMemo(() => [...new Set((all?.entries ?? []).map((e) => e.origin))].sort(), [all]);

  const change = (patch: Partial<SignatureFilter>) => {
    const next: SignatureFilter = { ...filter, ...patch };
    for (const k of Object.keys(next) as (keyof SignatureFilter)[]) if (!next[k]) delete next[k];
    setFilter(next);
    setExported(null);
    load(next);
  };
  const exportCsv = async () => {
    try {
      const r = await invoke('signatures:export', filter);
      setExported(r.saved && r.fileName ? { count: r.count, fileName: r.fileName } : null);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section className="screen" data-testid="signatures">
      <ScreenHead heading={t('sig.heading')} intro={t('sig.intro')}>
        <button type="button" className="secondary" onClick={exportCsv} disabled={!view || view.entries.length === 0} data-testid="sig-export">{t('sig.export')}</button>
      </ScreenHead>
      {view && !view.intact && view.problem && (
        <div className="note note-error" role="alert" data-testid="sig-tampered">
          {t('sig.tampered', { detail: lang === 'en' ? view.problem.messageEn : view.problem.message })}
        </div>
      )}
      {exported && <div className="note note-ok" role="status">{t('sig.exported', { n: exported.count, file: exported.fileName })}</div>}
      {error !== null && <ErrorNote error={error} />}
      <div className="sig-filters" role="search">
        <label className="field inline">
          <span>{t('sig.certificate')}</span>
          <select value={filter.certificate ?? ''} onChange={(e) => change({ certificate: e.target.value })} data-testid="sig-filter-cert">
            <option value="">{t('sig.all')}</option>
            {certificates.map(([fp, name]) => <option key={fp} value={fp}>{name}</option>)}
          </select>
        </label>
        <label className="field inline">
          <span>{t('sig.site')}</span>
          <select value={filter.origin ?? ''} onChange={(e) => change({ origin: e.target.value })} data-testid="sig-filter-site">
            <option value="">{t('sig.all')}</option>
            {origins.map((o) => <option key={o} value={o}>{o}</option>)}
          </select>
        </label>
        <label className="field inline">
          <span>{t('sig.since')}</span>
          <input type="date" value={filter.since ?? ''} onChange={(e) => change({ since: e.target.value })} data-testid="sig-filter-since" />
        </label>
        <label className="field inline">
          <span>{t('sig.until')}</span>
          <input type="date" value={filter.until ?? ''} onChange={(e) => change({ until: e.target.value })} data-testid="sig-filter-until" />
        </label>
      </div>
      {!view && error === null && <p className="muted">{t('common.loading')}</p>}
      {view && view.entries.length === 0 && <div className="empty">{t('sig.empty')}</div>}
      {view && view.entries.length > 0 && (
        <table className="sig-table" data-testid="sig-table">
          <thead>
            <tr><th>{t('sig.time')}</th><th>{t('sig.operation')}</th><th>{t('sig.site')}</th><th>{t('sig.enterprise')}</th><th>{t('sig.via')}</th><th>{t('sig.content')}</th></tr>
          </thead>
          <tbody>
            {view.entries.map((e) => (
              <tr key={e.seq} data-testid="sig-row">
                <td className="nowrap">{formatTime(e.at, lang)}</td>
                <td>{t(`sig.op.${e.operation}`)}</td>
                <td className="wrap">{e.origin}</td>
                <td>{e.enterprise ?? '—'}{e.uscc ? <div className="mono small">{e.uscc}</div> : null}</td>
                <td>{t(`sig.via.${e.via}`)}<div className="muted small">{e.protocol}</div></td>
                <td className="mono small" title={e.contentSha256}>{e.contentSha256.slice(0, 16)}…</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
