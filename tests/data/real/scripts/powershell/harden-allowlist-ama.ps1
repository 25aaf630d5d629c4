# Fixture: lock a Windows server down to the Azure Monitor agent (R18 best practice).
$ErrorActionPreference = "Stop"
$azcmagentPath = Join-Path $env:ProgramW6432 'AzureConnectedMachineAgent\azcmagent.exe'

$banner = @"
This script runs:
  azcmagent config set extensions.blocklist "anything"
and other commands that must not be read from this text.
"@
Write-Host $banner

& $azcmagentPath config set extensions.allowlist "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
if ($LASTEXITCODE -ne 0) { throw "allowlist failed" }
& $azcmagentPath config set guestconfiguration.enabled false
& $azcmagentPath config list
