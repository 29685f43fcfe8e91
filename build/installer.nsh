; Cert Assistant: what the per-machine installer adds to electron-builder's NSIS script
; (electron-builder.yml nsis.include). Elevated, per machine; every step also works silently (/S).
;
;   CertAssistant-Setup-<v>-x64.exe /S [/BRIDGECERT] [/D=C:\Program Files\CertAssistant]
;
; 1. %ProgramData%\CertAssistant, writable only by Administrators and SYSTEM (users read). The app
;    reads the machine policy (policy.json) and the trust folder there; ProgramData's own inherited
;    ACL lets every user CREATE files in new sub-folders, so without this step any user could plant
;    a policy that adds trusted roots or driver DLLs.
; 2. /BRIDGECERT (or the checkbox page): the bridge's localhost certificate for https pages that
;    talk to wss://127.0.0.1:21061 — issued at install time by the installed app (a one-time CA
;    whose private key is destroyed right after signing the one localhost leaf), and only the CA
;    CERTIFICATE is imported into the machine's Trusted Root store. Off by default.
;
; No AccessControl plug-in: icacls.exe and certutil.exe ship with every Windows since Vista, and
; SIDs (not names) keep a Chinese Windows ("Administrators" is localised there) working the same:
;   S-1-5-32-544 Administrators, S-1-5-18 SYSTEM (LocalSystem), S-1-5-32-545 Users.

!include "FileFunc.nsh"
!include "LogicLib.nsh"
!include "nsDialogs.nsh"

; The one-time CA's CN carries its issue date (main/bridge/tls/localhost-certificate.ts), so the
; uninstaller removes it by the SHA-1 thumbprint the issue step records in localhost-ca.thumbprint.

!ifndef BUILD_UNINSTALLER
  Var CertAssistantBridgeCert
  Var CertAssistantBridgeCheckbox

  Function CertAssistantBridgePage
    ${If} ${Silent}
      Abort
    ${EndIf}
    nsDialogs::Create 1018
    Pop $0
    ${NSD_CreateLabel} 0 0 100% 60u "本地连接证书（可选）：让浏览器中的 https 政务网页能连接本机的证书助手（wss://127.0.0.1:21061）。安装程序会签发一张只对本机地址有效的证书，签发后立即销毁签发密钥，并把该证书加入本机的受信任根证书。$\r$\nLocalhost certificate (optional): lets https portal pages in browsers reach the assistant on this computer. Issued at install time by a one-time CA whose key is destroyed; only valid for 127.0.0.1/localhost."
    Pop $0
    ${NSD_CreateCheckbox} 0 68u 100% 12u "安装本地连接证书 / Install the localhost certificate"
    Pop $CertAssistantBridgeCheckbox
    ${If} $CertAssistantBridgeCert == "1"
      ${NSD_Check} $CertAssistantBridgeCheckbox
    ${EndIf}
    nsDialogs::Show
  FunctionEnd

  Function CertAssistantBridgePageLeave
    ${NSD_GetState} $CertAssistantBridgeCheckbox $0
    ${If} $0 == ${BST_CHECKED}
      StrCpy $CertAssistantBridgeCert "1"
    ${Else}
      StrCpy $CertAssistantBridgeCert "0"
    ${EndIf}
  FunctionEnd
!endif

!macro customInit
  ; Opt-in only: /BRIDGECERT on the command line (silent deployments) or the checkbox below.
  StrCpy $CertAssistantBridgeCert "0"
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/BRIDGECERT" $R1
  ${IfNot} ${Errors}
    StrCpy $CertAssistantBridgeCert "1"
  ${EndIf}
!macroend

!macro customPageAfterChangeDir
  Page custom CertAssistantBridgePage CertAssistantBridgePageLeave
!macroend

