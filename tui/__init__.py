"""The terminal front ends: the ``trustledger`` command line and the Textual dashboard."""
