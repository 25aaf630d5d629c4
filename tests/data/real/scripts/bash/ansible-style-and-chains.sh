#!/bin/bash
# Fixture: commands chained with && and || and run only when the agent is there.
if command -v azcmagent >/dev/null 2>&1; then
  sudo azcmagent config set extensions.allowlist "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent,Microsoft.Azure.AzureDefenderForServers/MDE.Linux" && echo "allowlist set" || echo "allowlist failed" >&2
  sudo azcmagent config set guestconfiguration.enabled false && sudo azcmagent config list
fi
