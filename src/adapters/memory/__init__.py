"""In-memory adapters: the reference twin of the SQL adapters, used by unit tests."""

from adapters.memory.breaker import MemorySourceBreaker
from adapters.memory.database import MemoryDatabase
from adapters.memory.limits import MemoryDatasetLimits
from adapters.memory.progress import MemoryBackfillProgress
from adapters.memory.ratelimit import MemoryRateLimiter
from adapters.memory.store import MemoryEnergyStore
from adapters.memory.unit_of_work import MemoryUnitOfWork, MemoryUnitOfWorkFactory

__all__ = [
    "MemoryBackfillProgress",
    "MemoryDatabase",
    "MemoryDatasetLimits",
    "MemoryEnergyStore",
    "MemoryRateLimiter",
    "MemorySourceBreaker",
    "MemoryUnitOfWork",
    "MemoryUnitOfWorkFactory",
]
