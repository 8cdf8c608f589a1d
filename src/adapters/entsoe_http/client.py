"""The market data source for the real ENTSO-E Transparency Platform API, over httpx.

One :class:`EntsoeHttpSource` (and so one ``httpx.AsyncClient``, with its pool of kept-alive
connections) lives for the whole application; the composition root makes it and closes it.

Where the security token goes. httpx logs every request's URL, and exceptions, event hooks
and reprs can carry the request too. So the client never sees the token: requests are built
and logged without it, and :class:`_TokenTransport`, below all of that, adds
``securityToken`` on the way to the wire. That is why the adapter makes its own client
(tests and the composition root may hand it a transport) rather than accepting one. Any text
the server sends back is scrubbed of the token before it goes into an error.

Who retries. The chunk runner of the core owns retries and bans: it calls
``limiter.acquire()`` before each :meth:`~EntsoeHttpSource.fetch`, retries what this adapter
classifies as transient, and bans the shared limiter when the adapter raises
:class:`~entsoe_core.errors.RateLimited`. The adapter itself sends again only when a connection
failed before any byte of an answer arrived (a kept-alive connection the server had closed, a
reset, a refused connect): then the server cannot have acted on the request. That one re-send
is admitted by the limiter given to the adapter, so it counts against the same budget; without
a limiter the adapter never re-sends. A time-out or a body cut short is never sent again here.
"""

from __future__ import annotations

import asyncio
import email.utils
import io
import re
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Final, NoReturn, Self

import httpx
import stamina

from adapters.entsoe_xml.errors import BodyTooLarge
from adapters.entsoe_xml.parser import Acknowledgement, parse_document
from entsoe_core import __version__
from entsoe_core.errors import (
    ConfigurationError,
    PermanentSourceError,
    RateLimited,
    SourceError,
    SourceUnavailable,
    TransientSourceError,
)
from entsoe_core.plan import Chunk
from entsoe_core.ports import ChunkData, ClockPort, NoData, RateLimiterPort, SourceAnswer

from .params import request_params
from .refusals import refusal_error

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_MAX_BODY_BYTES", "EntsoeHttpSource"]

DEFAULT_BASE_URL: Final = "https://web-api.tp.entsoe.eu/api"
DEFAULT_MAX_BODY_BYTES: Final = 512 * 1024 * 1024
DEFAULT_BAN: Final = timedelta(minutes=10)

_BANNED_UNTIL = re.compile(r"banned until '([^']+)'")
_ZIP_MAGIC = b"PK\x03\x04"
_PAGE_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


class _NothingArrived(Exception):
    """The connection failed before any byte of the answer: safe to send again at once."""

    def __init__(self, cause: httpx.HTTPError) -> None:
        super().__init__(str(cause))
        self.cause = cause


class _Token:
    """The security token, kept out of reprs, with a way to scrub it from foreign text."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def __repr__(self) -> str:
        return "<security token, redacted>"

    def reveal(self) -> str:
        return self._value

    def scrub(self, text: str) -> str:
        return text.replace(self._value, "<redacted>")


class _TokenTransport(httpx.AsyncBaseTransport):
    """Adds ``securityToken`` to each request below httpx's logging, hooks and errors."""

    def __init__(self, inner: httpx.AsyncBaseTransport, token: _Token) -> None:
        self._inner = inner
        self._token = token

    def __repr__(self) -> str:
        return f"_TokenTransport({self._inner!r})"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        wired = httpx.Request(
            request.method,
            request.url.copy_add_param("securityToken", self._token.reveal()),
            headers=request.headers,
            stream=request.stream,
            extensions=request.extensions,
        )
        return await self._inner.handle_async_request(wired)

    async def aclose(self) -> None:
        await self._inner.aclose()


