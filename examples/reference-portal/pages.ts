// The pages share one layout (public/layout.html: head, banner, navigation, footer); each page file
// holds only its own title and script lines, then its <main>, where `<!--#part NAME key="value"-->`
// stands for public/parts/NAME.html with each {{key}} filled in (markup two pages share). Assembled
// once at start-up, so every page is still served as one complete static document.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const LAYOUT = 'layout.html';
const HEAD_SLOT = '<!--#page-head-->';
const MAIN_SLOT = '<!--#page-main-->';
const PART = /^[ \t]*<!--#part ([a-z-]+)((?: [a-z]+="[^"]*")*)-->\n?/gm;

/** `page` (the file `file`) with every part directive replaced by the part, its {{key}}s filled in. */
function withParts(dir: string, file: string, page: string): string {
  return page.replace(PART, (_all, name: string, attributes: string) => {
    let part = readFileSync(path.join(dir, 'parts', `${name}.html`), 'utf8');
    for (const [, key, value] of attributes.matchAll(/ ([a-z]+)="([^"]*)"/g)) part = part.replaceAll(`{{${key}}}`, () => value!);
    const unfilled = /\{\{([a-z]+)\}\}/.exec(part);
    if (unfilled) throw new Error(`${file}: part ${name} needs a value for ${unfilled[1]}`);
    return part;
  });
}

/** Page name (file name without `.html`) -> the complete document. */
export function assemblePages(dir: string): Map<string, string> {
  const layout = readFileSync(path.join(dir, LAYOUT), 'utf8');
  if (!layout.includes(HEAD_SLOT) || !layout.includes(MAIN_SLOT)) throw new Error(`${LAYOUT}: the ${HEAD_SLOT} or ${MAIN_SLOT} slot is missing`);
  const pages = new Map<string, string>();
  for (const file of readdirSync(dir).filter((n) => n.endsWith('.html') && n !== LAYOUT).sort()) {
    const page = withParts(dir, file, readFileSync(path.join(dir, file), 'utf8'));
    const at = page.indexOf('<main>');
    if (at < 0) throw new Error(`${file}: no <main> element`);
    const head = page.slice(0, at).trimEnd();
    const main = page.slice(at).trimEnd();
    pages.set(file.slice(0, -'.html'.length), layout.replace(HEAD_SLOT, () => head).replace(MAIN_SLOT, () => main));
  }
  return pages;
}
