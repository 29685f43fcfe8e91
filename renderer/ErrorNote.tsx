import { IpcError } from './ipc.ts';
import { useI18n } from './i18n-context.tsx';

/** Shows a typed error in the current language; never a stack trace. */
export function ErrorNote({ error }: { error: unknown }) {
  const { lang, t } = useI18n();
  const e = error instanceof IpcError ? error : new IpcError({ code: 'INTERNAL_ERROR', message: '内部错误，请重试', messageEn: 'Internal error, please retry' });
  const message = lang === 'en' && e.messageEn ? e.messageEn : e.message;
  return (
    <div className="note note-error" role="alert">
      {t('common.error', { message, code: e.code })}
    </div>
  );
}
