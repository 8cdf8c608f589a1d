"""The chaos soak: workers, ``entsoe serve`` and readers on one database while everything breaks.

One backfill job (``--no-run``: day chunks of a few areas x datasets) is run by several
``entsoe worker`` processes against ``entsoe emulator`` on loopback, while ``entsoe serve``
answers HTTP readers of the job and its observations. The emulator answers a seeded share of
requests with 503s, dropped connections (resets), bodies cut halfway and slow answers, and at
random moments (drawn from ``--seed``) the soak

- SIGKILLs a worker and starts another (its chunk waits for its lease to run out),
- SIGTERMs a worker (it hands its chunks back and exits 130) and starts another,
- terminates every connection of the database (``pg_terminate_backend``, PostgreSQL only),
- has the emulator ban every request for a few seconds (429 ``Requester banned until``).

After ``--seconds`` of chaos the workers left finish the job (the faults of the emulator go on),
and the soak checks, printing each finding:

- the data equals the emulator's, for every dataset and area;
- every chunk was committed once: one coverage entry per chunk, none reported done twice;
- no request was sent once a ban was known: every request the emulator refused during a ban
  arrived within ``BAN_GRACE`` seconds of the first one it refused (requests already on
  their way when the first 429 came back);
- no 60-second window saw more requests than the budget allows (the rate, burst included);
- no chunk stayed in flight longer than ``STUCK_GRACE`` seconds past its lease, and none is
  in flight at the end;
- exit codes as docs/cli.md says: 0 for a worker that ran out of work, 130 after SIGTERM,
  and ``entsoe serve`` shuts down gracefully on SIGTERM (uvicorn then ends by the signal,
  as tests/integration/test_http_api.py expects); the readers got 200, or 503 with a problem body;
  ``entsoe status`` says completed.

Bounded: ``chaos_seconds`` of chaos, then ``finish_seconds`` at most for the rest; loopback
only. ``benchmarks/chaos_soak.py`` runs it from the command line, ``tests/e2e/test_chaos_soak.py``
a short one on both databases.
"""

from __future__ import annotations

import asyncio
import math
import random
import re
import signal
import socket
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import attrs
import httpx
import sqlalchemy.exc

from tests.e2e.harness import (
    Cli,
    Emulator,
    Process,
    base_environment,
    exported,
    query,
    running_emulator,
    utc,
)
from tests.integration.databases import asyncpg_dsn

BAN_GRACE = 3.0
"""Seconds after a ban's first refusal in which requests already sent may still arrive."""
STUCK_GRACE = 20.0
"""Seconds past its lease a chunk may stay in flight before another worker claims it."""
WINDOW = 60.0
EMULATOR_NOW = "2026-01-01"
DONE_LINE = re.compile(r"^\[\d+\] done (\S+) (\S+) (\S+) \(\d+ points\)$")
EVENTS = ("kill", "term", "ban", "disconnect")


@attrs.frozen
class SoakSettings:
    """What the soak runs, and for how long."""

    database_url: str
    seed: int = 1
    chaos_seconds: float = 60.0
    finish_seconds: float = 180.0
    workers: int = 3
    concurrency: int = 2
    areas: tuple[str, ...] = ("NL", "BE", "FR")
    datasets: tuple[str, ...] = ("actual_total_load", "day_ahead_prices")
    start: str = "2024-01-01"
    days: int | None = None
    """Days of the job; by default enough to keep the workers busy through the chaos."""
    rate: int = 240
    burst: int = 5
    lease_seconds: int = 8
    pause: tuple[float, float] = (1.0, 4.0)
    """Seconds between two chaos events, drawn uniformly."""
    ban: tuple[float, float] = (2.0, 5.0)
    readers: int = 2

    @property
    def end(self) -> str:
        days = self.days
        if days is None:
            chunks_a_day = len(self.areas) * len(self.datasets)
            busy = self.rate / WINDOW * self.chaos_seconds * 1.25
            days = math.ceil(busy / chunks_a_day) + 1
        return (utc(self.start) + timedelta(days=days)).date().isoformat()

    @property
    def postgres(self) -> bool:
        return self.database_url.startswith("postgresql")


@attrs.frozen
class Finding:
    """One check of the soak: what it promises, whether it held, and what was seen."""

    name: str
    ok: bool
    detail: str


