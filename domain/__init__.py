"""The ledger's domain: event types, the Partnership aggregate, the ledger application
and the store configuration. Knows nothing of projections or screens."""
