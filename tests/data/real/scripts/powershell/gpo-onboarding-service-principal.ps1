<#
.DESCRIPTION
    Fixture: a scheduled-task onboarding script run from a network share.
    It installs the agent when missing, then calls azcmagent.exe connect
    with a service principal; azcmagent.exe show -j reports the status.
#>

Param (
    [Parameter(Mandatory = $true)]
    [System.String]$ShareRoot,
    [System.String]$AgentProxy,
    [switch]$AssessOnly
)

$arcInfo = Get-Content (Join-Path $ShareRoot "ArcInfo.json") | ConvertFrom-Json
$tags = @{ DeployedBy = "GPO" }

Function Get-AgentStatus {
    $status = (& "$($env:ProgramW6432)\AzureConnectedMachineAgent\azcmagent.exe" show -j) | ConvertFrom-Json
    return $status
}

Function Connect-Agent {
    $tagText = ($tags.GetEnumerator() | ForEach-Object -Process { "$($_.key)" + "=" + "'$($_.value)'" }) -join ","
    $secret = Get-Content (Join-Path $ShareRoot "spsecret.txt")

    if ($AgentProxy) {
        $proxyResult = & "$env:ProgramW6432\AzureConnectedMachineAgent\azcmagent.exe" config set proxy.url $AgentProxy #proxy for the agent only
    }

    if ($arcInfo.PrivateLinkScopeId) {
        & "$env:ProgramW6432\AzureConnectedMachineAgent\azcmagent.exe" config set proxy.bypass "Arc" #Arc traffic goes over the private endpoint
        $out = & "$env:ProgramW6432\AzureConnectedMachineAgent\azcmagent.exe" connect --resource-name $env:computername --service-principal-id $arcInfo.ClientId --service-principal-secret $secret --resource-group $arcInfo.ResourceGroup --tenant-id $arcInfo.TenantId --location $arcInfo.Location --subscription-id $arcInfo.SubscriptionId --cloud AzureCloud --tags $tagText --private-link-scope $arcInfo.PrivateLinkScopeId
    }
    else {
        $out = & "$env:ProgramW6432\AzureConnectedMachineAgent\azcmagent.exe" connect --resource-name $env:computername --service-principal-id $arcInfo.ClientId --service-principal-secret $secret --resource-group $arcInfo.ResourceGroup --tenant-id $arcInfo.TenantId --location $arcInfo.Location --subscription-id $arcInfo.SubscriptionId --cloud AzureCloud --tags $tagText
    }
    return ($LastExitCode -eq 0)
}

Function Repair-Agent {
    #TODO: keep the same resource when the machine moves
    #$out = & "$env:ProgramW6432\AzureConnectedMachineAgent\azcmagent.exe" connect --service-principal-id $id --resource-group $rg
}

if (-not $AssessOnly) {
    $exitCode = (Start-Process -FilePath msiexec.exe -ArgumentList @("/i", "$env:TEMP\AzureConnectedMachineAgent.msi", "/qn") -Wait -Passthru).ExitCode
    if ($exitCode -eq 0) { Connect-Agent | Out-Null }
}
