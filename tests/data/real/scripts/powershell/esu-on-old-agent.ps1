# Fixture: the ESU-only lockdown on a fleet that still runs agents older than 1.35 (lint with --agent-version 1.30-1.58).
azcmagent config set extensions.allowlist "Allow/None"
azcmagent config list
