"""The HTTP ceiling: a FastAPI endpoint that does nothing, served the same way as the real API."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/ping")
def ping() -> dict[str, bool]:
    return {"ok": True}
