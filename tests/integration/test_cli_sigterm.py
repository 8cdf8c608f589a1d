"""SIGTERM is the documented interruption from the console script's first statement: a
worker stopped while it is still importing its modules exits 130, not by the signal (143), and
so does one stopped after its run, on its way out."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.integration.databases import sqlite_url

COMMAND = "from entrypoints.cli import run; run()"


def test_a_worker_terminated_while_importing_exits_130(tmp_path: Path) -> None:
    worker = subprocess.Popen(
        # -X importtime reports each module as it is imported: the signal goes out while the
        # worker's own modules (the database driver among them) are loading.
        [sys.executable, "-X", "importtime", "-c", COMMAND, "worker", "--follow"],
        env={
            "ENTSOE_DATABASE_URL": sqlite_url(tmp_path),
            "ENTSOE_API_TOKEN": "sigterm-test-token",
            "PATH": "",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert worker.stderr is not None
    seen = []
    for line in worker.stderr:
        seen.append(line)
        if "sqlalchemy" in line:
            worker.send_signal(signal.SIGTERM)
            break
    rest = worker.stderr.read()
    code = worker.wait(timeout=60)

    assert "sqlalchemy" in seen[-1], "the worker never imported sqlalchemy"
    assert code == 130, rest[-2000:]
    assert "Traceback" not in rest


def test_a_worker_terminated_after_its_run_exits_130(tmp_path: Path) -> None:
    # A worker without work runs, says so and ends: a signal on the way out ends it as
    # documented too (asyncio's handler, gone with the run, leaves the console script's).
    script = (
        "import os, signal, click\n"
        "echo = click.echo\n"
        "def terminated(message, **kwargs):\n"
        "    echo(message, **kwargs)\n"
        "    if str(message).startswith('worker finished'):\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "click.echo = terminated\n"
        f"{COMMAND}\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "worker"],
        env={
            "ENTSOE_DATABASE_URL": sqlite_url(tmp_path),
            "ENTSOE_API_TOKEN": "sigterm-test-token",
            "PATH": "",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert "worker finished: 0 chunk(s) run" in done.stdout
    assert done.returncode == 130, done.stderr
