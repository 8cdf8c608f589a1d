"""EntsoeHttpSource through real HTTP exchanges on loopback, with the recorded API bodies."""

from __future__ import annotations

import gzip
import logging
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.entsoe_http import EntsoeHttpSource
from adapters.entsoe_xml import BodyTooLarge, MalformedDocument, UnsafeDocument, parse_document
from adapters.fakes import FakeClock
from adapters.memory import MemoryRateLimiter, MemoryUnitOfWorkFactory
from entrypoints.wire import JobBody
from entsoe_core.areas import AreaKey
from entsoe_core.errors import (
    ConfigurationError,
    PermanentSourceError,
    RateLimited,
    RequestTooLong,
    SourceError,
    SourceUnavailable,
    TooManyInstances,
    TransientSourceError,
)
from entsoe_core.limits import RequestSpan
from entsoe_core.plan import Chunk
from entsoe_core.ports import ChunkData, NoData
from entsoe_core.services.backfill import BackfillService, RunLimits
from entsoe_core.services.requests import BackfillRequest
from entsoe_core.services.retry import RetryPolicy
from entsoe_core.timeline import Interval, utc
from tests.integration.entsoe_server import Reply, ScriptedServer
from tests.unit.entsoe_documents import FIXTURES, acknowledgement, zipped

TOKEN = "tok-4f1d9c2e-8b7a-secret"
NL = "10YNL----------L"
NOW = utc(2024, 9, 3, 12)
CHUNK = Chunk("actual_total_load", AreaKey(NL), Interval(utc(2024, 9, 1, 22), utc(2024, 9, 2, 22)))


def recorded(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class RecordingLimiter:
    """A limiter that admits at once and remembers what it was asked."""

    def __init__(self) -> None:
        self.acquired = 0
        self.bans: list[datetime] = []

    async def acquire(self) -> None:
        self.acquired += 1

    async def ban_until(self, until: datetime) -> None:
        self.bans.append(until)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
async def server(fake_clock: FakeClock) -> AsyncIterator[ScriptedServer]:
    scripted = ScriptedServer(fake_clock.now)
    await scripted.start()
    yield scripted
    await scripted.close()


@pytest.fixture
def limiter() -> RecordingLimiter:
    return RecordingLimiter()


@pytest.fixture
async def source(
    server: ScriptedServer, fake_clock: FakeClock, limiter: RecordingLimiter
) -> AsyncIterator[EntsoeHttpSource]:
    async with EntsoeHttpSource(
        server.url,
        TOKEN,
        clock=fake_clock,
        limiter=limiter,
        timeout=2.0,
        resend_wait=0.001,
        resend_wait_max=0.002,
    ) as made:
        yield made


# -- answers with data ------------------------------------------------------------------


async def test_a_data_answer_is_parsed_and_the_request_is_right(
    source: EntsoeHttpSource, server: ScriptedServer
) -> None:
    body = recorded("load_61a_actual_total_load_NL.xml")
    server.script(Reply(200, body, gzip=True))

    answer = await source.fetch(CHUNK)

    assert isinstance(answer, ChunkData)
    assert answer.series == parse_document(body)
    (seen,) = server.seen
    assert seen.query == {
        "documentType": "A65",
        "processType": "A16",
        "outBiddingZone_Domain": NL,
        "periodStart": "202409012200",
        "periodEnd": "202409022200",
        "securityToken": TOKEN,
    }
    assert "gzip" in seen.headers["accept-encoding"]


async def test_requests_share_one_kept_alive_connection(
    source: EntsoeHttpSource, server: ScriptedServer
) -> None:
    body = recorded("market_121d_day_ahead_prices_NL.xml")
    server.script(Reply(200, body), Reply(200, body), Reply(200, body))
    for _ in range(3):
        assert isinstance(await source.fetch(CHUNK), ChunkData)
    assert (len(server.seen), server.connections) == (3, 1)


async def test_a_zip_body_gives_the_series_of_every_document(
    source: EntsoeHttpSource, server: ScriptedServer
) -> None:
    load = recorded("load_61a_actual_total_load_NL.xml")
    flows = recorded("transmission_121g_cross_border_NL_DE.xml")
    server.script(
        Reply(
            200,
            zipped([("a.xml", load), ("b.xml", flows)]),
            headers={"Content-Type": "application/zip"},
        )
    )
    answer = await source.fetch(CHUNK)
    assert isinstance(answer, ChunkData)
    assert [s.key.document_type for s in answer.series] == ["A65", "A11"]


# -- the error classes -----------------------------------------------------------------


async def test_no_matching_data_at_200_is_no_data(
    source: EntsoeHttpSource, server: ScriptedServer
) -> None:
    server.script(Reply(200, recorded("load61_d_month_ahead_total_load_forecast.xml")))
    answer = await source.fetch(CHUNK)
    assert isinstance(answer, NoData)
    assert answer.reason.startswith("No matching data found for Data item TOTAL_LOAD_FORECAST")


async def test_another_acknowledgement_at_200_is_permanent(
    source: EntsoeHttpSource, server: ScriptedServer
) -> None:
    server.script(Reply(200, acknowledgement("The combination of parameters is not valid")))
    with pytest.raises(PermanentSourceError, match="combination of parameters is not valid"):
        await source.fetch(CHUNK)


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (recorded("ack_invalid_request.xml"), "No matching data found"),
        (
            acknowledgement(
                "The amount of requested data exceeds allowed limit. Requested 366 days, "
                "allowed 365 days."
            ),
            "Requested 366 days",
        ),
    ],
    ids=["recorded", "over-limit"],
)
async def test_400_with_an_acknowledgement_is_permanent_with_its_text(
    source: EntsoeHttpSource, server: ScriptedServer, body: bytes, text: str
) -> None:
    server.script(Reply(400, body))
    with pytest.raises(PermanentSourceError, match="HTTP 400") as caught:
        await source.fetch(CHUNK)
    assert text in str(caught.value)


