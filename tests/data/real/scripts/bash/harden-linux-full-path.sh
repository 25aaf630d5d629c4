#!/bin/sh
# Fixture: the agent called by its installed path and through a variable.
AZCMAGENT=/opt/azcmagent/bin/azcmagent

/opt/azcmagent/bin/azcmagent config set extensions.blocklist "Microsoft.Azure.Extensions/CustomScript,Microsoft.Cplat.Core/RunCommandHandlerLinux"
"$AZCMAGENT" config set guestconfiguration.enabled false
$AZCMAGENT config get extensions.blocklist
