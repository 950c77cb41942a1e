"""Bulk repair of desynced pairs: pure planning (planner) kept apart from set-based applying (applier)."""