async def test_400_with_an_html_page_is_permanent_with_what_it_says(
    source: EntsoeHttpSource, server: ScriptedServer
) -> None:
    server.script(Reply(400, recorded("html_bad_request.html"), {"Content-Type": "text/html"}))
    with pytest.raises(PermanentSourceError, match=r"HTTP 400.*Bad Request"):
        await source.fetch(CHUNK)


@pytest.mark.parametrize("status", [401, 403])
async def test_a_rejected_token_is_permanent(
    source: EntsoeHttpSource, server: ScriptedServer, status: int
) -> None:
    server.script(Reply(status, b"<html><body>Unauthorized</body></html>"))
    with pytest.raises(PermanentSourceError, match=rf"token rejected .*HTTP {status}"):
        await source.fetch(CHUNK)


async def test_429_names_the_instant_the_body_gives_and_leaves_the_ban_to_the_caller(
    source: EntsoeHttpSource, server: ScriptedServer, limiter: RecordingLimiter
) -> None:
    server.script(
        Reply(429, b"<html><body>Requester banned until '2025-11-25T10:01:55.545Z'</body></html>")
    )
    with pytest.raises(RateLimited) as caught:
        await source.fetch(CHUNK)
    until = datetime(2025, 11, 25, 10, 1, 55, 545000, tzinfo=UTC)
    assert caught.value.until == until
    # The chunk runner owns bans: one ban written per 429, by the runner, not here too.
    assert limiter.bans == []


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"Retry-After": "120"}, timedelta(seconds=120)),
        ({"Retry-After": "Tue, 03 Sep 2024 12:05:00 GMT"}, timedelta(minutes=5)),
        ({}, timedelta(minutes=10)),
    ],
    ids=["retry-after-seconds", "retry-after-date", "default"],
)
async def test_429_without_a_ban_instant_uses_retry_after_or_ten_minutes(
    source: EntsoeHttpSource, server: ScriptedServer, headers: dict[str, str], wait: timedelta
) -> None:
    server.script(Reply(429, b"Too many requests", headers))
    with pytest.raises(RateLimited) as caught:
        await source.fetch(CHUNK)
    assert caught.value.until == NOW + wait


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_server_errors_are_transient(
    source: EntsoeHttpSource, server: ScriptedServer, status: int
) -> None:
    server.script(Reply(status, b"<html><body>Internal Server Error</body></html>"))
    with pytest.raises(TransientSourceError, match=f"HTTP {status}") as caught:
        await source.fetch(CHUNK)
    assert not isinstance(caught.value, SourceUnavailable)


# -- refusals that split a chunk, and outages --------------------------------------------

MAINTENANCE = (
    b"<!DOCTYPE html><html><head><title>Scheduled maintenance</title></head><body>"
    b"<h1>Scheduled maintenance</h1><p>The Transparency Platform is unavailable during "
    b"scheduled maintenance.</p></body></html>"
)

