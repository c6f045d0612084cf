"""Sample event histories (NDJSON) for the demo and the tests."""
