"""The emulator's HTTP/1.1 server on loopback, on asyncio streams.

A server of our own rather than an ASGI one because faults need control an ASGI server does not
give: a dropped connection closes the socket without any answer, and a truncated body declares
its full Content-Length, sends half and closes. Connections are kept alive as HTTP/1.1 clients
expect.

Start it in-process with ``async with EmulatorServer(config) as server`` (``server.base_url``)
or ``async with running_emulator(config) as base_url``; from synchronous code with
``with emulator_in_thread(config) as base_url``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from email.utils import formatdate
from http import HTTPStatus
from types import TracebackType

import attrs

from entrypoints.emulator.app import EmulatorApp, EmulatorConfig, Reply
from entrypoints.emulator.documents import html_page
from entrypoints.emulator.faults import Fault

__all__ = ["HOST", "EmulatorServer", "emulator_in_thread", "running_emulator"]

HOST = "127.0.0.1"
_MAX_HEADERS = 100


class _BadRequest(Exception):
    pass


@attrs.frozen
class _Request:
    method: str
    target: str
    keep_alive: bool
    body: bytes = b""
    content_type: str = ""


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    """The next request on a connection, or None when the client has gone."""
    try:
        line = await reader.readline()
        if not line:
            return None
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadRequest
        method, target, version = parts
        headers: dict[str, str] = {}
        while True:
            header = await reader.readline()
            if not header:
                return None
            if header in (b"\r\n", b"\n"):
                break
            name, sep, value = header.decode("latin-1").partition(":")
            if not sep or len(headers) >= _MAX_HEADERS:
                raise _BadRequest
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or "0")
        body = await reader.readexactly(length) if length else b""
    except (ValueError, asyncio.LimitOverrunError) as error:
        raise _BadRequest from error
    connection = headers.get("connection", "").lower()
    keep_alive = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
    return _Request(method, target, keep_alive, body, headers.get("content-type", ""))


def _head(reply: Reply, *, keep_alive: bool) -> bytes:
    lines = [
        f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}",
        f"Date: {formatdate(usegmt=True)}",
        f"Content-Type: {reply.content_type}",
        f"Content-Length: {len(reply.body)}",
        f"Connection: {'keep-alive' if keep_alive else 'close'}",
        *(f"{name}: {value}" for name, value in reply.headers),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class EmulatorServer:
    """The emulator listening on loopback; an async context manager."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = EmulatorApp(config or EmulatorConfig(), clock)
        self._port = port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running; start it first")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def base_url(self) -> str:
        """The API address, as the real API's ``https://web-api.tp.entsoe.eu/api``."""
        return f"http://{HOST}:{self.port}/api"

    @property
    def stats_url(self) -> str:
        return f"http://{HOST}:{self.port}/_emulator/stats"

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._connection, HOST, self._port)
        return self.base_url

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> EmulatorServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._converse(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            # Only stop() cancels a connection; ending quietly keeps asyncio's stream callback
            # from reporting the cancellation as an unhandled error.
            pass
        finally:
            self._connections.discard(task)
            writer.close()

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ledger = self.app.ledger
        while True:
            try:
                request = await _read_request(reader)
            except _BadRequest:
                bad = Reply(400, html_page("Bad Request"), "text/html")
                writer.write(_head(bad, keep_alive=False) + bad.body)
                await writer.drain()
                return
            if request is None:
                return
            ticket = self.app.admit(
                request.method, request.target, request.body, request.content_type
            )
            if ticket.delay:
                ledger.fault("slow")
                await asyncio.sleep(ticket.delay)
            if ticket.fault is Fault.DROP:
                ledger.fault(Fault.DROP.value)
                return
            reply = ticket.reply
            if reply is None:
                reply = await asyncio.to_thread(self.app.answer, ticket.query, ticket.number)
            head = _head(reply, keep_alive=request.keep_alive)
            if ticket.api:
                ledger.answered(reply.status, ticket.dataset, reply.outcome)
            if ticket.fault is not Fault.NONE:
                ledger.fault(ticket.fault.value)
            if ticket.fault is Fault.TRUNCATE:
                writer.write(head + reply.body[: len(reply.body) // 2])
                await writer.drain()
                return
            writer.write(head + reply.body)
            await writer.drain()
            if not request.keep_alive:
                return


@contextlib.asynccontextmanager
async def running_emulator(
    config: EmulatorConfig | None = None,
    *,
    port: int = 0,
    clock: Callable[[], float] = time.time,
) -> AsyncIterator[str]:
    """Run an emulator on loopback for the duration of the block; yields its API URL."""
    async with EmulatorServer(config, port=port, clock=clock) as server:
        yield server.base_url


@contextlib.contextmanager
def emulator_in_thread(
    config: EmulatorConfig | None = None,
    *,
    port: int = 0,
    clock: Callable[[], float] = time.time,
) -> Iterator[str]:
    """Run an emulator on its own event loop in a background thread; yields its API URL."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="entsoe-emulator", daemon=True)
    thread.start()
    server = EmulatorServer(config, port=port, clock=clock)
    try:
        yield asyncio.run_coroutine_threadsafe(server.start(), loop).result()
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