TOO_LONG = [
    (
        "Provided time interval (2022-02-28T23:00:00Z - 2022-05-30T22:00:00Z) is larger than "
        "maximum allowed period 'P1M' for 'ACTUAL_TOTAL_LOAD_R3:XML' export.",
        RequestSpan(months=1),
    ),
    (
        "Provided time interval (2021-12-30T23:00Z[UTC] - 2023-01-01T23:00Z[UTC]) is larger "
        "than maximum allowed period 'P1Y' for 'ENERGY_PRICES:XML' export.",
        RequestSpan(months=12),
    ),
    ("The amount of requested data exceeds allowed limit. Allowed: 1 year(s)", RequestSpan(12)),
    ("The amount of requested data exceeds allowed limit.", None),
]


@pytest.mark.parametrize(("text", "limit"), TOO_LONG)
@pytest.mark.parametrize("status", [400, 200])
async def test_an_interval_refused_as_too_long_is_request_too_long_with_its_limit(
    source: EntsoeHttpSource,
    server: ScriptedServer,
    status: int,
    text: str,
    limit: RequestSpan | None,
) -> None:
    server.script(Reply(status, acknowledgement(text)))
    with pytest.raises(RequestTooLong) as caught:
        await source.fetch(CHUNK)
    assert caught.value.limit == limit
    assert str(CHUNK) in str(caught.value)
    assert text in str(caught.value)


async def test_too_many_instances_is_its_own_refusal(
    source: EntsoeHttpSource, server: ScriptedServer
) -> None:
    text = "The number of instances (149) exceeds the allowed maximum (100)."
    server.script(Reply(400, acknowledgement(text)))
    with pytest.raises(TooManyInstances, match=r"HTTP 400.*number of instances \(149\)"):
        await source.fetch(CHUNK)


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        (Reply(503, MAINTENANCE, {"Content-Type": "text/html"}), "HTTP 503.*Scheduled maintenance"),
        (Reply(503, b""), "HTTP 503"),
        (
            Reply(404, b"404 page not found\n", {"Content-Type": "text/plain; charset=utf-8"}),
            "HTTP 404.*404 page not found.*ENTSOE_API_URL",
        ),
        (Reply(200, MAINTENANCE, {"Content-Type": "text/html"}), "page instead of an XML"),
        (Reply(200, recorded("html_bad_request.html")), "page instead of an XML.*Bad Request"),
        (Reply(200, b"404 page not found\n"), "page instead of an XML.*404 page not found"),
        (Reply(200, b"Service temporarily unavailable", gzip=True), "page instead of an XML"),
        (
            Reply(
                200,
                b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body>'
                b"Scheduled maintenance</body></html>",
            ),
            "page instead of an XML.*Scheduled maintenance",
        ),
    ],
    ids=[
        "503-maintenance",
        "503-empty",
        "404",
        "200-maintenance",
        "200-recorded-html",
        "200-plain-text",
        "200-gzip-text",
        "200-xhtml",
    ],
)
async def test_outage_signals_are_source_unavailable(
    source: EntsoeHttpSource, server: ScriptedServer, reply: Reply, said: str
) -> None:
    server.script(reply)
    with pytest.raises(SourceUnavailable, match=said) as caught:
        await source.fetch(CHUNK)
    # Callers that retry transient failures keep doing so.
    assert isinstance(caught.value, TransientSourceError)


async def test_an_empty_200_is_a_malformed_document_not_an_outage(
    source: EntsoeHttpSource, server: ScriptedServer
) -> None:
    server.script(Reply(200, b""))
    with pytest.raises(MalformedDocument, match="empty") as caught:
        await source.fetch(CHUNK)
    assert not isinstance(caught.value, SourceUnavailable)


async def test_a_hanging_server_is_a_transient_timeout(server: ScriptedServer) -> None:
    server.script(Reply(mode="hang"))
    async with EntsoeHttpSource(server.url, TOKEN, timeout=0.2) as quick:
        with pytest.raises(TransientSourceError, match="did not answer in time"):
            await quick.fetch(CHUNK)


async def test_a_reset_without_a_limiter_is_not_sent_again(server: ScriptedServer) -> None:
    server.script(Reply(mode="reset"), Reply(200, recorded("FR_prices.xml")))
    async with EntsoeHttpSource(server.url, TOKEN, resend_wait=0.001) as plain:
        with pytest.raises(TransientSourceError, match="connection to the ENTSO-E API failed"):
            await plain.fetch(CHUNK)
    assert len(server.seen) == 1


