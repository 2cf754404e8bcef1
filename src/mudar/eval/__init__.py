"""Metrics: pure functions with their own input checks (no I/O, no models)."""
