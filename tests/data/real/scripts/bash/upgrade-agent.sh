#!/bin/bash
# Fixture: upgrade the agent package, then check its version.
sudo apt-get update && sudo apt-get install --only-upgrade -y azcmagent
azcmagent version
sudo azcmagent upgrade
