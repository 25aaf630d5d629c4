# Fixture: move a fleet to monitor mode and inspect it (R19, R20).
azcmagent config info extensions.allowlist
azcmagent config set config.mode monitor
azcmagent config get config.mode
azcmagent config list --json
