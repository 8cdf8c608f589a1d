"""Bearer-token authorisation of the routes that change something.

With ``ENTSOE_HTTP_TOKEN`` set, a mutating request must carry ``Authorization: Bearer
<token>``; the comparison takes the same time whatever the guess. Without a token the mutating
routes are refused, unless ``ENTSOE_HTTP_ALLOW_UNAUTHENTICATED=true`` opens them for local use.
Reading routes need no token.
"""

from __future__ import annotations

import hmac
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from entrypoints.settings import Secret

__all__ = ["SECURITY", "SECURITY_SCHEME", "BearerAuth", "require_token"]

SECURITY_SCHEME = "bearerToken"
SECURITY: list[dict[str, list[str]]] = [{SECURITY_SCHEME: []}]
_CHALLENGE = 'Bearer realm="entsoe-backfill"'


class BearerAuth:
    """The configured token (or its absence), and the check of one request against it."""

    def __init__(self, token: Secret | None, *, allow_unauthenticated: bool) -> None:
        self._expected = token.reveal().encode() if token is not None else None
        self._allow_unauthenticated = allow_unauthenticated

    def __repr__(self) -> str:
        return f"BearerAuth(token={'set' if self._expected else 'none'})"

    def check(self, authorization: str) -> None:
        """Raise unless ``authorization`` (the header's value) lets the request through."""
        if self._expected is None:
            if self._allow_unauthenticated:
                return
            raise PermissionDeniedException(
                "this server has no ENTSOE_HTTP_TOKEN, so routes that change something are "
                "refused; set ENTSOE_HTTP_TOKEN (and send it as a bearer token), or set "
                "ENTSOE_HTTP_ALLOW_UNAUTHENTICATED=true for local use"
            )
        scheme, _, given = authorization.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise NotAuthorizedException(
                "this route needs the header `Authorization: Bearer <ENTSOE_HTTP_TOKEN>`",
                headers={"WWW-Authenticate": _CHALLENGE},
            )
        if not hmac.compare_digest(given.strip().encode(), self._expected):
            raise NotAuthorizedException(
                "the bearer token is not the one this server was given (ENTSOE_HTTP_TOKEN)",
                headers={"WWW-Authenticate": f'{_CHALLENGE}, error="invalid_token"'},
            )


def require_token(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The guard of mutating routes: checks the request against the app's :class:`BearerAuth`."""
    auth = connection.app.state.get("auth")
    if not isinstance(auth, BearerAuth):
        raise RuntimeError("the HTTP API was built without its BearerAuth")
    auth.check(connection.headers.get("authorization", ""))
