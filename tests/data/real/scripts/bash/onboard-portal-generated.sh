#!/bin/bash
# Fixture: shape of the onboarding script the Azure portal generates for one Linux server.
export subscriptionId="00000000-0000-0000-0000-000000000000";
export resourceGroup="rg-arc-linux";
export tenantId="11111111-1111-1111-1111-111111111111";
export location="westeurope";
export authType="token";
export correlationId="22222222-2222-2222-2222-222222222222";
export cloud="AzureCloud";

# Download the installation package
output=$(wget https://aka.ms/azcmagent -O /tmp/install_linux_azcmagent.sh 2>&1);
if [ $? != 0 ]; then wget -qO- --method=PUT --body-data="{\"subscriptionId\":\"$subscriptionId\",\"resourceGroup\":\"$resourceGroup\",\"tenantId\":\"$tenantId\",\"location\":\"$location\",\"correlationId\":\"$correlationId\",\"authType\":\"$authType\",\"operation\":\"onboarding\",\"messageType\":\"DownloadScriptFailed\",\"message\":\"$output\"}" "https://gbl.his.arc.azure.com/log" &> /dev/null || true; fi;
echo "$output";

# Install the hybrid agent
bash /tmp/install_linux_azcmagent.sh;

# Run connect command
sudo azcmagent connect --resource-group "$resourceGroup" --tenant-id "$tenantId" --location "$location" --subscription-id "$subscriptionId" --cloud "$cloud" --tags "Datacenter=AMS1,City=Amsterdam,CountryOrRegion=NL" --correlation-id "$correlationId";
