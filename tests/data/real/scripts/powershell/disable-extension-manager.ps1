# Fixture: turn the extension manager off on a server that must take no extension at all (R23, R24).
azcmagent config set extensions.enabled false
azcmagent config set guestconfiguration.enabled false
azcmagent config set incomingconnections.enabled false
