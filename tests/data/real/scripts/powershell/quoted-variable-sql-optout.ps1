# Fixture: onboarding with the SQL Server auto-deployment opt-out tag, agent called through a quoted variable.
$azcmagentExe = "C:\Program Files\AzureConnectedMachineAgent\azcmagent.exe"

& "$azcmagentExe" connect --resource-group "$env:RESOURCE_GROUP" --tenant-id "$env:TENANT_ID" --location "$env:LOCATION" --subscription-id "$env:SUBSCRIPTION_ID" --cloud "$env:CLOUD" --tags 'ArcSQLServerExtensionDeployment=Disabled' --enable-automatic-upgrade --correlation-id "$env:CORRELATION_ID"

if ($LASTEXITCODE -eq 0) {
    & "$azcmagentExe" config set incomingconnections.ports 22
    Write-Host "`n[SUCCESS] connected and SSH enabled" -ForegroundColor Green
}
