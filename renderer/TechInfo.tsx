import type { ReactNode } from 'react';
import { useI18n } from './i18n-context.tsx';

/** Codes, OIDs, DNs and admin wording, folded: clerks read the plain line first, IT staff open this. */
export function TechInfo({ children, testId = 'tech-info' }: { children: ReactNode; testId?: string }) {
  const { t } = useI18n();
  return (
    <details className="tech-info" data-testid={testId}>
      <summary>{t('tech.summary')}</summary>
      <div className="tech-body">{children}</div>
    </details>
  );
}
