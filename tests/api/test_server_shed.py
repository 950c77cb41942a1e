"""The server's own refusal of a shed request (system.api.server), on one protocol object fed bytes: it
answers the 503 without starting the request's task or calling the app, keeps the connection when the body
came with the head, closes it when the body did not, and leaves every other request to the app."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from uvicorn.server import ServerState

from system.api.server import LimitedHttpToolsProtocol, uvicorn_config
from system.config import SystemConfig
from tests.helpers import run_in_own_process

BODY = b'{"xp": 1}'
REQUEST = (b"POST /api/v1/progress/3/PLAYER/level-up HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
           b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written, self.closed = b"", False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 5000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


def responses(raw: bytes) -> list[tuple[int, dict[str, str], dict[str, Any]]]:
    found = []
    while raw:
        head, raw = raw.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        fields = dict(line.lower().split(": ", 1) for line in lines[1:])
        size = int(fields["content-length"])
        found.append((int(lines[0].split(" ")[1]), fields, json.loads(raw[:size])))
        raw = raw[size:]
    return found


@pytest.fixture
def protocol(config: SystemConfig) -> Any:
    """A protocol of the API's server whose early refusal sheds every request while ``shedding`` is set."""
    calls: list[str] = []
    shedding = {"on": True}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        calls.append(scope["path"])
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"{}"})

    def refusal(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> str | None:
        return f"the API is overloaded: {method} {path} shed" if shedding["on"] else None

    async def build() -> tuple[LimitedHttpToolsProtocol, Transport]:
        cls = uvicorn_config(app, config, host="127.0.0.1", port=0).http
        assert isinstance(cls, type) and issubclass(cls, LimitedHttpToolsProtocol)
        shedder = type("Shedder", (cls,), {"early_refusal": staticmethod(refusal)})
        proto = shedder(config=uvicorn_config(app, config, host="127.0.0.1", port=0), server_state=ServerState(),
                        app_state={})
        transport = Transport()
        proto.connection_made(transport)
        return proto, transport

    loop = asyncio.new_event_loop()
    proto, transport = loop.run_until_complete(build())
    yield loop, proto, transport, calls, shedding
    proto.connection_lost(None)
    loop.close()


def test_a_shed_request_is_answered_by_the_server_without_the_app_and_keeps_its_connection(protocol: Any) -> None:
    loop, proto, transport, calls, shedding = protocol
    proto.data_received(REQUEST + REQUEST)  # two, pipelined
    assert not proto.tasks and calls == []  # no task started, the app never called
    answers = responses(transport.written)
    assert [a[0] for a in answers] == [503, 503] and not transport.closed
    _, fields, body = answers[0]
    assert fields["retry-after"].isdigit() and "connection" not in fields
    assert body == {"detail": "the API is overloaded: POST /api/v1/progress/3/PLAYER/level-up shed",
                    "error": "OverloadedError"}
    shedding["on"] = False  # the queue has room again: the same connection's next request goes to the app
    transport.written = b""
    proto.data_received(REQUEST)
    loop.run_until_complete(asyncio.gather(*proto.tasks))
    assert calls == ["/api/v1/progress/3/PLAYER/level-up"] and responses(transport.written)[0][0] == 200


def test_a_shed_request_whose_body_is_not_there_is_answered_at_once_and_closed(protocol: Any) -> None:
    _, proto, transport, calls, _ = protocol
    proto.data_received(REQUEST[:-len(BODY)])
    [(status, fields, _)] = responses(transport.written)
    assert status == 503 and fields["connection"] == "close" and transport.closed and calls == []


def test_without_an_api_app_the_server_refuses_nothing_early(config: SystemConfig) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None: ...

    cls = uvicorn_config(app, config, host="127.0.0.1", port=0).http
    assert isinstance(cls, type) and issubclass(cls, LimitedHttpToolsProtocol) and cls.early_refusal is None


def test_the_api_process_freezes_its_start_up_objects_and_collects_young_objects_less_often() -> None:
    """Run in a process of its own: the collector's settings are the whole process's."""
    probe = ("import gc\nfrom system.api.server import GC_YOUNG_THRESHOLD, tune_gc\n"
             "assert gc.get_freeze_count() == 0\ntune_gc()\n"
             "assert gc.get_freeze_count() > 10_000, gc.get_freeze_count()\n"
             "assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD > 700\nprint('tuned')")
    assert run_in_own_process(probe, timeout_s=60) == "tuned"
