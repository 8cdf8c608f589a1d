"""The ENTSO-E code lists the core ships, generated from the shared ``codes.csv``.

``python -m entrypoints.code_table CODES_CSV`` writes :mod:`entsoe_core._code_table`, the pure
data behind :mod:`entsoe_core.names`; a test keeps the two in step.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable
from pathlib import Path

__all__ = ["CODE_LISTS", "TARGET", "module_text"]

CODE_LISTS = ("psr_type", "business_type", "document_type", "process_type")
"""The lists copied, in this order; rows of any other list in the CSV are refused."""

TARGET = Path(__file__).resolve().parents[1] / "entsoe_core" / "_code_table.py"


def module_text(rows: Iterable[dict[str, str]]) -> str:
    """The module: one tuple of (list, code, meaning) rows, in the CSV's order."""
    lines = [
        '"""ENTSO-E code lists: (list, code, meaning).',
        "",
        "Generated from codes.csv by ``python -m entrypoints.code_table``; do not edit.",
        '"""',
        "",
        "CODE_ROWS: tuple[tuple[str, str, str], ...] = (",
    ]
    for row in rows:
        if row["code_list"] not in CODE_LISTS:
            raise ValueError(
                f"unknown code list {row['code_list']!r}; one of {', '.join(CODE_LISTS)}"
            )
        fields = ", ".join(json.dumps(row[name]) for name in ("code_list", "code", "meaning"))
        lines.append(f"    ({fields}),")
    lines.append(")")
    return "\n".join(lines) + "\n"


def main(codes_csv: Path) -> None:
    with codes_csv.open(encoding="utf-8", newline="") as source:
        TARGET.write_text(module_text(csv.DictReader(source)), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
