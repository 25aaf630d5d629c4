# Fixture: route the agent through an Azure Arc gateway.
azcmagent config set connection.type gateway
azcmagent connect --resource-group "rg-arc" --location "eastus" --subscription-id "00000000-0000-0000-0000-000000000000" --gateway-id "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-arc/providers/Microsoft.HybridCompute/gateways/gw1"
azcmagent config get connection.type
