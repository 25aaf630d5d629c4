# Fixture: an allowlist with a misspelt extension type, and the script extension allowed (R18).
azcmagent config set extensions.allowlist "Microsoft.Azure.Monitor/AzureMonitorWindowAgent,Microsoft.Compute/CustomScriptExtension"
azcmagent config set guestconfiguration.enabled false
