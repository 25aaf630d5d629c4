# Fixture: connect with the parameters (and a lockdown) in a configuration file.
azcmagent connect --config "connect-config.json"
azcmagent config list
