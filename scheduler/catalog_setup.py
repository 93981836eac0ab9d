"""The catalog opened as the config describes it: engine, schema current, institutions and feeds
registered.

Apart from :mod:`scheduler.sync` so that the commands that only read the catalog (exports,
search, ``course``, ``exchange``, health) open it without loading the connectors and the ingest.
"""

from __future__ import annotations

from sqlalchemy import Engine

from catalog.store import harvests, schema
from catalog.store.db import make_engine
from scheduler import stored_secrets
from scheduler.config import Config

__all__ = ["open_catalog"]


def open_catalog(config: Config) -> Engine:
    """The catalog engine, its schema current, its institutions and feeds as configured."""
    engine = make_engine(config.catalog_url)
    schema.ensure_current(engine)
    harvests.register(
        engine,
        [
            harvests.InstitutionInfo(
                id=i.id,
                names=i.names.model_dump(exclude_none=True),
                country=i.country,
                timezone=i.timezone,
                language=i.reading_language,
            )
            for i in config.institutions
        ],
        [
            harvests.FeedInfo(
                id=f.id,
                institution=f.institution,
                connector=f.connector,
                base_url=stored_secrets.for_feed(config, f.id).hide(f.base_url),
            )
            for f in config.feeds
        ],
    )
    return engine
