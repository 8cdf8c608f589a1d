"""The HTTP API: a thin ASGI entry point over the same services as the CLI."""

from entrypoints.http_api.app import create_app
from entrypoints.http_api.server import ApiServer, api_in_thread, listen

__all__ = ["ApiServer", "api_in_thread", "create_app", "listen"]
