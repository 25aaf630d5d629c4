# Fixture: read the settings as JSON, then lock a Tier 0 server down.
$config = Get-Content .\settings.json | ConvertFrom-Json
$arcLocalSettings = azcmagent config list -j | ConvertFrom-Json

<#
Possible valid values (agent 1.48):

incomingconnections.enabled (preview)
incomingconnections.ports (preview)
connection.type (preview)
proxy.url
proxy.bypass
extensions.allowlist
extensions.blocklist
guestconfiguration.enabled
extensions.enabled
config.mode
guestconfiguration.agent.cpulimit
extensions.agent.cpulimit
#>

if ($config.arcTier0 -eq $true -and
    (($arcLocalSettings.localsettings | Where-Object Key -EQ 'incomingconnections.enabled').value -ne $false)
) {
    Write-Host 'Configure the system for Tier 0 and disable remote features'
    azcmagent config set incomingconnections.enabled false
    azcmagent config set guestconfiguration.enabled false
    azcmagent config set extensions.allowlist "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent,Microsoft.Azure.AzureDefenderForServers/MDE.Windows"
}
