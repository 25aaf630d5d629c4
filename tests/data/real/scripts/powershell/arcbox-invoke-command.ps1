# Fixture: enable SSH through the agent on nested VMs, in a script block.
$winCreds = Get-Credential

Invoke-Command -VMName "ArcBox-Win2K19","ArcBox-Win2K22" -ScriptBlock {

    # Allow SSH via Azure Arc agent
    azcmagent config set incomingconnections.ports 22

} -Credential $winCreds

Invoke-Command -VMName "ArcBox-SQL" -ScriptBlock { azcmagent config set incomingconnections.ports 22 } -Credential $winCreds
