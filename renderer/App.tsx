import { useEffect, useMemo, useState } from 'react';
import type { ConsentRequestView, Lang } from '../common/ipc-contract.ts';
import { I18nContext, makeI18n } from './i18n-context.tsx';
import { invoke, onEvent } from './ipc.ts';
import { CertificatesScreen } from './screens/Certificates.tsx';
import { ConsentScreen } from './screens/Consent.tsx';
import { GuideScreen } from './screens/Guide.tsx';
import { PortalScreen } from './screens/Portal.tsx';
import { SettingsScreen } from './screens/Settings.tsx';
import { SignaturesScreen } from './screens/Signatures.tsx';

export type Screen = 'certs' | 'guide' | 'settings' | 'portal' | 'signatures';

function storedLang(): Lang | null {
  try {
    const v = localStorage.getItem('lang');
    return v === 'en' || v === 'zh' ? v : null;
  } catch {
    return null;
  }
}

export function App() {
  const [lang, setLangState] = useState<Lang>(() => storedLang() ?? 'zh');
  const [portalHome, setPortalHome] = useState<string | null>(null);
  const setLang = (l: Lang) => {
    setLangState(l);
    try {
      localStorage.setItem('lang', l);
    } catch {}
  };
  const [screen, setScreen] = useState<Screen>('certs');
  const [portalUrl, setPortalUrl] = useState<string | null>(null);
  const [consent, setConsent] = useState<ConsentRequestView | null>(null);
  const i18n = useMemo(() => makeI18n(lang), [lang]);
  const { t } = i18n;

  useEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = t('app.title');
  }, [lang, t]);

  useEffect(() => {
    // Policy/user settings choose the first language; a choice made here wins afterwards.
    invoke('app:version').then((v) => {
      setPortalHome(v.portalHome);
      if (storedLang() === null) setLangState(v.language);
    }, () => {});
  }, []);

  useEffect(() => {
    // A consent may already be waiting (window reloaded): ask once, then follow events.
    invoke('consent:current').then(setConsent, () => {});
    const offReq = onEvent('consent:requested', (r) => setConsent(r));
    const offClosed = onEvent('consent:closed', (e) => setConsent((c) => (c && c.requestId === e.requestId ? null : c)));
    // A tray entry or an expiry notice was clicked.
    const offShow = onEvent('app:show', (e) => setScreen(e.screen));
    return () => {
      offReq();
      offClosed();
      offShow();
    };
  }, []);

  const openPortal = (url: string) => {
    setPortalUrl(url);
    setScreen('portal');
  };
  const closePortal = () => {
    invoke('portal:close').catch(() => {});
    setPortalUrl(null);
    setScreen('guide');
  };

  const nav: [Screen, string][] = [['certs', t('nav.certs')], ['guide', t('nav.guide')], ['portal', t('nav.portal')], ['signatures', t('nav.signatures')], ['settings', t('nav.settings')]];
  const go = (id: Screen) => {
    if (id === 'portal' && !portalUrl) {
      if (portalHome) openPortal(portalHome);
      return;
    }
    setScreen(id);
  };

  return (
    <I18nContext.Provider value={i18n}>
      <div className="shell">
        {/* While a consent is open nothing behind it can be reached: no clicks, no Tab, no screen reader. */}
        <header className="topbar" inert={consent !== null}>
          <div className="brand">
            <span className="brand-mark" aria-hidden="true">证</span>
            <div>
              <div className="brand-title">{t('app.title')}</div>
              <div className="brand-sub">{t('app.subtitle')}</div>
            </div>
          </div>
          <nav className="tabs" aria-label="main">
            {nav.map(([id, label]) => (
              <button key={id} type="button" className={screen === id ? 'tab active' : 'tab'} aria-current={screen === id ? 'page' : undefined} onClick={() => go(id)} data-testid={`nav-${id}`}>
                {label}
              </button>
            ))}
          </nav>
          <button type="button" className="lang" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} data-testid="lang-toggle">
            {t('lang.toggle')}
          </button>
        </header>
        <main className="content" inert={consent !== null}>
          {screen === 'certs' && <CertificatesScreen {...(portalHome ? { onOpenPortal: () => go('portal') } : {})} />}
          {/* Kept mounted: the search, site and open item survive a trip to another tab. */}
          <div hidden={screen !== 'guide'} className="screen-keep"><GuideScreen onOpenOnline={openPortal} /></div>
          {screen === 'signatures' && <SignaturesScreen />}
          {screen === 'settings' && <SettingsScreen lang={lang} onLang={setLang} />}
          {screen === 'portal' && portalUrl && <PortalScreen url={portalUrl} onClose={closePortal} hidden={consent !== null} />}
        </main>
        {consent && <ConsentScreen request={consent} />}
      </div>
    </I18nContext.Provider>
  );
}
