"""Serving the HTTP API with uvicorn, on a socket we bind ourselves.

Binding first means the address is known (port 0 picks a free one) and a port in use is a
clear error before anything starts. ``entsoe serve`` runs :class:`ApiServer` in the main
thread, where uvicorn turns SIGINT and SIGTERM into a graceful shutdown; tests and notebooks
use :func:`api_in_thread`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn

from entrypoints.http_api.access_log import logging_config
from entrypoints.http_api.app import create_app
from entrypoints.settings import Settings

__all__ = ["ApiServer", "api_in_thread", "is_loopback", "listen"]


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; raises OSError if it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ApiServer:
    """uvicorn serving :func:`create_app` on an already bound socket."""

    def __init__(self, settings: Settings, sock: socket.socket, *, log_level: str = "info"):
        self.socket = sock
        config = uvicorn.Config(
            create_app(settings),
            lifespan="on",
            log_level=log_level,
            # Query strings are logged with the values of token-like parameters redacted.
            log_config=logging_config(),
            server_header=False,
            # Trust X-Forwarded-For/-Proto from a proxy on this host only (FORWARDED_ALLOW_IPS
            # widens it), so redirects and Location headers name the public address.
            proxy_headers=True,
        )
        self._server = uvicorn.Server(config)

    @property
    def url(self) -> str:
        host, port = self.socket.getsockname()[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    @property
    def started(self) -> bool:
        return bool(self._server.started)

    def run(self) -> bool:
        """Serve until told to stop; False if the application failed to start."""
        self._server.run(sockets=[self.socket])
        return self.started

    def stop(self) -> None:
        """Ask for a graceful shutdown: open requests finish, background runs are cancelled."""
        self._server.should_exit = True


@contextlib.contextmanager
def api_in_thread(
    settings: Settings, *, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning"
) -> Iterator[str]:
    """Serve the API from a background thread for the block; yields its base URL."""
    server = ApiServer(settings, listen(host, port), log_level=log_level)
    thread = threading.Thread(target=server.run, name="entsoe-http-api", daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the HTTP API failed to start; its log says why")
            time.sleep(0.01)
        yield server.url
    finally:
        server.stop()
        thread.join()
        server.socket.close()
