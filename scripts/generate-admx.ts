// Writes the Group Policy templates (deploy/admx/) from the policy schema: `npm run admx`.
// test/unit/policy/admx.test.ts fails when the committed files differ from this output.
import fs from 'node:fs';
import path from 'node:path';
import { ADMX_FILES, generateAdmx } from '../main/policy/admx.ts';

const root = path.resolve(import.meta.dirname, '..');
const t = generateAdmx();
const write = (rel: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
  console.log(`wrote ${rel}`);
};
write(ADMX_FILES.admx, t.admx);
write(ADMX_FILES['zh-CN'], t.adml['zh-CN']);
write(ADMX_FILES['en-US'], t.adml['en-US']);
