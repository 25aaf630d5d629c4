#!/bin/bash
# Fixture: blocklist entries added and removed one at a time.
sudo azcmagent config set extensions.blocklist "Microsoft.Azure.Extensions/CustomScript"
sudo azcmagent config set extensions.blocklist --add "Microsoft.CPlat.Core/RunCommandHandlerLinux"
sudo azcmagent config set extensions.blocklist "Microsoft.EnterpriseCloud.Monitoring/OMSAgentForLinux" -a
sudo azcmagent config set extensions.blocklist -r "Microsoft.Azure.Extensions/CustomScript"