async def test_a_reset_before_any_byte_is_sent_once_more_through_the_limiter(
    source: EntsoeHttpSource, server: ScriptedServer, limiter: RecordingLimiter
) -> None:
    server.script(Reply(mode="reset"), Reply(200, recorded("FR_prices.xml")))
    assert isinstance(await source.fetch(CHUNK), ChunkData)
    # The first send was admitted by the caller; the re-send by the adapter's limiter.
    assert (len(server.seen), limiter.acquired) == (2, 1)


async def test_a_second_reset_is_left_to_the_chunk_runner_as_transient(
    source: EntsoeHttpSource, server: ScriptedServer, limiter: RecordingLimiter
) -> None:
    server.script(*[Reply(mode="reset")] * 3)
    with pytest.raises(TransientSourceError, match="2 attempt"):
        await source.fetch(CHUNK)
    assert (len(server.seen), limiter.acquired) == (2, 1)


@pytest.mark.parametrize("mode", ["truncate", "hang"])
async def test_an_answer_that_began_to_arrive_is_not_sent_again(
    server: ScriptedServer, limiter: RecordingLimiter, mode: str
) -> None:
    server.script(*[Reply(200, recorded("FR_prices.xml"), mode=mode)] * 2)
    async with EntsoeHttpSource(
        server.url, TOKEN, limiter=limiter, timeout=0.3, resend_wait=0.001
    ) as quick:
        with pytest.raises(TransientSourceError):
            await quick.fetch(CHUNK)
    assert (len(server.seen), limiter.acquired) == (1, 0)


async def test_a_body_cut_short_of_its_length_is_transient(
    source: EntsoeHttpSource, server: ScriptedServer
) -> None:
    server.script(*[Reply(200, recorded("FR_prices.xml"), mode="truncate")] * 3)
    with pytest.raises(TransientSourceError):
        await source.fetch(CHUNK)


async def test_truncated_xml_is_transient(source: EntsoeHttpSource, server: ScriptedServer) -> None:
    server.script(Reply(200, recorded("FR_prices.xml")[:2500]))
    with pytest.raises(MalformedDocument) as caught:
        await source.fetch(CHUNK)
    assert isinstance(caught.value, TransientSourceError)


async def test_a_document_of_another_kind_is_permanent_and_named(
    source: EntsoeHttpSource, server: ScriptedServer
) -> None:
    body = b'<?xml version="1.0"?><Unavailability_MarketDocument xmlns="urn:x:7:1"/>'
    server.script(Reply(200, body))
    with pytest.raises(PermanentSourceError, match="<Unavailability_MarketDocument>"):
        await source.fetch(CHUNK)


async def test_an_entity_bomb_is_refused(source: EntsoeHttpSource, server: ScriptedServer) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE GL_MarketDocument [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b"<GL_MarketDocument><type>&c;</type></GL_MarketDocument>"
    )
    server.script(Reply(200, bomb))
    with pytest.raises(UnsafeDocument, match="declares a DTD") as caught:
        await source.fetch(CHUNK)
    assert isinstance(caught.value, PermanentSourceError)


async def test_a_body_over_the_cap_is_refused(server: ScriptedServer) -> None:
    body = recorded("FR_prices.xml")
    server.script(Reply(200, body), Reply(200, body, gzip=True))
    async with EntsoeHttpSource(server.url, TOKEN, max_body_bytes=4000) as capped:
        with pytest.raises(BodyTooLarge, match="cap of 4,000 bytes"):
            await capped.fetch(CHUNK)
        # Compressed it is under the cap; unpacked it is not.
        with pytest.raises(BodyTooLarge):
            await capped.fetch(CHUNK)