class EntsoeHttpSource:
    """Fetches chunks from the ENTSO-E API: the real :class:`MarketDataSourcePort`.

    Answers :class:`~entsoe_core.ports.ChunkData` or :class:`~entsoe_core.ports.NoData`
    ("No matching data found"); raises :class:`~entsoe_core.errors.RateLimited` (429),
    :class:`~entsoe_core.errors.SourceUnavailable` (503, a 404, a web page or plain text where
    a document belongs: the source as a whole looks down),
    :class:`~entsoe_core.errors.TransientSourceError` (other 5xx, time-outs, resets, truncated
    or malformed bodies), :class:`~entsoe_core.errors.RequestTooLong` (the interval refused as
    longer than the API allows, with the limit the refusal names) and
    :class:`~entsoe_core.errors.TooManyInstances`, or
    :class:`~entsoe_core.errors.PermanentSourceError` (any other 400 with the
    acknowledgement's text, 401/403, unsupported documents, bodies over the cap).
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        token: str = "",
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        limiter: RateLimiterPort | None = None,
        clock: ClockPort | None = None,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        connection_attempts: int = 2,
        resend_wait: float = 1.0,
        resend_wait_max: float = 10.0,
    ) -> None:
        if not token.strip():
            raise ConfigurationError(
                "no ENTSO-E API token; set ENTSOE_API_TOKEN to the token the Transparency "
                "Platform issued for your account"
            )
        if not base_url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"ENTSOE_API_URL {base_url!r} must be an http(s) URL, for example "
                f"{DEFAULT_BASE_URL}"
            )
        if connection_attempts < 1 or max_body_bytes < 1:
            raise ConfigurationError(
                f"connection_attempts ({connection_attempts}) and max_body_bytes "
                f"({max_body_bytes}) must be at least 1"
            )
        self._base_url = base_url
        self._token = _Token(token.strip())
        self._limiter = limiter
        self._clock = clock
        self._max_body_bytes = max_body_bytes
        self._attempts = connection_attempts if limiter is not None else 1
        self._resend_wait = resend_wait
        self._resend_wait_max = resend_wait_max
        inner = transport or httpx.AsyncHTTPTransport(
            limits=httpx.Limits(
                max_connections=20, max_keepalive_connections=10, keepalive_expiry=30.0
            ),
        )
        self._client = httpx.AsyncClient(
            transport=_TokenTransport(inner, self._token),
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            headers={
                "Accept-Encoding": "gzip",
                "User-Agent": f"entsoe-backfill/{__version__}",
            },
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"EntsoeHttpSource(base_url={self._base_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool; the source cannot fetch afterwards."""
        await self._client.aclose()

    async def fetch(self, chunk: Chunk) -> SourceAnswer:
        params = request_params(chunk)
        status, headers, body = await self._exchange(chunk, params)
        if status == 200:
            return await self._answer(chunk, body)
        if status == 429:
            until = self._ban_end(headers, body)
            raise RateLimited(until, f"HTTP 429 for {chunk}: {self._excerpt(body)}")
        if status in (401, 403):
            raise PermanentSourceError(
                f"token rejected by the ENTSO-E API (HTTP {status}) for {chunk}; check "
                "ENTSOE_API_TOKEN"
            )
        if status == 400:
            raise self._refused(chunk, body)
        if status == 503:
            # The platform's maintenance page: the whole source is down, not this request.
            raise SourceUnavailable(
                f"the ENTSO-E API is unavailable (HTTP 503) for {chunk}: {self._excerpt(body)}"
            )
        if status == 404:
            # The API has one address and answers every query there; "404 page not found"
            # for a query is what it answered for days after a migration in 2026.
            raise SourceUnavailable(
                f"the ENTSO-E API answered HTTP 404 for {chunk}: {self._excerpt(body)}; the "
                f"source looks unavailable (if this lasts, check ENTSOE_API_URL "
                f"{self._base_url!r})"
            )
        if status >= 500:
            raise TransientSourceError(
                f"the ENTSO-E API failed on {chunk} (HTTP {status}): {self._excerpt(body)}"
            )
        raise PermanentSourceError(
            f"unexpected HTTP {status} from {self._base_url} for {chunk}: "
            f"{self._excerpt(body)}; check ENTSOE_API_URL"
        )

    async def _exchange(
        self, chunk: Chunk, params: dict[str, str]
    ) -> tuple[int, httpx.Headers, bytes]:
        try:
            try:
                return await self._send_with_resends(params)
            except _NothingArrived as nothing:
                raise nothing.cause from None
        except httpx.TimeoutException as error:
            raise TransientSourceError(
                f"the ENTSO-E API did not answer in time for {chunk} "
                f"({type(error).__name__}, {self._attempts} attempt(s))"
            ) from None
        except (httpx.NetworkError, httpx.RemoteProtocolError) as error:
            raise TransientSourceError(
                f"the connection to the ENTSO-E API failed for {chunk} "
                f"({type(error).__name__}: {self._token.scrub(str(error))}; "
                f"{self._attempts} attempt(s))"
            ) from None
        except httpx.HTTPError as error:
            raise PermanentSourceError(
                f"cannot send the request for {chunk} to {self._base_url}: "
                f"{type(error).__name__}: {self._token.scrub(str(error))}"
            ) from None

    async def _send_with_resends(self, params: dict[str, str]) -> tuple[int, httpx.Headers, bytes]:
        first = True
        async for attempt in stamina.retry_context(
            on=_NothingArrived,
            attempts=self._attempts,
            timeout=None,
            wait_initial=self._resend_wait,
            wait_max=self._resend_wait_max,
            wait_jitter=self._resend_wait,
        ):
            with attempt:
                if not first and self._limiter is not None:
                    await self._limiter.acquire()
                first = False
                return await self._send_once(params)
        raise AssertionError("stamina.retry_context neither returned nor raised")

    async def _send_once(self, params: dict[str, str]) -> tuple[int, httpx.Headers, bytes]:
        request = self._client.build_request("GET", self._base_url, params=params)
        try:
            response = await self._client.send(request, stream=True)
        except (httpx.NetworkError, httpx.RemoteProtocolError) as error:
            raise _NothingArrived(error) from None
        try:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self._max_body_bytes:
                self._too_large()
            # Inflated here rather than by httpx, which inflates each piece whole (and chains
            # any encodings the server names): a small gzip bomb would pass the cap by far
            # before a single piece came back.
            encoding = self._token.scrub(response.headers.get("Content-Encoding", ""))
            body = _CappedBody(encoding[:100], self._max_body_bytes, self._too_large)
            async for piece in response.aiter_raw():
                body.feed(piece)
            return response.status_code, response.headers, body.value()
        finally:
            await response.aclose()

    def _too_large(self) -> NoReturn:
        raise BodyTooLarge(
            f"the ENTSO-E API sent a body over the cap of {self._max_body_bytes:,} bytes; "
            "ask for shorter chunks or raise the cap"
        )

    async def _answer(self, chunk: Chunk, body: bytes) -> SourceAnswer:
        if _is_a_page(body):
            raise SourceUnavailable(
                f"the ENTSO-E API answered {chunk} with a page instead of an XML document "
                f"(HTTP 200): {self._excerpt(body)}; the source looks unavailable"
            )
        label = f"the answer to {chunk}"
        # Parsing a year of quarter-hours takes a while; keep the event loop free meanwhile.
        parsed = await asyncio.to_thread(
            parse_document, body, label=label, max_member_bytes=self._max_body_bytes
        )
        if not isinstance(parsed, Acknowledgement):
            return ChunkData(parsed)
        text = self._token.scrub(parsed.text)
        if parsed.no_data:
            return NoData(text)
        message = (
            f"the ENTSO-E API acknowledged the request for {chunk} without data "
            f"(reason {parsed.reason_code}): {text}"
        )
        raise refusal_error(text, message) or PermanentSourceError(message)

    def _refused(self, chunk: Chunk, body: bytes) -> PermanentSourceError:
        """The error for a 400: what the acknowledgement says, or what the body says otherwise.

        A refusal of the interval as too long, or of too many instances, gets its own error,
        so that the chunk is asked for again in pieces rather than failed.
        """
        try:
            parsed = parse_document(body, label="the error answer")
        except SourceError:
            parsed = None
        if not isinstance(parsed, Acknowledgement):
            return PermanentSourceError(
                f"the ENTSO-E API refused the request for {chunk} (HTTP 400): {self._excerpt(body)}"
            )
        text = self._token.scrub(parsed.text)
        message = (
            f"the ENTSO-E API refused the request for {chunk} (HTTP 400): {text} "
            f"(reason {parsed.reason_code})"
        )
        return refusal_error(text, message) or PermanentSourceError(message)

    def _excerpt(self, body: bytes, limit: int = 300) -> str:
        text = _SPACE.sub(" ", _TAG.sub(" ", body[: limit * 4].decode("utf-8", "replace")))
        text = self._token.scrub(text.strip())
        return (text[:limit] + " …" if len(text) > limit else text) or "(empty body)"

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else datetime.now(UTC)

    def _ban_end(self, headers: httpx.Headers, body: bytes) -> datetime:
        """When a 429 ends: the body's "banned until", else Retry-After, else ten minutes."""
        now = self._now()
        match = _BANNED_UNTIL.search(body.decode("utf-8", "replace"))
        if match is not None:
            try:
                until = datetime.fromisoformat(match.group(1))
            except ValueError:
                until = None
            if until is not None and until.tzinfo is not None:
                return until.astimezone(UTC)
        retry_after = headers.get("Retry-After", "").strip()
        if retry_after.isdigit():
            return now + timedelta(seconds=int(retry_after))
        if retry_after:
            try:
                when = email.utils.parsedate_to_datetime(retry_after)
            except (TypeError, ValueError):
                when = None
            if when is not None and when.tzinfo is not None:
                return when.astimezone(UTC)
        return now + DEFAULT_BAN


