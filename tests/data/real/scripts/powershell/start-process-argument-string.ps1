# Fixture: onboarding through Start-Process with an argument string built over several lines.
$azcmagentExe = "$env:ProgramFiles\AzureConnectedMachineAgent\azcmagent.exe"
$resourceGroup = "rg-arc-nordics"
$location = "norwayeast"

$argumentList = "connect " +
                "--resource-group `"$resourceGroup`" " +
                "--location `"$location`" " +
                "--tags `"Site=Oslo`" " +
                "--correlation-id `"33333333-3333-3333-3333-333333333333`""

Write-Host "`nCommand to run:" -ForegroundColor Gray
Write-Host "$azcmagentExe $argumentList`n" -ForegroundColor Gray

$process = Start-Process -FilePath $azcmagentExe `
                        -ArgumentList $argumentList `
                        -Wait `
                        -NoNewWindow `
                        -PassThru

if ($process.ExitCode -eq 0) {
    Write-Host "[OK] onboarded" -ForegroundColor Green
}
