"""Unattended operation, shared by ``entsoe run`` and ``entsoe serve``: the scheduler beside a
worker, and the metrics endpoint of processes that serve no HTTP API.

The scheduler creates each due round's gap-fill job; the worker runs the chunks of every active
job (those and any backfill), as ``entsoe worker --follow`` would. Cancelled (Ctrl-C, SIGTERM),
both stop: a round in progress is handed back, and so are the chunks in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from entrypoints.bootstrap import Application

__all__ = ["keep_fresh", "metrics_endpoint", "refresh_metrics"]

log = logging.getLogger(__name__)

_REQUEST_LIMIT = 8192


async def keep_fresh(app: Application) -> None:
    """Run the scheduler and a worker until cancelled; both have stopped when this returns."""
    tasks = [
        asyncio.create_task(app.scheduler.run(), name="scheduler"),
        asyncio.create_task(app.backfill.work(follow=True), name="worker"),
    ]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        # Waited for: the handing back of what was in flight happens in their cancellation.
        await asyncio.gather(*tasks, return_exceptions=True)


async def refresh_metrics(app: Application) -> bytes:
    """The metrics, their gauges read from the database just now."""
    app.metrics.update(await app.freshness.snapshot(), await app.scheduler.overdue())
    return app.metrics.render()


@contextlib.asynccontextmanager
async def metrics_endpoint(
    app: Application, host: str, port: int | None
) -> AsyncIterator[int | None]:
    """``GET /metrics`` on ``host:port`` while inside, yielding the port bound (0 picks a free
    one); nothing, and ``None``, with no port."""
    if port is None:
        yield None
        return

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.read(_REQUEST_LIMIT)
            request_line = head.split(b"\r\n", 1)[0].split()
            if request_line[:2] == [b"GET", b"/metrics"]:
                status, body = b"200 OK", await refresh_metrics(app)
                kind = b"text/plain; version=0.0.4; charset=utf-8"
            else:
                status, body, kind = b"404 Not Found", b"only GET /metrics\n", b"text/plain"
            writer.write(
                b"HTTP/1.1 "
                + status
                + b"\r\nContent-Type: "
                + kind
                + b"\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\nConnection: close\r\n\r\n"
                + body
            )
            await writer.drain()
        except Exception as error:
            # A scrape that fails (the database out of reach, a client gone) must not stop
            # the process it watches: the next scrape tries again.
            log.warning("metrics: could not answer a scrape: %s", error)
        finally:
            writer.close()

    server = await asyncio.start_server(answer, host, port)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()
