"""The application service under every front end (see the package docstring)."""
