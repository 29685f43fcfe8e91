import { IpcError } from './ipc.ts';
import { useI18n } from './i18n-context.tsx';
import { TechInfo } from './TechInfo.tsx';

/** Shows a typed error in the current language: the plain message, the code folded under 技术信息; never a stack trace. */
export function ErrorNote({ error }: { error: unknown }) {
  const { lang, t } = useI18n();
  const e = error instanceof IpcError ? error : new IpcError({ code: 'INTERNAL_ERROR', message: '内部错误，请重试', messageEn: 'Internal error, please retry' });
  const message = lang === 'en' && e.messageEn ? e.messageEn : e.message;
  return (
    <div className="note note-error" role="alert">
      <span data-testid="error-message">{message}</span>
      <TechInfo testId="error-tech"><span className="mono">{t('tech.code', { code: e.code })}</span></TechInfo>
    </div>
  );
}
