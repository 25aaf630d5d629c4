#!/bin/bash
# Fixture: test an Azure VM as if it were on premises: proxy first, then connect with an access token.
sudo azcmagent config set proxy.url http://169.254.0.11:3128
sudo azcmagent config list
sudo azcmagent connect \
    --resource-group "${RESOURCE_GROUP}" \
    --tenant-id "${TENANT_ID}" \
    --location "${LOCATION}" \
    --subscription-id "${SUBSCRIPTION_ID}" \
    --access-token "${ACCESS_TOKEN}" \
    --verbose
