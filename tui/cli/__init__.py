"""The scripting command line: the commands of the contract (docs/CONTRACT.md)."""
