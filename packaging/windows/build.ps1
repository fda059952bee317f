# Build the Windows installer: PyInstaller onedir bundle, then the Inno Setup installer.
#
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
#
# Needs: Python 3.11+ (x64), Inno Setup 6 (ISCC.exe on PATH or in its default folder).
# Output: dist\extractdesk\ and dist\Extractdesk-<version>-setup.exe
$ErrorActionPreference = "Stop"
$Root = Resolve-Path (Join-Path $PSScriptRoot "..\..")
Set-Location $Root

if (-not (Test-Path .venv\Scripts\python.exe)) { py -3.11 -m venv .venv }
.venv\Scripts\python -m pip install -q -e . -r packaging\requirements.txt
if ($LASTEXITCODE) { throw "pip failed" }

$Version = .venv\Scripts\python -c "import tomllib; print(tomllib.load(open('pyproject.toml','rb'))['project']['version'])"
.venv\Scripts\pyinstaller --noconfirm --clean --distpath dist --workpath build\pyinstaller packaging\pyinstaller\extractdesk.spec
if ($LASTEXITCODE) { throw "PyInstaller failed" }

# the frozen app must answer before it is packaged
$Printed = & dist\extractdesk\extractdesk-cli.exe --version
if ($Printed -ne "extractdesk $Version") { throw "--version printed '$Printed'" }
# the window, the local engine's server and its worker processes, from inside the bundle:
# once from the console program, once from the windowed one (no console, no std streams)
$env:QT_QPA_PLATFORM = "offscreen"
& dist\extractdesk\extractdesk-cli.exe --smoke-test resources\samples\welcome.pdf
if ($LASTEXITCODE) { throw "the smoke test failed (extractdesk-cli.exe)" }
$Gui = Start-Process dist\extractdesk\extractdesk.exe -Wait -PassThru `
  -ArgumentList "--smoke-test", "resources\samples\welcome.pdf"
if ($Gui.ExitCode) { throw "the smoke test failed (extractdesk.exe): $($Gui.ExitCode)" }
Remove-Item Env:\QT_QPA_PLATFORM

$Iscc = (Get-Command ISCC.exe -ErrorAction SilentlyContinue).Source
if (-not $Iscc) { $Iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
& $Iscc "/DAppVersion=$Version" packaging\windows\extractdesk.iss
if ($LASTEXITCODE) { throw "ISCC failed" }
Get-Item "dist\Extractdesk-$Version-setup.exe"
