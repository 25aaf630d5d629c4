<# Fixture: comments and here-strings that mention the agent but run nothing.
   azcmagent config set extensions.enabled false
#>
$readme = @'
Run: azcmagent config set config.mode monitor
'@
# azcmagent config set extensions.allowlist "Allow/None"
Write-Output $readme   # azcmagent config clear extensions.allowlist
azcmagent config get extensions.enabled
