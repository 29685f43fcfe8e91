import { useState } from 'react';
import { useI18n } from '../i18n-context.tsx';
import { readReservedPhrase, saveReservedPhrase } from '../reserved-phrase.ts';

/** 预留信息: chosen once, shown in every consent so a look-alike dialog in a web page gives itself away. */
export function ReservedPhraseSetting() {
  const { t } = useI18n();
  const [value, setValue] = useState(() => readReservedPhrase() ?? '');
  const [saved, setSaved] = useState(false);
  return (
    <form className="card reserved-setting" onSubmit={(e) => { e.preventDefault(); saveReservedPhrase(value); setSaved(true); }}>
      <label className="field">
        <span>{t('settings.reserved')}</span>
        <input type="text" maxLength={40} value={value} onChange={(e) => { setValue(e.target.value); setSaved(false); }} data-testid="reserved-phrase" />
      </label>
      <p className="hint">{t('settings.reservedHint')}</p>
      <div className="actions">
        {saved && <span className="muted small" role="status">{t('settings.reservedSaved')}</span>}
        <button type="submit" className="secondary" data-testid="reserved-save">{t('settings.reservedSave')}</button>
      </div>
    </form>
  );
}
