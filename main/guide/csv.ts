/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF/LF, embedded newlines, a UTF-8 BOM. */
import { AssistantError } from '../errors.ts';

export function parseCsv(text: string, opts: { maxRows?: number } = {}): string[][] {
  const maxRows = opts.maxRows ?? 2_000_000;
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  let line = 1;
  const endRow = () => {
    row.push(field); field = '';
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    if (rows.length > maxRows) throw new AssistantError('IMPORT_TOO_LARGE', 'CSV 行数过多', { en: 'too many CSV rows' });
    row = [];
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false; i++; continue;
      }
      if (c === '\n') line++;
      field += c; i++; continue;
    }
    if (c === '"' && field === '') { quoted = true; i++; continue; }
    if (c === ',') { row.push(field); field = ''; i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') { endRow(); line++; i += 2; continue; }
    if (c === '\n' || c === '\r') { endRow(); line++; i++; continue; }
    field += c; i++;
  }
  if (quoted) throw new AssistantError('IMPORT_CSV_INVALID', `CSV 第 ${line} 行引号未闭合`, { en: `unterminated quote near line ${line}`, details: { line } });
  if (field !== '' || row.length > 0) endRow();
  return rows;
}
