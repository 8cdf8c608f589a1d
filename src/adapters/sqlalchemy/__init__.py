"""SQL adapters on async SQLAlchemy Core: SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from adapters.sqlalchemy.breaker import SqlSourceBreaker
from adapters.sqlalchemy.engine import DEFAULT_DATABASE_URL, create_engine, database_url
from adapters.sqlalchemy.limits import SqlDatasetLimits
from adapters.sqlalchemy.migrate import upgrade
from adapters.sqlalchemy.progress import SqlBackfillProgress
from adapters.sqlalchemy.ratelimit import SqlRateLimiter
from adapters.sqlalchemy.store import SqlEnergyStore
from adapters.sqlalchemy.unit_of_work import SchemaGate, SqlUnitOfWork, SqlUnitOfWorkFactory

__all__ = [
    "DEFAULT_DATABASE_URL",
    "SchemaGate",
    "SqlBackfillProgress",
    "SqlDatasetLimits",
    "SqlEnergyStore",
    "SqlRateLimiter",
    "SqlSourceBreaker",
    "SqlUnitOfWork",
    "SqlUnitOfWorkFactory",
    "create_engine",
    "database_url",
    "upgrade",
]
