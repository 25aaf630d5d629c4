# Fixture: every read-only and troubleshooting command a runbook collects.
azcmagent version
azcmagent show
azcmagent show -j
azcmagent check --location "westeurope" --verbose
azcmagent logs --full --output "C:\temp\arc-logs.zip"
azcmagent license
azcmagent genkey
azcmagent help
azcmagent config info
azcmagent config list -j --no-color --log-stderr
