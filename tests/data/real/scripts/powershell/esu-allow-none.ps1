# Fixture: Windows Server 2012 that only receives Extended Security Updates (R15).
azcmagent.exe config set extensions.allowlist "Allow/None"
azcmagent.exe config set guestconfiguration.enabled false
azcmagent.exe config get extensions.allowlist
