"""The core imports nothing from adapters, entry points, frameworks or I/O libraries."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "src" / "entsoe_core"
ALLOWED_THIRD_PARTY = {"attrs", "cattrs"}
FORBIDDEN_STDLIB = {
    "socket",
    "ssl",
    "http",
    "urllib",
    "sqlite3",
    "subprocess",
    "shutil",
    "io",
    "os",
    "pathlib",
    "tempfile",
    "threading",
    "multiprocessing",
    "requests",
}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_sources_import_only_stdlib_attrs_and_cattrs() -> None:
    files = sorted(CORE.rglob("*.py"))
    assert len(files) > 10
    for path in files:
        for root in imported_roots(path):
            if root in ("entsoe_core", "__future__"):
                continue
            if root in ALLOWED_THIRD_PARTY:
                continue
            assert root in sys.stdlib_module_names, f"{path.name} imports {root}"
            assert root not in FORBIDDEN_STDLIB, f"{path.name} imports I/O module {root}"


def test_importing_the_core_loads_no_adapter_or_io_library() -> None:
    probe = (
        "import sys, entsoe_core.services.backfill, entsoe_core.services.gapfill, "
        "entsoe_core.ports\n"
        "bad = {'sqlalchemy', 'httpx', 'lxml', 'asyncpg', 'aiosqlite', 'click', 'rich', "
        "'litestar', 'uvicorn', 'punq', 'adapters', 'entrypoints', 'sqlite3'}\n"
        "print(sorted(bad & {m.split('.')[0] for m in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
