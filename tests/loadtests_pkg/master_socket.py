"""Locust's master socket as the stream's receivers use it: messages waiting, then silence."""

from __future__ import annotations

from collections import deque
from typing import Any

import gevent


class Msg:
    def __init__(self, type_: str, data: Any, node_id: str) -> None:
        self.type, self.data, self.node_id = type_, data, node_id


class Socket:
    def __init__(self, messages: list[Msg]) -> None:
        self.messages = deque(messages)

    def recv_from_client(self) -> tuple[str, Msg]:
        while not self.messages:
            gevent.sleep(60)
        msg = self.messages.popleft()
        return msg.node_id, msg
