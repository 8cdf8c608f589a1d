"""Alembic migrations of the entsoe-backfill schema, shipped with the package."""
