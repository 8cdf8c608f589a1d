"""What the handlers are given: the application, the background runs, the source's state."""

from __future__ import annotations

import attrs
from litestar.datastructures import State

from entrypoints.bootstrap import Application
from entrypoints.http_api.problems import SourceUnavailable
from entrypoints.http_api.runs import BackgroundRuns

__all__ = ["Runtime", "runtime"]


@attrs.frozen
class Runtime:
    """One server lifetime's application, and why it cannot fetch, if it cannot."""

    application: Application
    runs: BackgroundRuns
    source_problem: str | None = None

    def require_source(self) -> None:
        """Refuse to start work that nothing could fetch."""
        if self.source_problem is not None:
            raise SourceUnavailable(
                f"this server cannot fetch: {self.source_problem}; restart it with a working "
                "source to start or resume backfills (reading routes work meanwhile)"
            )


def runtime(state: State) -> Runtime:
    """The dependency handlers ask for as ``runtime``."""
    found = state.get("runtime")
    if not isinstance(found, Runtime):
        raise RuntimeError("the HTTP API was used outside its lifespan")
    return found
