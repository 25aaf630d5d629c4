# Fixture: lists changed while the agent is in monitor mode (R21), then back to full mode (R22).
azcmagent config set config.mode monitor
azcmagent config set extensions.blocklist "Microsoft.Compute/CustomScriptExtension"
azcmagent config set config.mode full
azcmagent config set extensions.blocklist "Microsoft.Compute/CustomScriptExtension"
