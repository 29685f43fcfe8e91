// The Group Policy templates admins import into the Central Store: generated from the policy
// schema (drift fails here), well-formed XML, every policy key with the registry value name and
// type the app reads, explain text in zh-CN and en-US.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ADMX_FILES, generateAdmx, templatePolicies } from '../../../main/policy/admx.ts';
import { POLICY_REGISTRY_KEY, REGISTRY_MAP } from '../../../main/policy/registry-map.ts';
import { ADMIN_ONLY_KEYS, POLICY_SCHEMA } from '../../../main/policy/schema.ts';
import POLICY_TEXT from '../../../main/policy/data/policy-text.json' with { type: 'json' };

const root = path.resolve(import.meta.dirname, '../../..');
const read = (rel: string) => fs.readFileSync(path.join(root, rel), 'utf8');
type Node = Record<string, unknown>;
const arrays = new Set(['policy', 'category', 'string', 'presentation', 'item']);
const parse = (s: string) => new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n, _p, _l, attr) => !attr && arrays.has(n) }).parse(s) as Node;

test('the committed ADMX/ADML files are exactly what the generator makes from the schema (run `npm run admx` after changing the policy)', () => {
  const t = generateAdmx();
  assert.equal(read(ADMX_FILES.admx), t.admx, ADMX_FILES.admx);
  assert.equal(read(ADMX_FILES['zh-CN']), t.adml['zh-CN'], ADMX_FILES['zh-CN']);
  assert.equal(read(ADMX_FILES['en-US']), t.adml['en-US'], ADMX_FILES['en-US']);
});

test('ADMX and both ADML files are well-formed XML (a real parser) and use the Group Policy namespace', () => {
  for (const rel of Object.values(ADMX_FILES)) {
    const text = read(rel);
    assert.equal(XMLValidator.validate(text), true, `${rel}: ${JSON.stringify(XMLValidator.validate(text))}`);
    assert.match(text, /xmlns="http:\/\/schemas\.microsoft\.com\/GroupPolicy\/2006\/07\/PolicyDefinitions"/);
  }
  // The validator is not vacuous.
  assert.notEqual(XMLValidator.validate(read(ADMX_FILES.admx).replace('</policies>', '')), true);
});

test('every policy key is a policy under SOFTWARE\\Policies\\CertAssistant with its value name = key and its registry type', () => {
  const doc = parse(read(ADMX_FILES.admx))['policyDefinitions'] as Node;
  const policies = (doc['policies'] as Node)['policy'] as Node[];
  const keys = Object.keys(POLICY_SCHEMA.properties).filter((k) => k !== '$schema' && k !== 'version');
  assert.deepEqual(policies.map((p) => p['name']).sort(), [...keys].sort());
  for (const p of policies) {
    const name = String(p['name']);
    const m = REGISTRY_MAP[name]!;
    assert.equal(p['key'], POLICY_REGISTRY_KEY);
    // Machine keys only in Computer Configuration (HKLM); the user-settable ones in both.
    assert.equal(p['class'], (ADMIN_ONLY_KEYS as readonly string[]).includes(name) ? 'Machine' : 'Both', name);
    const el = p['elements'] as Node | undefined;
    switch (m.type) {
      case 'REG_DWORD':
        if (m.kind === 'boolean') {
          assert.equal(p['valueName'], name);
          assert.deepEqual(p['enabledValue'], { decimal: { value: '1' } });
          assert.deepEqual(p['disabledValue'], { decimal: { value: '0' } });
        } else {
          assert.equal((el!['decimal'] as Node)['valueName'], name);
        }
        break;
      case 'REG_MULTI_SZ':
        assert.equal((el!['multiText'] as Node)['valueName'], name, `${name}: multiText writes REG_MULTI_SZ`);
        break;
      case 'REG_SZ': {
        const inner = (el!['text'] ?? el!['enum']) as Node;
        assert.equal(inner['valueName'], name, `${name}: text/enum write REG_SZ`);
        assert.equal(el!['decimal'], undefined);
        break;
      }
    }
  }
});

test('zh-CN and en-US explain every policy, name its registry value and type, and define every string and presentation the ADMX uses', () => {
  const admx = read(ADMX_FILES.admx);
  const used = new Set([...admx.matchAll(/\$\(string\.([^)]+)\)/g)].map((m) => m[1]!));
  const usedPresentations = new Set([...admx.matchAll(/\$\(presentation\.([^)]+)\)/g)].map((m) => m[1]!));
  for (const [lang, rel] of [['zh', ADMX_FILES['zh-CN']], ['en', ADMX_FILES['en-US']]] as const) {
    const res = (parse(read(rel))['policyDefinitionResources'] as Node)['resources'] as Node;
    const strings = new Map(((res['stringTable'] as Node)['string'] as Node[]).map((s) => [String(s['id']), String(s['#text'])]));
    for (const id of used) assert.ok(strings.has(id), `${rel}: string ${id}`);
    const pres = new Set(((res['presentationTable'] as Node)['presentation'] as Node[]).map((p) => String(p['id'])));
    for (const id of usedPresentations) assert.ok(pres.has(id), `${rel}: presentation ${id}`);
    for (const p of templatePolicies()) {
      const help = strings.get(`${p.key}_Help`)!;
      assert.ok(help.includes(`HKLM\\SOFTWARE\\Policies\\CertAssistant\\${p.key}`), `${rel}: ${p.key} names its value`);
      assert.ok(help.includes(p.mapping.type), `${rel}: ${p.key} names ${p.mapping.type}`);
      assert.equal(help.includes('HKCU'), p.scope === 'Both', `${rel}: ${p.key} HKCU only for user-scope keys`);
      if (lang === 'zh') assert.match(help, /[\u4e00-\u9fff]/, `${p.key}: Chinese explain text`);
    }
  }
  assert.match(read(ADMX_FILES['zh-CN']), /<displayName>证书助手<\/displayName>/);
});

test('a new policy key without text is refused by the generator, not silently left out', () => {
  const table = structuredClone(POLICY_TEXT) as unknown as Parameters<typeof generateAdmx>[0] & { keys: Record<string, unknown> };
  delete table.keys['clockSkewSeconds'];
  assert.throws(() => generateAdmx(table), /no text for policy key clockSkewSeconds/);
});
