#!/bin/bash
# Fixture: apply the lockdown to several hosts over ssh.
for host in web01 web02 web03; do
  ssh "$host" "sudo azcmagent config set extensions.allowlist 'Microsoft.Azure.Monitor/AzureMonitorLinuxAgent'"
  ssh -o BatchMode=yes "$host" sudo azcmagent config set guestconfiguration.enabled false
done
