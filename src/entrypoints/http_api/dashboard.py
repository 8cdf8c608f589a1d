"""The dashboard: one HTML page at ``/`` and its script and style under ``/static``.

They ship inside the package (``static/``, package data) and fetch nothing from elsewhere: no
build step, no CDN. The page reads the JSON routes of this API by short polling. A Content
Security Policy holds it to this origin, so a value shown on the page (an error the source
sent, say) can never run as a script or pull anything in.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Response, get
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

__all__ = ["CONTENT_SECURITY_POLICY", "ROUTES", "STATIC"]

STATIC = Path(__file__).with_name("static")

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@get("/", include_in_schema=False, name="dashboard")
async def dashboard() -> Response[bytes]:
    """The page; read per request, so that an edited file shows on reload."""
    return Response(
        (STATIC / "index.html").read_bytes(),
        media_type="text/html; charset=utf-8",
        headers=_HEADERS,
    )


ROUTES: list[ControllerRouterHandler] = [
    dashboard,
    create_static_files_router(
        path="/static", directories=[STATIC], name="static", include_in_schema=False
    ),
]
