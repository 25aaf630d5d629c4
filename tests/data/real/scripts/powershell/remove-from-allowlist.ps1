# Fixture: add and remove single entries, with short and long flags before and after the value.
azcmagent config set extensions.allowlist "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
azcmagent config set extensions.allowlist --add "Microsoft.Azure.AzureDefenderForServers/MDE.Windows"
azcmagent config set extensions.allowlist "Microsoft.Compute/CustomScriptExtension" -a
azcmagent config set extensions.allowlist -r "Microsoft.Compute/CustomScriptExtension"
azcmagent config set guestconfiguration.enabled false
