"""Use cases of the system. Every function takes a keyword-only ``session`` and never commits:
the caller (a strategy, the API, a job) owns the transaction."""
