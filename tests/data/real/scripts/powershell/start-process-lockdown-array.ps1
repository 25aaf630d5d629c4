# Fixture: lockdown through Start-Process, arguments as an array and as one string.
$agent = Join-Path $env:ProgramW6432 "AzureConnectedMachineAgent\azcmagent.exe"

Start-Process -FilePath $agent -ArgumentList @("config", "set", "extensions.allowlist", "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent") -Wait -NoNewWindow
Start-Process -FilePath $agent -ArgumentList 'config set guestconfiguration.enabled false' -Wait -NoNewWindow
Start-Process $agent -ArgumentList "config","list" -Wait -NoNewWindow
