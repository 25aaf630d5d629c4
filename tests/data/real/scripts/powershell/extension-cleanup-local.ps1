# Fixture: remove an extension locally while the extension service is stopped (R6, agent 1.39+).
Stop-Service -Name ExtensionService
azcmagent extension list
azcmagent extension remove --name MicrosoftMonitoringAgent
Start-Service -Name ExtensionService