@attrs.define
class Crew:
    """Every worker process started, and what was done to each."""

    app: Cli
    concurrency: int
    started: int = 0
    live: list[Process] = attrs.Factory(list)
    killed: list[Process] = attrs.Factory(list)
    terminated: list[tuple[Process, int]] = attrs.Factory(list)
    finished: list[tuple[Process, int]] = attrs.Factory(list)

    def start(self) -> None:
        self.started += 1
        self.live.append(
            self.app.start(
                "worker", "--concurrency", str(self.concurrency), name=f"worker-{self.started}"
            )
        )

    def collect(self) -> None:
        """Move the workers that exited by themselves to ``finished``."""
        for process in list(self.live):
            code = process.popen.poll()
            if code is not None:
                self.live.remove(process)
                self.finished.append((process, code))

    @property
    def everyone(self) -> list[Process]:
        return [
            *self.live,
            *self.killed,
            *(p for p, _ in self.terminated),
            *(p for p, _ in self.finished),
        ]


# -- the run ------------------------------------------------------------------------------------


def soak(settings: SoakSettings, workdir: Path) -> list[Finding]:
    """Run the soak in ``workdir`` on the (migrated, empty) database of the settings."""
    rng = random.Random(settings.seed)
    faults = ["--fail-503", "0.05", "--fail-drop", "0.03", "--fail-truncate", "0.03"]
    faults += ["--fail-slow", "0.05", "--slow-seconds", "2", "--now", EMULATOR_NOW]
    with running_emulator(workdir, *faults, seed=settings.seed) as api:
        app = Cli(workdir, base_environment()).with_env(
            **api.env(),
            ENTSOE_DATABASE_URL=settings.database_url,
            ENTSOE_RATE_LIMIT_PER_MINUTE=str(settings.rate),
            ENTSOE_RATE_LIMIT_BURST=str(settings.burst),
            ENTSOE_LEASE_SECONDS=str(settings.lease_seconds),
        )
        job_id = (
            app(
                "backfill",
                "--area",
                ",".join(settings.areas),
                "--dataset",
                ",".join(settings.datasets),
                "--start",
                settings.start,
                "--end",
                settings.end,
                "--span",
                "day",
                "--no-run",
            )
            .ok()
            .job_id()
        )
        port = _free_port()
        serve = app.start("serve", "--port", str(port), name="serve")
        crew = Crew(app, settings.concurrency)
        readers = Readers(f"http://127.0.0.1:{port}", job_id, settings)
        watch = LeaseWatch(settings.database_url)
        events: Counter[str] = Counter()
        try:
            _wait_for_health(f"http://127.0.0.1:{port}/health", serve)
            for _ in range(settings.workers):
                crew.start()
            with readers.running(), watch.running():
                _chaos(settings, rng, crew, api, events)
                finished = _finish(settings, crew)
            serve.popen.send_signal(signal.SIGTERM)
            serve_code = serve.popen.wait(timeout=60)
        finally:
            for process in [*crew.live, serve]:
                process.stop()
        record = httpx.get(api.stats_url.replace("/stats", "/arrivals"), timeout=30).json()
        findings = [
            Finding("job finished in time", finished, f"{settings.finish_seconds:g} s allowed"),
            *_data_findings(settings, app, api),
            *_commit_findings(settings, app, job_id, crew),
            _ban_finding(record),
            _rate_finding(record, settings),
            _lease_finding(settings, watch, job_id),
            *_exit_findings(crew, serve_code, serve.stderr, readers),
            Finding("chaos happened", sum(events.values()) > 0, _counted(events)),
        ]
    return findings


def _chaos(
    settings: SoakSettings, rng: random.Random, crew: Crew, api: Emulator, events: Counter[str]
) -> None:
    deadline = time.monotonic() + settings.chaos_seconds
    kinds = [e for e in EVENTS if settings.postgres or e != "disconnect"]
    while time.monotonic() < deadline:
        time.sleep(rng.uniform(*settings.pause))
        crew.collect()
        if not crew.live:
            return
        event = rng.choice(kinds)
        if event == "kill":
            victim = crew.live.pop(rng.randrange(len(crew.live)))
            victim.kill()
            crew.killed.append(victim)
            crew.start()
        elif event == "term":
            # In its first milliseconds, before the console script installs its handler, a
            # worker ends by SIGTERM as any process does (143): a started one is chosen.
            started = [w for w in crew.live if "started" in w.stderr]
            if not started:
                continue
            victim = started[rng.randrange(len(started))]
            crew.live.remove(victim)
            victim.popen.send_signal(signal.SIGTERM)
            crew.terminated.append((victim, victim.popen.wait(timeout=120)))
            crew.start()
        elif event == "ban":
            seconds = f"{rng.uniform(*settings.ban):.1f}"
            httpx.post(
                api.stats_url.replace("/stats", "/ban"), params={"seconds": seconds}, timeout=10
            ).raise_for_status()
        else:
            _terminate_backends(settings.database_url)
        events[event] += 1


