"""The Textual dashboard: the live portfolio, partnership screens, forms and audit mode."""
