#!/bin/bash
# Fixture: local extension clean-up on Linux (R6).
sudo systemctl stop extd
sudo azcmagent extension list
sudo azcmagent extension remove --name OmsAgentForLinux
sudo azcmagent extension remove --all
sudo systemctl start extd