def _finish(settings: SoakSettings, crew: Crew) -> bool:
    """Let the workers left (at least the planned number) run out of work; in time?"""
    crew.collect()
    while len(crew.live) < settings.workers:
        crew.start()
    deadline = time.monotonic() + settings.finish_seconds
    while crew.live and time.monotonic() < deadline:
        time.sleep(0.5)
        crew.collect()
    return not crew.live


def _terminate_backends(url: str) -> int:
    async def terminate() -> int:
        admin = await asyncpg.connect(asyncpg_dsn(url))
        try:
            terminated: int = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return terminated
        finally:
            await admin.close()

    return asyncio.run(terminate())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for_health(url: str, serve: Process) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if serve.popen.poll() is not None:
            raise RuntimeError(f"entsoe serve ended early\n{serve.stderr}")
        try:
            if httpx.get(url, timeout=5).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"entsoe serve did not answer {url}")


class Readers:
    """HTTP clients reading the job and its observations from ``entsoe serve`` all along."""

    def __init__(self, base: str, job_id: str, settings: SoakSettings) -> None:
        self._base = base
        self._job_id = job_id
        self._settings = settings
        self._stop = threading.Event()
        self.statuses: Counter[int] = Counter()
        self.bad: list[str] = []

    @contextmanager
    def running(self) -> Iterator[None]:
        threads = [
            threading.Thread(target=self._read, args=(n,), daemon=True)
            for n in range(self._settings.readers)
        ]
        for thread in threads:
            thread.start()
        try:
            yield
        finally:
            self._stop.set()
            for thread in threads:
                thread.join(timeout=60)

    def _read(self, number: int) -> None:
        rng = random.Random(self._settings.seed * 1000 + number)
        with httpx.Client(base_url=self._base, timeout=30) as http:
            while not self._stop.is_set():
                if rng.random() < 0.3:
                    answer = http.get(f"/backfills/{self._job_id}")
                else:
                    answer = http.get(
                        "/observations",
                        params={
                            "area": rng.choice(self._settings.areas),
                            "dataset": rng.choice(self._settings.datasets),
                            "start": self._settings.start,
                            "end": self._settings.end,
                        },
                    )
                self.statuses[answer.status_code] += 1
                problem = answer.headers.get("content-type", "").startswith(
                    "application/problem+json"
                )
                if answer.status_code != 200 and not (answer.status_code == 503 and problem):
                    self.bad.append(
                        f"{answer.request.url} {answer.status_code} {answer.text[:200]}"
                    )
                time.sleep(0.2)


class LeaseWatch:
    """Samples the chunks in flight: none may stay so long past its lease."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._stop = threading.Event()
        self.overdue: dict[str, float] = {}
        self.samples = 0

    @contextmanager
    def running(self) -> Iterator[None]:
        thread = threading.Thread(target=self._watch, daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._stop.set()
            thread.join(timeout=60)

    def _watch(self) -> None:
        while not self._stop.wait(2.0):
            now = datetime.now(UTC)
            try:
                in_flight = _in_flight(self._url)
            except (sqlalchemy.exc.DBAPIError, sqlite3.OperationalError):
                # The soak terminates every connection of the database, this one's too (or
                # SQLite is busy): the sample is lost, the watch goes on.
                continue
            for chunk_id, expires in in_flight:
                if expires is None:
                    continue
                late = (now - expires).total_seconds()
                if late > 0:
                    self.overdue[chunk_id] = max(self.overdue.get(chunk_id, 0.0), late)
            self.samples += 1


def _in_flight(url: str) -> list[tuple[str, datetime | None]]:
    rows = query(url, "SELECT id, lease_expires_at FROM backfill_chunks WHERE status = 'in_flight'")
    return [(str(chunk_id), _instant(expires)) for chunk_id, expires in rows]


def _instant(value: Any) -> datetime | None:
    """A lease expiry as read back: an aware datetime (PostgreSQL), or microseconds (SQLite)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromtimestamp(int(value) / 1e6, UTC)


# -- the findings -------------------------------------------------------------------------------


def _data_findings(settings: SoakSettings, app: Cli, api: Emulator) -> list[Finding]:
    start, end = utc(settings.start), utc(settings.end)
    findings = []
    for dataset in settings.datasets:
        for area in settings.areas:
            stored = exported(app, dataset, area, start, end)
            published = api.rows(dataset, area, start, end)
            findings.append(
                Finding(
                    f"data of {dataset} {area} equals the emulator's",
                    stored == published,
                    f"{len(stored)} stored, {len(published)} published",
                )
            )
    return findings


