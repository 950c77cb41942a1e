"""Locust swarms against the system: direct (services in-process) and HTTP (FastHttpUser against the API)."""
