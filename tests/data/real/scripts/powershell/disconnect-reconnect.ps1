# Fixture: move a server to another subscription: disconnect, then connect again.
azcmagent disconnect --force-local-only
azcmagent connect --resource-group "rg-new" --tenant-id "11111111-1111-1111-1111-111111111111" --location "eastus" --subscription-id "44444444-4444-4444-4444-444444444444" --use-device-code
azcmagent show
