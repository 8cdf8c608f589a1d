"""docs/architecture.md names real files: a moved or removed module fails here."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
NAMED = re.compile(r"`((?:src|tests)/[\w/]+\.py)`")


def test_every_file_the_architecture_names_exists() -> None:
    named = set(NAMED.findall(DOC.read_text(encoding="utf-8")))
    assert len(named) >= 30, sorted(named)
    missing = sorted(path for path in named if not (ROOT / path).is_file())
    assert not missing, f"docs/architecture.md names files that do not exist: {missing}"


def test_every_use_case_of_the_core_is_named() -> None:
    text = DOC.read_text(encoding="utf-8")
    services = sorted((ROOT / "src" / "entsoe_core" / "services").glob("*.py"))
    unnamed = [
        path.name
        for path in services
        if path.name != "__init__.py" and f"`src/entsoe_core/services/{path.name}`" not in text
    ]
    assert not unnamed, f"services missing from docs/architecture.md: {unnamed}"
