#!/usr/bin/env bash
# Fixture: the article's Azure Monitor agent only lockdown, for Linux.
set -euo pipefail

sudo azcmagent config set extensions.allowlist "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent"   # only AMA
sudo azcmagent config set guestconfiguration.enabled false
sudo azcmagent config list
