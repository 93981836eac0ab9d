"""Alembic environment: runs the shipped migrations on the engine the catalog opened.

On SQLite, foreign-key enforcement is switched off while migrating: a migration that rebuilds a
table (SQLite's way to alter most things) would otherwise fail to drop a table others point to.
It is switched back on, and ``PRAGMA foreign_key_check`` must come back clean. Concurrent
migrations (replicas starting together) are serialised by the write lock.
"""

from __future__ import annotations

from alembic import context

from catalog.store.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Must happen outside a transaction, so on the driver connection before SQLAlchemy begins.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Two replicas starting on a fresh catalog: one migrates, the other waits here and
            # then finds the schema current. (SQLite gets the same from BEGIN IMMEDIATE.)
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7305512)")
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
    connection.commit()
    if sqlite:
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
