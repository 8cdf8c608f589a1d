"""The README's table of datasets is the catalogue's, rendered by ``entrypoints.dataset_table``."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.dataset_table import BEGIN, END, markdown_table, with_table
from entsoe_core.datasets import DATASETS

README = Path(__file__).resolve().parents[2] / "README.md"
REFRESH = "python -m entrypoints.dataset_table (see docs/development.md)"


def test_the_readme_lists_every_dataset_of_the_catalogue_as_rendered() -> None:
    text = README.read_text(encoding="utf-8")
    block = text.partition(BEGIN)[2].partition(END)[0]
    assert block == "\n" + markdown_table(DATASETS), f"the README's table is stale: run {REFRESH}"


def test_the_table_has_a_row_per_dataset_with_what_the_catalogue_says() -> None:
    rows = markdown_table(DATASETS).splitlines()[2:]
    assert len(rows) == len(DATASETS)
    for row, dataset in zip(rows, DATASETS, strict=True):
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[0] == f"`{dataset.key}`"
        assert cells[1] == dataset.title
        assert cells[2].startswith(dataset.document_type)
        assert dataset.domain.value in cells[3]
        assert ("border" in cells[3]) == dataset.is_border
        assert cells[4] == ", ".join(dataset.resolutions)
        assert cells[5] == str(dataset.max_request_span)
        days = dataset.publication_horizon.days
        assert cells[6] == {0: "no", 1: "1 day"}.get(days, f"{days} days")
        assert cells[7] == dataset.unit


def test_the_table_replaces_what_stands_between_the_markers_only() -> None:
    text = f"before\n{BEGIN}\nold table\n{END}\nafter\n"
    assert with_table(text, "new\n") == f"before\n{BEGIN}\nnew\n{END}\nafter\n"
    with pytest.raises(ValueError, match="markers"):
        with_table("no markers here", "new\n")
