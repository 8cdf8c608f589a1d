"""Alembic environment: runs the migrations on a connection handed in by ``migrate``.

``adapters.sqlalchemy.migrate`` opens the async engine and passes a synchronous connection
through ``config.attributes["connection"]``; the ``alembic`` command line is not needed.
"""

from __future__ import annotations

from alembic import context

from adapters.sqlalchemy.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run the migrations with `entsoe db upgrade` (adapters.sqlalchemy.migrate.upgrade)"
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
