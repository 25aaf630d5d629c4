# Fixture: agent-only proxy with bypass for Arc and Entra ID traffic.
azcmagent config set proxy.url "http://proxy.contoso.corp:8080"
azcmagent config get proxy.url
azcmagent config set proxy.bypass "Arc,AAD"
azcmagent config set proxy.bypass "ARM" --add
azcmagent config clear proxy.url
