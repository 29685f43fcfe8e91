/**
 * The CLI's output over the test PKI with a fixed clock, as one text: run it before and after a
 * refactoring and compare (`node --import tsx scripts/cli-snapshot.ts > before.txt`). Covers
 * inspect --json (every generated certificate, PFX and the real-world samples), uscc, tokens --json
 * (no devices) and login → verify (RSA, EC, SM2 PFX files; RSA tokens in full, being deterministic).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../main/cli/main.ts';
import { getTestPki } from '../test/fixtures/pki.ts';
import { runCli } from '../test/support/cli.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pki = await getTestPki();
const manifest = JSON.parse(fs.readFileSync(path.join(pki.dir, 'manifest.json'), 'utf8')) as { generatedAt: string };
const clock = new Date(Date.parse(manifest.generatedAt) + 86_400_000);
const now = (): Date => clock;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-snapshot-'));
const lines: string[] = [];

async function record(args: string[], stdin?: string, shown = args): Promise<string> {
  const r = await runCli(main, args, { stdin, now, cwd: tmp, env: { PATH: process.env['PATH'] } });
  const clean = (s: string): string => s.split(pki.dir).join('<pki>').split(root).join('<root>').split(tmp).join('<tmp>');
  lines.push(`$ cert-assistant ${clean(shown.join(' '))}`, `exit ${r.code}`, clean(r.stdout), `stderr: ${clean(r.stderr)}`, '');
  return r.stdout;
}

try {
  const trustDir = path.join(tmp, 'trust');
  fs.mkdirSync(trustDir);
  for (const e of Object.values(pki.entries)) if (e.kind === 'root' && e.profile !== 'lookalike') fs.copyFileSync(e.certPem, path.join(trustDir, `${e.id}.pem`));
  const certs = fs.readdirSync(path.join(pki.dir, 'certs')).filter((f) => f.endsWith('.pem')).sort();
  for (const f of certs) await record(['inspect', '--json', '--trust', trustDir, path.join(pki.dir, 'certs', f)]);
  const pfx = fs.readdirSync(path.join(pki.dir, 'pfx')).filter((f) => !f.startsWith('odd-')).sort();
  for (const f of pfx) await record(['inspect', '--json', '--password-stdin', '--trust', trustDir, path.join(pki.dir, 'pfx', f)], '123456\n');
  const realworld = path.join(root, 'test/fixtures/realworld');
  for (const f of fs.readdirSync(realworld).filter((n) => n.endsWith('.pem')).sort()) await record(['inspect', '--json', path.join(realworld, f)]);
  await record(['inspect', path.join(pki.dir, 'certs', 'hebca-ent.pem'), path.join(pki.dir, 'certs', 'neg-personal.pem')]);
  await record(['uscc', '91130100MA0CXXXX0X', '911301007183204812', '9113 0100-7183 2048 12', '91110000100000000X', 'not-a-code']);
  await record(['uscc', '--json', '911301007183204812', '52130000MJ0000000X']);
  await record(['tokens', '--json']);
  const origin = 'https://www.hbzwfw.gov.cn';
  const challenge = Buffer.alloc(32, 7).toString('base64');
  for (const id of ['hebca-ent', 'bjca-ent', 'cfca-ec-ent', 'hebca-sm2-ent']) {
    const entry = pki.get(id);
    const before = lines.length;
    const token = await record(['login', '--origin', origin, '--challenge', challenge, '--pfx', entry.pfx!.modern!, '--pin-stdin'], '123456\n');
    if (id.includes('ec') || id.includes('sm2')) lines.splice(before + 2, 1, '<token with a randomised signature>');
    const verify = ['verify', '--origin', origin, '--challenge', challenge, '--trust', trustDir, '--no-bundled', '--now', clock.toISOString(), ...(entry.expect.uscc ? ['--expect-uscc', entry.expect.uscc] : [])];
    await record([...verify, token.trim()], undefined, [...verify, '<token>']);
  }
  process.stdout.write(lines.join('\n'));
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
