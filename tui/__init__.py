"""trustledger: a terminal dashboard over an event-sourced ledger of business partnerships.

The package is layered; imports point down only (``.importlinter`` enforces it):

- ``trustledger.tui.console`` -- the console script's entry point, above everything: it pauses
  the cyclic garbage collector while the start loads, then runs ``trustledger.tui.__main__``,
  the command line plus the commands that start the other front ends.
- front ends, independent of each other: ``trustledger.tui.cli`` (the scripting commands) and
  ``trustledger.tui.dashboard`` (the Textual dashboard).
- ``trustledger.tui.service`` -- the application service every front end calls: stores, recording,
  reading, following, the model configuration, the clock, the warm start.
- ``trustledger.projections`` -- pure read models (trust, alignment, status, alerts).
- ``trustledger.domain`` -- event models, the Partnership aggregate, the ledger application.
"""
