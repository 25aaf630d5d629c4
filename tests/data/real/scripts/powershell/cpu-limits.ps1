# Fixture: give the extension manager and machine configuration more CPU (agent 1.39+).
azcmagent config list
azcmagent config set extensions.agent.cpulimit 80
azcmagent config set guestconfiguration.agent.cpulimit 20
azcmagent config clear extensions.agent.cpulimit
