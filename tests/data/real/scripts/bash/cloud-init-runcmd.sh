#!/bin/sh
# Fixture: the commands a cloud-init runcmd or a VM image build runs after installing the agent.
set -e
curl -sSL -o /tmp/install_linux_azcmagent.sh https://gbl.his.arc.azure.com/azcmagent-linux
sh /tmp/install_linux_azcmagent.sh --verbose
/usr/bin/azcmagent config set extensions.allowlist "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent,Microsoft.Azure.AzureDefenderForServers/MDE.Linux"
/usr/bin/azcmagent config set guestconfiguration.enabled false
/usr/bin/azcmagent config set incomingconnections.enabled false
