"""trustledger: a terminal dashboard over an event-sourced ledger of business partnerships.

The package is layered; imports point down only (``.importlinter`` enforces it):

- ``trustledger.__main__`` -- the console script: the command line plus the commands that
  start the other front ends.
- front ends, independent of each other: ``trustledger.cli`` (the scripting commands) and
  ``trustledger.dashboard`` (the Textual dashboard).
- ``trustledger.service`` -- the application service every front end calls: stores, recording,
  reading, following, the model configuration, the clock, the warm start.
- ``trustledger.projections`` -- pure read models (trust, alignment, status, alerts).
- ``trustledger.domain`` -- event models, the Partnership aggregate, the ledger application.
"""
