#!/bin/bash
# Fixture: onboarding through a private link scope, proxy bypass for Arc.
sudo azcmagent config set proxy.url "http://10.0.0.4:3128"
sudo azcmagent config set proxy.bypass "Arc"
sudo azcmagent connect --subscription-id "Production" --resource-group "HybridServers" \
    --location "koreacentral" --use-device-code \
    --private-link-scope "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.HybridCompute/privateLinkScopes/ScopeName"