def gzipped_blanks(prefix: bytes, inflated: int) -> bytes:
    """A gzip body of ``prefix`` and ``inflated`` bytes of blanks, compressed as it is built."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    parts = [compressor.compress(prefix)]
    block = b" " * 2**20
    parts += [compressor.compress(block) for _ in range(inflated // len(block))]
    return b"".join([*parts, compressor.flush()])


async def test_a_gzip_bomb_is_refused_with_memory_bounded_by_the_cap(
    server: ScriptedServer,
) -> None:
    cap = 4 * 2**20
    bomb = gzipped_blanks(recorded("FR_prices.xml")[:200], 256 * 2**20)
    assert len(bomb) < 300_000
    server.script(Reply(200, bomb, headers={"Content-Encoding": "gzip"}))
    async with EntsoeHttpSource(server.url, TOKEN, max_body_bytes=cap) as capped:
        tracemalloc.start()
        try:
            with pytest.raises(BodyTooLarge, match="cap of 4,194,304 bytes"):
                await capped.fetch(CHUNK)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    # Inflating a whole network read at once (as httpx does) held about 64 MiB here.
    assert peak < 2 * cap, f"peak {peak:,} bytes"


async def test_gzip_members_one_after_another_are_one_body(
    source: EntsoeHttpSource, server: ScriptedServer
) -> None:
    body = recorded("load_61a_actual_total_load_NL.xml")
    halves = gzip.compress(body[:5000]) + gzip.compress(body[5000:])
    server.script(Reply(200, halves, headers={"Content-Encoding": "gzip"}))
    answer = await source.fetch(CHUNK)
    assert isinstance(answer, ChunkData)
    assert answer.series == parse_document(body)


@pytest.mark.parametrize("encoding", ["gzip, gzip", "br", "deflate", "zstd"])
async def test_a_content_encoding_we_did_not_ask_for_is_refused_by_name(
    source: EntsoeHttpSource, server: ScriptedServer, encoding: str
) -> None:
    body = gzip.compress(gzip.compress(recorded("FR_prices.xml")))
    server.script(Reply(200, body, headers={"Content-Encoding": encoding}))
    with pytest.raises(PermanentSourceError, match=f"content encoding {encoding!r}"):
        await source.fetch(CHUNK)


async def test_a_damaged_gzip_body_is_transient(
    source: EntsoeHttpSource, server: ScriptedServer
) -> None:
    damaged = gzip.compress(recorded("FR_prices.xml"))[:20] + b"\x00garbage" * 10
    server.script(Reply(200, damaged, headers={"Content-Encoding": "gzip"}))
    with pytest.raises(TransientSourceError, match="gzip body cut short or damaged"):
        await source.fetch(CHUNK)


def test_a_missing_token_or_a_bad_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="ENTSOE_API_TOKEN"):
        EntsoeHttpSource("https://web-api.tp.entsoe.eu/api", "  ")
    with pytest.raises(ConfigurationError, match="ENTSOE_API_URL"):
        EntsoeHttpSource("web-api.tp.entsoe.eu/api", TOKEN)


# -- rate limits -------------------------------------------------------------------------


async def test_a_ban_stops_every_request_until_it_ends(
    server: ScriptedServer, fake_clock: FakeClock
) -> None:
    bucket = MemoryRateLimiter(fake_clock)
    until = NOW + timedelta(minutes=10)
    server.script(
        Reply(429, f"Requester banned until '{until.isoformat()}'".encode()),
        Reply(mode="reset"),
        Reply(200, recorded("FR_prices.xml")),
    )
    async with EntsoeHttpSource(
        server.url, TOKEN, clock=fake_clock, limiter=bucket, resend_wait=0.001
    ) as banned:
        with pytest.raises(RateLimited) as caught:
            await banned.fetch(CHUNK)
        await bucket.ban_until(caught.value.until)  # as the chunk runner does
        assert bucket.banned_until == until
        # A fetch admitted before the ban hits a reset; its re-send must wait out the ban.
        assert isinstance(await banned.fetch(CHUNK), ChunkData)

    times = [seen.at for seen in server.seen]
    assert times[1] is not None
    assert times[1] < until
    assert times[2] is not None
    assert times[2] >= until


class CountingBans(MemoryRateLimiter):
    """The in-memory limiter, counting the bans written to it."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.bans: list[datetime] = []

    async def ban_until(self, until: datetime) -> None:
        self.bans.append(until)
        await super().ban_until(until)


async def test_a_429_in_a_run_is_one_ban_and_one_more_send_after_it(
    server: ScriptedServer, fake_clock: FakeClock
) -> None:
    until = NOW + timedelta(minutes=10)
    server.script(
        Reply(429, f"Requester banned until '{until.isoformat()}'".encode()),
        Reply(200, recorded("load_61a_actual_total_load_NL.xml")),
    )
    limiter = CountingBans(fake_clock)
    async with EntsoeHttpSource(
        server.url, TOKEN, clock=fake_clock, limiter=limiter, resend_wait=0.001
    ) as real:
        # One lane, and a lease longer than the ban: with the fake clock, idle lanes would
        # move time on while the request is on the wire, and take the chunk over.
        limits = RunLimits(max_requests_in_flight=1, lease=timedelta(hours=1))
        service = BackfillService(
            MemoryUnitOfWorkFactory(), real, fake_clock, limiter, limits=limits
        )
        request = BackfillRequest.parse(
            ["NL"], ["actual_total_load"], CHUNK.interval.start, CHUNK.interval.end
        )
        report = await service.start(request)

    assert limiter.bans == [until]
    assert len(server.seen) == 2
    assert server.seen[1].at is not None
    assert server.seen[1].at >= until
    assert report.counts.requests == 2
    assert report.job.status.value == "completed"


