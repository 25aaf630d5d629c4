@echo off
REM Fixture: a batch file that locks a Windows server down to Defender for Endpoint.
:: The agent is on PATH after installation, or at its installed path.
"%ProgramFiles%\AzureConnectedMachineAgent\azcmagent.exe" config set extensions.allowlist "Microsoft.Azure.AzureDefenderForServers/MDE.Windows"
azcmagent config set guestconfiguration.enabled false
if %ERRORLEVEL% NEQ 0 exit /b 1
azcmagent config list
