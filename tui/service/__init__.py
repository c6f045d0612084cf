"""The application service under every front end: everything below the user interface.

The command line and the dashboard call :class:`.ledger_service.LedgerService` (one store,
one clock) for opening the store, recording, reading and paging, following new events and
replaying; they never open a store themselves. Its parts:

- :mod:`.clock` -- ``Clock``: every "now" and "today" (a fixed one for tests).
- :mod:`.stores` -- choosing a store (URL, environment, default), the one place that opens
  one, and the one scrubber that keeps passwords out of messages.
- :mod:`.recording` -- recording lines all or nothing; problems as ``LineError`` data.
- :mod:`.config` -- the model configuration, by the same rules for every front end.
- :mod:`.live` -- the dashboard's live view (following the store), audit replays, details.
- :mod:`.readmodel` -- the shared read model in the store: load, check, catch up, rebuild.
- :mod:`.labels` -- short words for event types and statuses.

This package's own ``__init__`` imports nothing, so a front end pays only for what it uses.
"""
