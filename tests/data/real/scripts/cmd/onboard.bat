@echo off
REM Fixture: onboarding from a batch file, the connect line continued with carets.
set RG=rg-arc-branch
"%ProgramFiles%\AzureConnectedMachineAgent\azcmagent.exe" connect ^
  --resource-group "%RG%" ^
  --location "westeurope" ^
  --subscription-id "00000000-0000-0000-0000-000000000000" ^
  --use-device-code
if errorlevel 1 goto :fail
"%ProgramFiles%\AzureConnectedMachineAgent\azcmagent.exe" config set extensions.blocklist "Microsoft.Compute/CustomScriptExtension" && echo blocked
exit /b 0
:fail
echo connect failed
exit /b 1
