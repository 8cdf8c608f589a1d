"""Entry points: CLI, HTTP API, Python API, worker, emulator and the composition root.

``from entrypoints import open_store`` is the short path to the Python API
(:mod:`entrypoints.python_api`, docs/python.md). It is imported on first use, so that the CLI
and the servers run without pandas, the Python API's optional extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from entrypoints.python_api import Store, open_store

__all__ = ["Store", "open_store"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from entrypoints import python_api

        return getattr(python_api, name)
    raise AttributeError(f"module 'entrypoints' has no attribute {name!r}")
