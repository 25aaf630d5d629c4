#!/bin/bash
# Fixture: a function wrapping the agent, and a heredoc whose text must not run.
lockdown() {
    sudo azcmagent config set config.mode monitor
}

cat <<'NOTE'
To undo: azcmagent config set config.mode full
NOTE

lockdown
sudo -E azcmagent config get config.mode
