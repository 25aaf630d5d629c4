# Fixture: decommission: disconnect, then remove the package.
& "$env:ProgramFiles\AzureConnectedMachineAgent\azcmagent.exe" disconnect --service-principal-id $id --service-principal-secret $secret
$app = Get-WmiObject -Class Win32_Product | Where-Object { $_.Name -eq "Azure Connected Machine Agent" }
$app.Uninstall() | Out-Null
