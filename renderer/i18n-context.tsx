import { createContext, useContext } from 'react';
import { translate, type MessageKey } from './i18n.ts';
import type { Lang } from '../common/ipc-contract.ts';

export interface I18n {
  lang: Lang;
  t: (key: MessageKey, vars?: Record<string, string | number>) => string;
}

export const I18nContext = createContext<I18n>({ lang: 'zh', t: (k, v) => translate('zh', k, v) });

export function useI18n(): I18n {
  return useContext(I18nContext);
}

export function makeI18n(lang: Lang): I18n {
  return { lang, t: (k, v) => translate(lang, k, v) };
}
