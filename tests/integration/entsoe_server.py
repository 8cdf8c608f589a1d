"""A scripted HTTP/1.1 server on loopback that plays the ENTSO-E API's answers back.

It speaks raw HTTP over a socket, so it can also misbehave the way real servers do: reset the
connection, hang, or close before the body it announced is complete.
"""

from __future__ import annotations

import asyncio
import gzip
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    mode: str = "answer"  # answer | reset | hang | truncate
    gzip: bool = False


@dataclass
class Seen:
    target: str
    headers: dict[str, str]
    at: datetime | None

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.target).query))


class ScriptedServer:
    """Answers each request with the next scripted :class:`Reply`, and records the request."""

    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self.replies: deque[Reply] = deque()
        self.seen: list[Seen] = []
        self.connections = 0
        self._now = now
        self._stop = asyncio.Event()
        self._server: asyncio.Server | None = None
        self.url = ""

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/api"

    async def close(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                target = lines[0].split(" ")[1]
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (line.partition(":") for line in lines[1:] if line)
                }
                self.seen.append(Seen(target, headers, self._now() if self._now else None))
                reply = self.replies.popleft() if self.replies else Reply(500, b"unscripted")
                if reply.mode == "reset":
                    writer.transport.abort()
                    return
                if reply.mode == "hang":
                    await self._stop.wait()
                    return
                body = reply.body
                extra = dict(reply.headers)
                if reply.gzip:
                    body = gzip.compress(body)
                    extra["Content-Encoding"] = "gzip"
                announced = len(body)
                if reply.mode == "truncate":
                    body = body[: announced // 2]
                fields = {"Content-Type": "text/xml", "Content-Length": str(announced), **extra}
                writer.write(
                    f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}\r\n".encode()
                    + "".join(f"{k}: {v}\r\n" for k, v in fields.items()).encode()
                    + b"\r\n"
                    + body
                )
                await writer.drain()
                if reply.mode == "truncate":
                    return
        finally:
            writer.close()
