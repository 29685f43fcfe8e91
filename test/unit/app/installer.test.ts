// The Windows installers as IT admins deploy them: electron-builder.yml validated against
// electron-builder's own schema (offline, the scheme.json it ships), the settings admins rely on,
// and the WiX project our MSI hook produces from electron-builder's real MSI template.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import * as yaml from 'js-yaml';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
// @ts-expect-error -- a plain .mjs build hook, no declarations
import { extendMsiProject as extendMsiProjectUntyped } from '../../../build/msi-project.mjs';

const extendMsiProject = extendMsiProjectUntyped as (wxs: string) => string;

const root = path.resolve(import.meta.dirname, '../../..');
const require = createRequire(import.meta.url);
const builderLib = path.dirname(require.resolve('app-builder-lib/package.json', { paths: [path.join(root, 'node_modules/electron-builder')] }));

type Json = Record<string, unknown>;
const config = yaml.load(fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as Json;
const win = config['win'] as Json;
const nsis = config['nsis'] as Json;
const msi = config['msi'] as Json;

function schemaValidator() {
  const schema = JSON.parse(fs.readFileSync(path.join(builderLib, 'scheme.json'), 'utf8')) as Json;
  return new Ajv({ strict: false, allErrors: true, allowUnionTypes: true }).compile(schema);
}

test('electron-builder.yml is valid against electron-builder\'s own schema (and the schema does reject mistakes)', () => {
  const validate = schemaValidator();
  assert.equal(validate(config), true, JSON.stringify(validate.errors, null, 1));
  // The validator is not vacuous: a misspelt key and a wrong type are refused.
  assert.equal(validate({ ...config, nsis: { ...nsis, perMachin: true } }), false);
  assert.equal(validate({ ...config, msi: { ...msi, perMachine: 'yes' } }), false);
});

test('Windows targets: NSIS and MSI, each for x64 and ia32', () => {
  const targets = win['target'] as { target: string; arch: string[] }[];
  for (const t of ['nsis', 'msi']) {
    const entry = targets.find((x) => x.target === t);
    assert.ok(entry, t);
    assert.deepEqual([...entry.arch].sort(), ['ia32', 'x64'], t);
  }
});

test('NSIS: assisted, per machine, elevation, silent switches, our include script present', () => {
  assert.equal(nsis['oneClick'], false);
  assert.equal(nsis['perMachine'], true);
  assert.equal(nsis['allowElevation'], true);
  assert.equal(nsis['allowToChangeInstallationDirectory'], true);
  const include = nsis['include'] as string;
  const nsh = fs.readFileSync(path.join(root, include), 'utf8');
  // %ProgramData%\CertAssistant: owner and DACL set by SID, inheritance from ProgramData removed,
  // only Administrators and SYSTEM may write; a failure stops the install.
  assert.match(nsh, /SetShellVarContext all/);
  assert.match(nsh, /icacls\.exe" "\$APPDATA\\CertAssistant" \/setowner \*S-1-5-32-544/);
  assert.match(nsh, /\/reset \/T/);
  const grant = /\/inheritance:r \/grant:r (.*?) \/C/.exec(nsh)?.[1];
  assert.equal(grant, '*S-1-5-32-544:(OI)(CI)F *S-1-5-18:(OI)(CI)F *S-1-5-32-545:(OI)(CI)RX');
  assert.match(nsh, /SetErrorLevel 3\s+Abort/);
  // The bridge certificate only when the admin opts in (/BRIDGECERT or the checkbox), CA cert only.
  assert.match(nsh, /GetOptions\} \$R0 "\/BRIDGECERT"/);
  assert.match(nsh, /\$\{If\} \$CertAssistantBridgeCert == "1"[\s\S]*--cli bridge-cert issue --out/);
  assert.match(nsh, /certutil\.exe" -f -addstore Root "[^"]*localhost-ca\.crt"/);
  assert.doesNotMatch(nsh, /-importpfx|localhost\.key"?\s*$/m, 'no private key goes into a store');
  // Every macro electron-builder calls is closed, and no unbalanced !if blocks.
  assert.equal((nsh.match(/^!macro /gm) ?? []).length, (nsh.match(/^!macroend/gm) ?? []).length);
  assert.equal((nsh.match(/^\s*!if(n?def)? /gm) ?? []).length, (nsh.match(/^\s*!endif/gm) ?? []).length);
});

test('MSI: per machine, a fixed upgrade code, no launch after a silent install, our WiX hook', () => {
  assert.equal(msi['perMachine'], true);
  assert.match(String(msi['upgradeCode']), /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
  assert.equal(msi['runAfterFinish'], false);
  assert.equal(config['msiProjectCreated'], './build/msi-project.mjs');
});

test('koffi: unpacked from the asar, and only the Windows build of the target arch packaged', () => {
  assert.ok((config['asarUnpack'] as string[]).includes('node_modules/koffi/**'));
  const files = win['files'] as string[];
  assert.ok(files.includes('!node_modules/koffi/build/koffi/!(win32_${arch})/**'));
  // The pattern as electron-builder expands it keeps exactly win32_<arch>.
  const dirs = fs.readdirSync(path.join(root, 'node_modules/koffi/build/koffi'));
  const { minimatch } = require(require.resolve('minimatch', { paths: [builderLib] })) as { minimatch: (p: string, g: string) => boolean };
  for (const arch of ['x64', 'ia32']) {
    const exclude = files[0]!.slice(1).replace('${arch}', arch);
    const kept = dirs.filter((d) => !minimatch(`node_modules/koffi/build/koffi/${d}/koffi.node`, exclude));
    assert.deepEqual(kept, [`win32_${arch}`]);
  }
});

test('signing from the environment, native files signed, updates only from the same publisher, generic intranet feed', () => {
  assert.ok(win['signtoolOptions'] || win['azureSignOptions']);
  assert.equal(JSON.stringify(config).includes('certificatePassword'), false, 'no secret in the file');
  assert.equal(win['cscLink'], undefined);
  assert.deepEqual(win['signExts'], ['.node', '.dll']);
  assert.equal(win['verifyUpdateCodeSignature'], true);
  const publish = config['publish'] as { provider: string; url: string; channel?: string }[];
  assert.equal(publish[0]!.provider, 'generic');
  assert.match(publish[0]!.url, /^https:\/\//);
});

function renderMsiTemplate(): string {
  const ejs = require(require.resolve('ejs', { paths: [builderLib] })) as { compile: (t: string) => (d: Json) => string };
  // electron-builder's own preprocessing of template.xml (app-builder-lib/out/targets/MsiTarget.js).
  const template = fs
    .readFileSync(path.join(builderLib, 'templates/msi/template.xml'), 'utf8')
    .replace(/{{/g, '<%')
    .replace(/}}/g, '%>')
    .replace(/\${([^}]+)}/g, '<%=$1%>');
  return ejs.compile(template)({
    productName: 'CertAssistant', upgradeCode: msi['upgradeCode'], version: '0.1.0.0', manufacturer: 'Cert Assistant contributors',
    compressionLevel: 'high', iconPath: null, iconId: 'i', isRunAfterFinish: false, isAssisted: false, isPerMachine: true,
    menuCategory: null, programFilesId: 'ProgramFiles64Folder', installationDirectoryWixName: 'CertAssistant',
    isCreateDesktopShortcut: true, isCreateStartMenuShortcut: true, dirs: '', files: '<Component Id="mainExecutable"><File Source="CertAssistant.exe"/></Component>',
  });
}

test('MSI hook: ProgramData folder locked to Administrators+SYSTEM, POLICYDIR copy, opt-in bridge certificate, MSI marker', () => {
  const base = renderMsiTemplate();
  const wxs = extendMsiProject(base);
  assert.equal(XMLValidator.validate(wxs), true);
  assert.equal(extendMsiProject(wxs), wxs, 'running the hook twice changes nothing');
  assert.throws(() => extendMsiProject('<Wix/>'), /unexpected WiX template/);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name, _path, _leaf, isAttribute) => !isAttribute && ['Component', 'ComponentRef', 'Permission', 'Custom', 'CustomAction', 'Property', 'DirectoryRef', 'Directory'].includes(name) }).parse(wxs) as Json;
  const wix = doc['Wix'] as Json;
  const product = wix['Product'] as Json;
  assert.equal(product['UpgradeCode'], msi['upgradeCode']);
  assert.deepEqual(((product['Feature'] as Json)['ComponentRef'] as Json[]).map((c) => c['Id']), ['CertAssistantProgramData', 'CertAssistantMsiMarker']);
  const fragment = wix['Fragment'] as Json;
  const data = (fragment['DirectoryRef'] as Json[]).find((d) => d['Id'] === 'CERTASSISTANTDATA')!;
  const component = (data['Component'] as Json[])[0]!;
  const perms = (component['CreateFolder'] as Json)['Permission'] as Json[];
  // LockPermissions replaces the folder's DACL: exactly these three, only two may write.
  assert.deepEqual(perms.map((p) => p['User']), ['Administrators', 'SYSTEM', 'Users']);
  assert.deepEqual(perms.filter((p) => p['GenericAll'] === 'yes').map((p) => p['User']), ['Administrators', 'SYSTEM']);
  assert.equal(perms[2]!['GenericWrite'], undefined);
  const copy = component['CopyFile'] as Json;
  assert.equal(copy['SourceProperty'], 'POLICYDIR');
  assert.equal(copy['SourceName'], 'policy.json');
  const props = (fragment['Property'] as Json[]).map((p) => p['Id']);
  assert.deepEqual(props, ['POLICYDIR', 'BRIDGECERT']);
  const customs = (fragment['InstallExecuteSequence'] as Json)['Custom'] as Json[];
  const issue = customs.find((c) => c['Action'] === 'CertAssistantIssueBridgeCert')!;
  assert.equal(issue['#text'], 'BRIDGECERT = "1" AND NOT REMOVE');
  const actions = fragment['CustomAction'] as Json[];
  for (const a of actions) assert.equal(a['Impersonate'], 'no', `${String(a['Id'])} runs elevated, deferred`);
  assert.match(String(actions.find((a) => a['Id'] === 'CertAssistantTrustBridgeCa')!['ExeCommand']), /-addstore Root "\[CERTASSISTANTDATA\]bridge\\localhost-ca\.crt"/);
  const marker = ((fragment['DirectoryRef'] as Json[]).find((d) => d['Id'] === 'APPLICATIONFOLDER')!['Component'] as Json[])[0]!;
  assert.deepEqual(marker['IniFile'], { Id: 'CertAssistantInstallerKind', Action: 'addLine', Directory: 'APPLICATIONFOLDER', Name: 'install.ini', Section: 'CertAssistant', Key: 'installer', Value: 'msi' });
});
