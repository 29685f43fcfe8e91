import { useEffect, useState } from 'react';
import type { DiagnosticsView, Lang } from '../../common/ipc-contract.ts';
import { ErrorNote } from '../ErrorNote.tsx';
import { useI18n } from '../i18n-context.tsx';
import { invoke } from '../ipc.ts';
import { ReservedPhraseSetting } from './ReservedPhraseSetting.tsx';

export function SettingsScreen({ lang, onLang }: { lang: Lang; onLang: (l: Lang) => void }) {
  const { t } = useI18n();
  const [d, setD] = useState<DiagnosticsView | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    invoke('app:diagnostics').then(setD, setError);
  }, []);
  const languageSetting = d?.settings?.find((x) => x.key === 'language');
  const sourceText = (source: string) => (source === 'default' ? t('settings.source.default') : source === 'user' ? t('settings.source.user') : source);
  return (
    <section className="screen">
      <h1>{t('settings.heading')}</h1>
      <div className="card">
        <dl className="facts">
          <dt>{t('settings.language')}</dt>
          <dd>
            <div className="segmented">
              <button type="button" className={lang === 'zh' ? 'active' : ''} disabled={languageSetting?.locked} onClick={() => onLang('zh')}>简体中文</button>
              <button type="button" className={lang === 'en' ? 'active' : ''} disabled={languageSetting?.locked} onClick={() => onLang('en')}>English</button>
            </div>
            {languageSetting?.locked && <p className="muted small" data-testid="language-locked">🔒 {t('settings.languageLocked', { source: languageSetting.source })}</p>}
          </dd>
        </dl>
      </div>
      <ReservedPhraseSetting />
      {error !== null && <ErrorNote error={error} />}
      {!d && error === null && <p className="muted">{t('common.loading')}</p>}
      {d && (
        <div className="card">
          <dl className="facts">
            <dt>{t('settings.version')}</dt>
            <dd data-testid="version">{d.appVersion}</dd>
            <dt>{t('settings.runtime')}</dt>
            <dd className="mono">
              {d.runtime.electron ? `Electron ${d.runtime.electron} · Chromium ${d.runtime.chrome} · ` : ''}Node {d.runtime.node} · {d.runtime.platform}/{d.runtime.arch}
            </dd>
            <dt>{t('settings.portal')}</dt>
            <dd className="mono">{d.portal.home}</dd>
            <dt>{t('settings.allowedOrigins')}</dt>
            <dd><ul className="plain mono">{d.portal.allowedOrigins.map((o) => <li key={o}>{o}</li>)}</ul></dd>
            <dt>{t('settings.modules')}</dt>
            <dd>
              {d.modules.length === 0 ? t('settings.noModules') : (
                <ul className="plain">
                  {d.modules.map((m) => (
                    <li key={m.path}>
                      <span className="mono">{m.path}</span>{' '}
                      <span className={m.loaded ? 'badge badge-pass' : 'badge badge-fail'}>{m.loaded ? t('settings.moduleOk') : t('settings.moduleFailed')}</span>
                      {m.error && <span className="muted small"> {m.error}</span>}
                    </li>
                  ))}
                </ul>
              )}
            </dd>
            <dt>{t('settings.policy')}</dt>
            <dd><ul className="plain mono">{d.policySources.map((p) => <li key={p}>{p}</li>)}</ul></dd>
            {d.updates && (
              <>
                <dt>{t('settings.updates')}</dt>
                <dd data-testid="updates">{lang === 'zh' ? d.updates.message : d.updates.messageEn}</dd>
              </>
            )}
            {d.settings && (
              <>
                <dt>{t('settings.policyValues')}</dt>
                <dd>
                  <ul className="plain" data-testid="policy-settings">
                    {d.settings.map((x) => (
                      <li key={x.key} data-locked={x.locked ? 'true' : 'false'}>
                        <span className="mono">{x.key}</span>{' '}
                        <span className="mono small">{x.value}</span>{' '}
                        {x.locked
                          ? <span className="badge badge-warn" title={t('settings.locked')}>🔒 {t('settings.source', { source: sourceText(x.source) })}</span>
                          : <span className="muted small">{t('settings.source', { source: sourceText(x.source) })}</span>}
                      </li>
                    ))}
                  </ul>
                </dd>
              </>
            )}
            <dt>{t('settings.guideData')}</dt>
            <dd>{d.guide.available ? t('settings.guideItems', { n: d.guide.items ?? '—', version: d.guide.version ?? '—' }) : t('guide.unavailable')}</dd>
          </dl>
        </div>
      )}
      {d?.checks && d.checks.length > 0 && (
        <div className="card" data-testid="doctor-checks">
          <h2>{t('settings.doctor')}</h2>
          <ul className="checks">
            {d.checks.map((c) => (
              <li key={c.id} className={`check check-${c.status === 'skip' ? 'warn' : c.status}`} data-check={c.id}>
                <span className="check-text">
                  {lang === 'en' && c.messageEn ? c.messageEn : c.message}
                  {(lang === 'en' ? c.fixEn ?? c.fix : c.fix) && <span className="muted small">{lang === 'en' ? ' — ' : '——'}{lang === 'en' ? c.fixEn ?? c.fix : c.fix}</span>}
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