def _commit_findings(settings: SoakSettings, app: Cli, job_id: str, crew: Crew) -> list[Finding]:
    url = settings.database_url
    chunks = query(url, f"SELECT status FROM backfill_chunks WHERE job_id = '{job_id}'")
    statuses = Counter(status for (status,) in chunks)
    ledger = Counter(query(url, "SELECT dataset, area, interval_start, interval_end FROM coverage"))
    repeated = [entry for entry, times in ledger.items() if times > 1]
    reported = Counter(
        match.groups()
        for process in crew.everyone
        for line in process.stderr.splitlines()
        if (match := DONE_LINE.match(line))
    )
    reported_twice = [chunk for chunk, times in reported.items() if times > 1]
    report = app("status", job_id, "--json").json()
    return [
        Finding(
            "every chunk done",
            set(statuses) == {"done"},
            _counted(statuses),
        ),
        Finding(
            "every chunk committed once (one coverage entry each)",
            not repeated and sum(ledger.values()) == statuses["done"],
            f"{sum(ledger.values())} entries, {statuses['done']} chunks; twice: {repeated[:3]}",
        ),
        Finding(
            "no chunk reported done twice",
            not reported_twice,
            f"{len(reported)} reported; twice: {reported_twice[:3]}",
        ),
        Finding(
            "`entsoe status` says completed",
            report["status"] == "completed" and report["chunks"]["in_flight"] == 0,
            f"status {report['status']}, chunks {report['chunks']}",
        ),
    ]


def _ban_finding(record: dict[str, Any]) -> Finding:
    late = []
    for ban in record["bans"]:
        refused = [
            at
            for at, fate in record["arrivals"]
            if fate != "served" and ban["start"] <= at < ban["until"]
        ]
        late += [at - refused[0] for at in refused if at - refused[0] > BAN_GRACE]
    bans = len(record["bans"])
    refusals = sum(fate != "served" for _, fate in record["arrivals"])
    return Finding(
        "no request sent once a ban was known",
        not late,
        f"{bans} bans, {refusals} requests refused, {len(late)} later than {BAN_GRACE:g} s "
        f"after the first refusal: {[round(s, 1) for s in late[:5]]}",
    )


def _rate_finding(record: dict[str, Any], settings: SoakSettings) -> Finding:
    times = sorted(at for at, _ in record["arrivals"])
    most, first = 0, 0
    for last, at in enumerate(times):
        while times[first] <= at - WINDOW:
            first += 1
        most = max(most, last - first + 1)
    return Finding(
        "no 60 s window above the budget",
        most <= settings.rate,
        f"most in any 60 s: {most} of {settings.rate} ({len(times)} requests in all)",
    )


def _lease_finding(settings: SoakSettings, watch: LeaseWatch, job_id: str) -> Finding:
    stuck = {chunk: late for chunk, late in watch.overdue.items() if late > STUCK_GRACE}
    left = _in_flight(settings.database_url)
    return Finding(
        "no chunk stuck in flight past its lease",
        not stuck and not left and watch.samples > 0,
        f"{watch.samples} samples; most overdue: {max(watch.overdue.values(), default=0):.1f} s; "
        f"stuck: {list(stuck)[:3]}; in flight at the end: {len(left)}",
    )


def _exit_findings(crew: Crew, serve_code: int, serve_log: str, readers: Readers) -> list[Finding]:
    finished = Counter(code for _, code in crew.finished)
    terminated = Counter(code for _, code in crew.terminated)
    failed = [
        f"{process.args} exited {code}: {process.stderr[-500:]}"
        for process, code in [*crew.finished, *crew.terminated]
        if code not in (0, 130)
    ]
    return [
        Finding(
            "workers that ran out of work exited 0",
            set(finished) <= {0} and bool(finished),
            f"exit codes {_counted(finished)}; {failed[:1]}",
        ),
        Finding(
            "workers stopped by SIGTERM exited 130",
            set(terminated) <= {130},
            f"exit codes {_counted(terminated)}; {failed[:1]}",
        ),
        Finding(
            "entsoe serve shut down gracefully on SIGTERM",
            serve_code in (0, -signal.SIGTERM) and "Application shutdown complete" in serve_log,
            f"exit {serve_code}",
        ),
        Finding(
            "readers got 200, or 503 with a problem",
            not readers.bad and readers.statuses[200] > 0,
            f"statuses {_counted(readers.statuses)}; {readers.bad[:2]}",
        ),
    ]


def _counted(counter: Counter[Any]) -> str:
    return ", ".join(f"{key}: {n}" for key, n in sorted(counter.items(), key=str)) or "none"