def _is_a_page(body: bytes) -> bool:
    """Whether a body is a web page or plain text rather than an XML document or a ZIP archive.

    A maintenance page, a proxy's error page or "404 page not found" served with HTTP 200 is
    the source being down, not a document to parse. An empty body is left to the parser.
    """
    head = body[:512].removeprefix(b"\xef\xbb\xbf").lstrip()
    if not head or head.startswith(_ZIP_MAGIC):
        return False
    lowered = head.lower()
    # An XHTML page opens like an XML document; its <html> element gives it away.
    return not head.startswith(b"<") or lowered.startswith(_PAGE_STARTS) or b"<html" in lowered


class _CappedBody:
    """A response body as it arrives, gunzipped a bounded piece at a time, refused past the cap.

    Reads what the client asks for (gzip) and unencoded bodies; any other content encoding is
    refused with its name rather than guessed at.
    """

    def __init__(self, encoding: str, cap: int, too_large: Callable[[], NoReturn]) -> None:
        names = [name.strip().lower() for name in encoding.split(",")]
        names = [name for name in names if name not in ("", "identity")]
        if names not in ([], ["gzip"], ["x-gzip"]):
            raise PermanentSourceError(
                f"the ENTSO-E API sent a body in content encoding {encoding!r}; this client "
                "asks for gzip and reads gzip or unencoded bodies only"
            )
        self._gzip = bool(names)
        self._inflater = _gunzip()
        self._too_large = too_large
        self._room = cap
        self._body = io.BytesIO()
        self._midway = False

    def feed(self, piece: bytes) -> None:
        if not self._gzip:
            self._keep(piece)
            return
        try:
            while True:
                # A block at a time, and never more than one byte past the room left.
                limit = min(self._room + 1, _INFLATE_BLOCK)
                out = self._inflater.decompress(piece, limit)
                self._keep(out)
                self._midway = True
                piece = self._inflater.unconsumed_tail
                if self._inflater.eof:
                    # Concatenated gzip members are one body (RFC 1952).
                    piece, self._inflater = self._inflater.unused_data, _gunzip()
                    self._midway = False
                if not piece and len(out) < limit:
                    return
        except zlib.error as error:
            raise TransientSourceError(
                f"the ENTSO-E API sent a damaged gzip body ({error})"
            ) from None

    def value(self) -> bytes:
        if self._midway:
            raise TransientSourceError("the ENTSO-E API sent a gzip body cut short or damaged")
        return self._body.getvalue()

    def _keep(self, data: bytes) -> None:
        if len(data) > self._room:
            self._too_large()
        self._room -= len(data)
        self._body.write(data)


_INFLATE_BLOCK: Final = 1024 * 1024


def _gunzip() -> zlib._Decompress:
    return zlib.decompressobj(zlib.MAX_WBITS | 16)
