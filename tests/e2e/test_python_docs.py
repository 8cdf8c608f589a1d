"""The Python of README.md and docs/python.md runs as written, against the database `entsoe
demo` fills (in a folder of its own, as a user runs it) and an emulator for the backfill."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import COMMAND_TIMEOUT, Cli, base_environment, running_emulator

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def python_blocks(text: str) -> list[str]:
    return PYTHON_BLOCK.findall(text)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where `entsoe demo` ran with its defaults: entsoe.sqlite3 beside it."""
    folder = tmp_path_factory.mktemp("demo")
    Cli(folder, base_environment())("demo").ok()
    return folder


def run_python(folder: Path, code: str, **env: str) -> Any:
    """Run ``code`` in ``folder`` with a fresh interpreter; what it printed last, as JSON."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=folder,
        env={**base_environment(), **env},
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_the_quick_start_ends_with_three_lines_that_load_the_demo_into_pandas(demo: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.partition("## Quick start")[2].partition("\n## ")[0]
    *_, last = python_blocks(quick_start)
    assert quick_start.rstrip().endswith(last + "```")
    assert len([line for line in last.splitlines() if line.strip()]) == 3

    shown = run_python(
        demo,
        last + "import json\n"
        "print(json.dumps({'columns': list(load.columns), 'rows': len(load),"
        " 'tz': str(load.index.tz), 'first': str(load.index[0])}))\n",
    )

    year = datetime.now(UTC).year - 1
    assert shown["columns"] == ["Actual Load"]
    assert shown["tz"] == "Europe/Amsterdam"
    assert shown["first"] == f"{year}-01-01 01:00:00+01:00"
    days = (datetime(year + 1, 1, 1) - datetime(year, 1, 1)).days
    assert shown["rows"] == days * 96


def test_the_examples_of_the_python_docs_run_in_order(demo: Path) -> None:
    blocks = python_blocks((ROOT / "docs" / "python.md").read_text(encoding="utf-8"))
    checks = (
        "import json\n"
        "print(json.dumps({'generation': [list(c) for c in generation.columns],"
        " 'prices': list(prices.columns), 'actual': list(actual.columns),"
        " 'hourly': list(hourly.columns), 'job': job.status,"
        " 'load': list(load.columns)[:3]}))\n"
    )

    with running_emulator(demo, seed=3) as emulator:
        shown = run_python(demo, "\n".join(blocks) + checks, **emulator.env())

    assert ["Solar", "Actual Aggregated"] in shown["generation"]
    assert ["Hydro Pumped Storage", "Actual Consumption"] in shown["generation"]
    assert shown["prices"] == ["FR", "NL"]
    assert shown["actual"] == ["Actual Load"]
    assert shown["hourly"] == ["NL"]
    assert shown["job"] == "completed"
    assert shown["load"] == ["timestamp", "value", "unit"]


def test_the_python_api_section_of_the_readme_runs(demo: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.partition("## Python API")[2].partition("\n## ")[0]
    (block,) = python_blocks(section)

    shown = run_python(
        demo,
        block + "import json\nprint(json.dumps([len(generation), len(load), len(hourly)]))\n",
    )

    assert isinstance(shown, list)
    assert len(shown) == 3
