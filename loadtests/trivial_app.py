"""The HTTP ceiling: an endpoint that does nothing, served by uvicorn the same way as the real API.

It is ``async def`` so no request crosses FastAPI's threadpool: the ceiling is then what Locust and
uvicorn themselves can do on this machine, not what a sync route costs.
"""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/ping")
async def ping() -> dict[str, bool]:
    return {"ok": True}
