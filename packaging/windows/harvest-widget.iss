; Inno Setup 6 script: a per-user installer for the one-folder PyInstaller build.
;
;   scripts/build_bundle.sh                          (builds dist\harvest-widget\harvest-widget.exe)
;   iscc /DAppVersion=0.1.0 packaging\windows\harvest-widget.iss
;
; Output: dist\harvest-widget-<version>-setup.exe. Installs into %LOCALAPPDATA%\Programs without admin
; rights (or Program Files if the user chooses "for all users"), adds a Start-menu entry and an
; uninstaller, and optionally starts the widget at login through the same per-user Run value the
; app's own "Start at login" setting writes (harvest_widget/autostart.py), so the two agree.
; Uninstalling keeps the user's settings and cache (see the README to remove them).

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z packaging\windows\harvest-widget.iss
#endif

#define AppName "Harvest Widget"
#define AppExe "harvest-widget.exe"
#define RunValue "harvest-widget"

[Setup]
AppId={{6F1C2E0B-5B8A-4D4E-9B7A-7C1E2A9D4F31}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=harvest-widget contributors
AppPublisherURL=https://github.com/harvest-widget/harvest-widget
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=harvest-widget-{#AppVersion}-setup
SetupIconFile=..\..\resources\generated\app.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes
VersionInfoVersion={#AppVersion}

[Tasks]
Name: "startatlogin"; Description: "Start {#AppName} when I sign in to Windows"; GroupDescription: "Startup:"
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\dist\harvest-widget\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; The optional start at login: the same value the app's setting manages.
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "{#RunValue}"; ValueData: """{app}\{#AppExe}"" --hidden"; Tasks: startatlogin
; Whoever created it (installer or the app's setting), the value goes with the uninstall.
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: none; ValueName: "{#RunValue}"; Flags: uninsdeletevalue dontcreatekey

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallRun]
; A running widget would keep its files locked.
Filename: "{sys}\taskkill.exe"; Parameters: "/f /im {#AppExe}"; Flags: runhidden; RunOnceId: "StopWidget"