# -- the token never leaks ---------------------------------------------------------------


def texts_of(error: BaseException) -> list[str]:
    out: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        out += [str(current), repr(current), *map(repr, current.args)]
        current = current.__cause__ or current.__context__
    return out


async def test_the_token_appears_in_no_log_record_error_or_repr(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "stamina", "asyncio"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    echo = f"you sent securityToken={TOKEN}".encode()
    server.script(
        Reply(200, recorded("generation_161bc_actual_per_psr_NL.xml"), gzip=True),
        Reply(200, recorded("load61_d_month_ahead_total_load_forecast.xml")),
        Reply(400, acknowledgement(f"Invalid parameter securityToken={TOKEN}")),
        Reply(400, b"<html><body>Bad Request " + echo + b"</body></html>"),
        Reply(401, echo),
        Reply(429, b"Requester banned until '2025-11-25T10:01:55.545Z' " + echo),
        Reply(503, echo),
        Reply(mode="reset"),
        Reply(mode="reset"),
        Reply(mode="reset"),
        Reply(200, recorded("FR_prices.xml")[:2000]),
        Reply(200, recorded("html_bad_request.html")),
        Reply(200, acknowledgement(f"Unknown token {TOKEN}")),
        Reply(
            400,
            acknowledgement(
                f"Provided time interval ({TOKEN}) is larger than maximum allowed period 'P1M'"
            ),
        ),
        Reply(
            400, acknowledgement(f"The number of instances ({TOKEN}) exceeds the allowed maximum")
        ),
        Reply(404, echo),
        Reply(200, echo),
        Reply(mode="hang"),
    )
    errors: list[BaseException] = []
    limiter = RecordingLimiter()
    async with EntsoeHttpSource(
        server.url, TOKEN, limiter=limiter, timeout=0.3, resend_wait=0.001
    ) as leaky:
        assert TOKEN not in repr(leaky)
        for _ in range(16):
            try:
                await leaky.fetch(CHUNK)
            except SourceError as error:
                errors.append(error)

    assert len(errors) == 14
    assert {RequestTooLong, TooManyInstances, SourceUnavailable} <= {type(e) for e in errors}
    assert all(seen.query["securityToken"] == TOKEN for seen in server.seen)
    messages = [record.getMessage() for record in caplog.records]
    assert any("HTTP Request: GET" in m for m in messages)
    assert any(record.name.startswith("httpcore") for record in caplog.records)
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in repr(record.args)
        assert TOKEN not in (record.exc_text or "")
        assert TOKEN not in repr(vars(record))
    for raised in errors:
        for text in texts_of(raised):
            assert TOKEN not in text
    assert TOKEN not in caplog.text


async def test_the_token_does_not_reach_the_progress_rows(server: ScriptedServer) -> None:
    clock = FakeClock(utc(2024, 6, 1))
    uow = MemoryUnitOfWorkFactory()
    echo = f"securityToken={TOKEN}"
    server.script(
        Reply(400, acknowledgement(f"Invalid request {echo}")),
        Reply(503, echo.encode()),
        Reply(503, echo.encode()),
    )
    async with EntsoeHttpSource(server.url, TOKEN) as real:
        service = BackfillService(
            uow,
            real,
            clock,
            MemoryRateLimiter(clock),
            retry=RetryPolicy(attempts=2, base_seconds=0.01),
        )
        request = BackfillRequest.parse(
            ["NL"],
            ["actual_total_load", "actual_generation_per_type"],
            utc(2024, 1, 1),
            utc(2024, 2, 1),
        )
        job = await service.create(request)
        report = await service.run(job.id)

    async with uow() as unit:
        chunks = await unit.progress.get_chunks(job.id)
    errors = [c.last_error or "" for c in chunks]
    assert len(errors) == 2
    assert all(errors)
    assert any("HTTP 400" in e for e in errors)
    assert any("HTTP 503" in e for e in errors)
    for text in [*errors, report.last_error or "", str(JobBody.of(report))]:
        assert TOKEN not in text
