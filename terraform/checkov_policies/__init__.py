"""Custom checkov policies for terraform/ (loaded by check.sh)."""
