#!/bin/bash
# Fixture: the allowlist comes from a variable set in the script.
ALLOWED="Microsoft.Azure.Monitor/AzureMonitorLinuxAgent"
sudo azcmagent config set extensions.allowlist "$ALLOWED"
sudo azcmagent config set extensions.blocklist "$BLOCKED_FROM_ENVIRONMENT"
