"""The node's own secrets, kept in the catalog so that every process on it shares them.

``moocx web`` signs its OAI-PMH resumption tokens with :data:`TOKENS`: several services behind
one load balancer, on one catalog, then accept each other's tokens, and a restart keeps the
tokens harvesters hold valid. The key is made once, at random, by the first process that asks;
two asking at once keep whichever was written first.
"""

from __future__ import annotations

import secrets

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from catalog.store import tables

#: The key that signs resumption tokens.
TOKENS = "publish_tokens"


def node_secret(engine: Engine, name: str = TOKENS) -> bytes:
    """The secret ``name``, made and stored on first use (one short write transaction)."""
    found = _read(engine, name)
    if found is not None:
        return found
    try:
        with engine.begin() as conn:
            conn.execute(
                tables.node_secrets.insert().values(name=name, secret=secrets.token_hex(32))
            )
    except IntegrityError:  # another process wrote it first: use theirs
        pass
    found = _read(engine, name)
    assert found is not None
    return found


def _read(engine: Engine, name: str) -> bytes | None:
    s = tables.node_secrets.c
    with engine.connect() as conn:
        value = conn.execute(select(s.secret).where(s.name == name)).scalar_one_or_none()
    return None if value is None else bytes.fromhex(value)
