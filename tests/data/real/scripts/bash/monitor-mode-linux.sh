#!/bin/bash
# Fixture: monitor mode on Linux, checked with grep on the output.
sudo azcmagent config set config.mode monitor
if sudo azcmagent config get config.mode | grep -q monitor; then
  echo "monitor mode on"
fi
