# Fixture: the agent called through another shell, as a remoting or scheduled task does.
powershell.exe -NoProfile -ExecutionPolicy Bypass -Command "azcmagent config set extensions.allowlist 'Microsoft.Azure.Monitor/AzureMonitorWindowsAgent'"
pwsh -c "& 'C:\Program Files\AzureConnectedMachineAgent\azcmagent.exe' config set guestconfiguration.enabled false"
cmd.exe /c "azcmagent config list"
