"""The HTTP API (FastAPI). It calls the same strategies and services as every other client."""
