# Fixture: a blocklist split over lines with PowerShell backtick continuations.
& "$env:ProgramW6432\AzureConnectedMachineAgent\azcmagent.exe" config set `
    extensions.blocklist `
    "Microsoft.Compute/CustomScriptExtension,Microsoft.Cplat.Core/RunCommandHandlerWindows,Microsoft.Azure.Automation.HybridWorker/HybridWorkerForWindows"

& "$env:ProgramW6432\AzureConnectedMachineAgent\azcmagent.exe" config get extensions.blocklist