!macro customInstall
  SetShellVarContext all
  ; With the "all users" context $APPDATA is %ProgramData%.
  CreateDirectory "$APPDATA\CertAssistant"
  ; Owner Administrators for the folder and anything already in it (a user may have created the
  ; folder before us); then every ACL back to inherited-only (drops any ACE a user added), then the
  ; folder's own ACL replaced: no inheritance from ProgramData, Administrators + SYSTEM full,
  ; Users read/execute. Files inside inherit exactly that.
  nsExec::ExecToLog '"$SYSDIR\icacls.exe" "$APPDATA\CertAssistant" /setowner *S-1-5-32-544 /T /C /Q'
  Pop $0
  nsExec::ExecToLog '"$SYSDIR\icacls.exe" "$APPDATA\CertAssistant" /reset /T /C /Q'
  Pop $1
  nsExec::ExecToLog '"$SYSDIR\icacls.exe" "$APPDATA\CertAssistant" /inheritance:r /grant:r *S-1-5-32-544:(OI)(CI)F *S-1-5-18:(OI)(CI)F *S-1-5-32-545:(OI)(CI)RX /C /Q'
  Pop $2
  ${If} $0 != 0
  ${OrIf} $1 != 0
  ${OrIf} $2 != 0
    ; Refuse to finish with a folder users could write: the app would trust what they put there.
    MessageBox MB_ICONSTOP|MB_OK "无法设置 $APPDATA\CertAssistant 的访问权限（icacls 退出码 $0/$1/$2），安装已停止。$\r$\nCould not restrict the permissions of $APPDATA\CertAssistant; installation stopped." /SD IDOK
    SetErrorLevel 3
    Abort
  ${EndIf}

  ${If} $CertAssistantBridgeCert == "1"
    ; The installed app issues the certificate (documented subcommand, docs/admin.md):
    ;   CertAssistant.exe --cli bridge-cert issue --out <dir>
    ; writes localhost.crt + localhost.key (the leaf the bridge serves), localhost-ca.crt (the
    ; one-time CA's certificate; its key never touches the disk) and localhost-ca.thumbprint (SHA-1 hex).
    CreateDirectory "$APPDATA\CertAssistant\bridge"
    nsExec::ExecToLog '"$INSTDIR\${APP_EXECUTABLE_FILENAME}" --cli bridge-cert issue --out "$APPDATA\CertAssistant\bridge"'
    Pop $0
    ${If} $0 == 0
      ; -addstore imports a certificate only (a .crt has no key): the machine's Trusted Root store.
      nsExec::ExecToLog '"$SYSDIR\certutil.exe" -f -addstore Root "$APPDATA\CertAssistant\bridge\localhost-ca.crt"'
      Pop $0
    ${EndIf}
    ${If} $0 != 0
      ; Not fatal: the embedded portal pins its own certificate and does not need this one.
      DetailPrint "本地连接证书未能安装（退出码 $0）/ localhost certificate not installed (exit $0)"
      MessageBox MB_ICONEXCLAMATION|MB_OK "本地连接证书未能安装（退出码 $0）。程序内的门户不受影响；外部浏览器中的 https 网页暂时无法连接证书助手。$\r$\nThe localhost certificate could not be installed (exit $0)." /SD IDOK
    ${EndIf}
  ${EndIf}
!macroend

!macro customUnInstall
  ; Only on a real uninstall, not when an update replaces the installed version.
  ${IfNot} ${isUpdated}
    SetShellVarContext all
    ClearErrors
    FileOpen $1 "$APPDATA\CertAssistant\bridge\localhost-ca.thumbprint" r
    ${IfNot} ${Errors}
      FileRead $1 $2
      FileClose $1
      ; A thumbprint is 40 hex digits; anything else is not passed to certutil.
      StrLen $3 $2
      ${If} $3 >= 40
        StrCpy $2 $2 40
        nsExec::ExecToLog '"$SYSDIR\certutil.exe" -delstore Root $2'
        Pop $0
      ${EndIf}
    ${EndIf}
  ${EndIf}
  ; %ProgramData%\CertAssistant (the admin's policy) is left in place on purpose.
!macroend
