"""``entsoe serve``: the HTTP API, served by uvicorn."""

from __future__ import annotations

import os
import signal

import click

from adapters.sqlalchemy.engine import check_database_url
from entrypoints.cli_support import fail
from entrypoints.settings import check_scope, load_settings
from entsoe_core.errors import ConfigurationError, InvalidRequest


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Keep loopback and put a TLS reverse proxy in front.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on; 0 picks a free one.",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
)
def serve(host: str, port: int, log_level: str) -> None:
    """Serve the HTTP API and the dashboard at /: start and watch backfills, read coverage and
    observations.

    Routes that change something need `Authorization: Bearer $ENTSOE_HTTP_TOKEN`. Without an
    ENTSOE_API_TOKEN the server still starts, but cannot start or resume backfills. Ctrl-C or
    SIGTERM stops it; backfills it was running stay resumable.
    """
    # Imported here: the ASGI stack is not worth loading for every other command.
    from entrypoints.http_api.server import ApiServer, is_loopback, listen

    try:
        settings = load_settings(os.environ)
        check_database_url(settings.database_url)
        if settings.serve_scheduler:
            check_scope(settings)
    except (ConfigurationError, InvalidRequest) as error:
        fail(str(error))
    try:
        sock = listen(host, port)
    except OSError as error:
        fail(f"cannot listen on {host}:{port}: {error.strerror or error}")
    server = ApiServer(settings, sock, log_level=log_level)
    if not is_loopback(host):
        click.echo(
            f"entsoe serve: listening on {host}, beyond this machine; without TLS the bearer "
            "token travels in clear text (see docs/http-api.md for a reverse proxy)",
            err=True,
        )
    if settings.http_token is None and settings.http_allow_unauthenticated:
        click.echo(
            "entsoe serve: ENTSOE_HTTP_ALLOW_UNAUTHENTICATED=true: anyone who can reach the "
            "server can start and cancel backfills",
            err=True,
        )
    click.echo(
        f"entsoe serve: HTTP API on {server.url} (dashboard at {server.url}/, OpenAPI at "
        f"{server.url}/schema)",
        err=True,
    )
    # uvicorn ends by the signal it was sent once shut down, as a server should: not by the
    # console script's interruption (exit 130) that stands in until a command takes SIGTERM.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        if not server.run():
            fail("the HTTP API failed to start; the lines above say why", 1)
    finally:
        sock.close()
