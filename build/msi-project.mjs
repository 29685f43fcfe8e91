// electron-builder `msiProjectCreated` hook (electron-builder.yml): adds to the generated WiX
// project what the NSIS include (build/installer.nsh) does for the .exe installer, in plain MSI
// tables — no custom DLLs, no scripts:
//   - %ProgramData%\CertAssistant with a replaced DACL (LockPermissions: Administrators and
//     SYSTEM full, Users read) — ProgramData's inherited ACL would let users create files there;
//   - POLICYDIR=<folder>: policy.json copied from that folder into it (MoveFile table, copy only;
//     a row whose source property is empty is skipped by Windows Installer);
//   - BRIDGECERT=1: the installed app issues the bridge's localhost certificate and certutil puts
//     only the one-time CA's certificate into the machine Root store (deferred, as SYSTEM);
//   - install.ini in the program folder with `installer=msi`, which tells the app that IT updates
//     this installation (main/updates: the app never self-updates an MSI install).
import fs from 'node:fs';

// Fixed component GUIDs: component rules need the same GUID for the same resource in every version.
const PROGRAM_DATA_COMPONENT_GUID = '{1B8C5419-B2CE-46D0-AE58-630950CC0DA1}';
const MARKER_COMPONENT_GUID = '{7E0D2A57-6C0B-4E51-9B4B-2F7D5C3A8E10}';

const FRAGMENT = `
  <Fragment>
    <Property Id="POLICYDIR" Secure="yes"/>
    <Property Id="BRIDGECERT" Secure="yes"/>
    <DirectoryRef Id="TARGETDIR">
      <Directory Id="CommonAppDataFolder">
        <Directory Id="CERTASSISTANTDATA" Name="CertAssistant"/>
      </Directory>
    </DirectoryRef>
    <DirectoryRef Id="CERTASSISTANTDATA">
      <Component Id="CertAssistantProgramData" Guid="${PROGRAM_DATA_COMPONENT_GUID}" Permanent="yes">
        <CreateFolder>
          <Permission User="Administrators" GenericAll="yes"/>
          <Permission User="SYSTEM" GenericAll="yes"/>
          <Permission User="Users" GenericRead="yes" GenericExecute="yes"/>
        </CreateFolder>
        <CopyFile Id="CertAssistantPolicyFromPolicyDir" SourceProperty="POLICYDIR" SourceName="policy.json" DestinationDirectory="CERTASSISTANTDATA"/>
      </Component>
    </DirectoryRef>
    <DirectoryRef Id="APPLICATIONFOLDER">
      <Component Id="CertAssistantMsiMarker" Guid="${MARKER_COMPONENT_GUID}">
        <IniFile Id="CertAssistantInstallerKind" Action="addLine" Directory="APPLICATIONFOLDER" Name="install.ini" Section="CertAssistant" Key="installer" Value="msi"/>
        <CreateFolder/>
      </Component>
    </DirectoryRef>
    <CustomAction Id="CertAssistantIssueBridgeCert" Directory="APPLICATIONFOLDER" ExeCommand="&quot;[APPLICATIONFOLDER]CertAssistant.exe&quot; --cli bridge-cert issue --out &quot;[CERTASSISTANTDATA]bridge&quot;" Execute="deferred" Impersonate="no" Return="ignore"/>
    <CustomAction Id="CertAssistantTrustBridgeCa" Directory="CERTASSISTANTDATA" ExeCommand="&quot;[SystemFolder]certutil.exe&quot; -f -addstore Root &quot;[CERTASSISTANTDATA]bridge\\localhost-ca.crt&quot;" Execute="deferred" Impersonate="no" Return="ignore"/>
    <CustomAction Id="CertAssistantUntrustBridgeCa" Directory="APPLICATIONFOLDER" ExeCommand="&quot;[APPLICATIONFOLDER]CertAssistant.exe&quot; --cli bridge-cert remove --dir &quot;[CERTASSISTANTDATA]bridge&quot;" Execute="deferred" Impersonate="no" Return="ignore"/>
    <InstallExecuteSequence>
      <Custom Action="CertAssistantIssueBridgeCert" Before="InstallFinalize">BRIDGECERT = "1" AND NOT REMOVE</Custom>
      <Custom Action="CertAssistantTrustBridgeCa" After="CertAssistantIssueBridgeCert">BRIDGECERT = "1" AND NOT REMOVE</Custom>
      <Custom Action="CertAssistantUntrustBridgeCa" Before="RemoveFiles">REMOVE = "ALL" AND NOT UPGRADINGPRODUCTCODE</Custom>
    </InstallExecuteSequence>
  </Fragment>
`;

/** Pure text transform, exported for the test: the generated project in, the extended one out. */
export function extendMsiProject(wxs) {
  const feature = /<Feature Id="ProductFeature"[^>]*>/;
  if (!feature.test(wxs) || !wxs.includes('</Product>') || !wxs.includes('</Wix>')) {
    throw new Error('msi-project: unexpected WiX template (no ProductFeature/Product/Wix); update build/msi-project.mjs');
  }
  if (wxs.includes('CertAssistantProgramData')) return wxs;
  return wxs
    .replace(feature, (m) => `${m}\n      <ComponentRef Id="CertAssistantProgramData"/>\n      <ComponentRef Id="CertAssistantMsiMarker"/>`)
    .replace(/<\/Wix>\s*$/, `${FRAGMENT}</Wix>\n`);
}

export default async function msiProjectCreated(projectFile) {
  fs.writeFileSync(projectFile, extendMsiProject(fs.readFileSync(projectFile, 'utf8')));
}
