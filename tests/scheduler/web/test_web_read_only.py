"""The service can never write, and on SQLite a sync writing never blocks it, nor it a sync."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from sqlalchemy import Engine, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from catalog.store import tables
from catalog.store.db import make_engine, read_only
from tests.scheduler.web.conftest import Node


def test_a_read_only_engine_refuses_every_write(engine: Engine, catalog_url: str) -> None:
    reader = make_engine(catalog_url, read_only=True)
    try:
        with read_only(reader) as conn:
            assert conn.execute(select(tables.feeds.c.id)).scalars().all() == ["vnu"]
        writes = [
            update(tables.feeds).values(base_url="https://evil.example"),
            insert(tables.node_secrets).values(name="x", secret="00"),
            text("DELETE FROM feeds"),
        ]
        for statement in writes:
            with pytest.raises(DBAPIError), reader.begin() as conn:  # in and outside read_only()
                conn.execute(statement)
            with pytest.raises(DBAPIError), read_only(reader) as conn:
                conn.execute(statement)
    finally:
        reader.dispose()
    with engine.connect() as conn:
        assert conn.execute(select(tables.feeds.c.base_url)).scalar_one() == (
            "https://courses.vnu.edu.vn"
        )


def test_a_sync_holding_the_write_lock_never_blocks_a_reader(node: Node) -> None:
    writer = make_engine(node.catalog_url, busy_timeout_ms=2000)
    with writer.begin() as conn:  # BEGIN IMMEDIATE: the write lock, as a sync's page commit
        conn.execute(update(tables.feeds).values(needs_review=False))
        started = time.monotonic()
        for path in ("/healthz", "/exchange/vnu.json", "/metrics", "/oai?verb=Identify"):
            response = requests.get(node.url + path, timeout=10)
            assert response.status_code in (200, 503 if path.startswith("/oai") else 200), path
        assert time.monotonic() - started < 2  # never waited for the writer's lock
    writer.dispose()


def test_a_reader_streaming_never_blocks_a_sync(node: Node) -> None:
    """A harvester reading the exchange slowly holds a read transaction open; a sync commits
    beside it, and the reader still gets the one state it started with."""
    with requests.get(f"{node.url}/exchange/tsinghua.json", stream=True, timeout=10) as response:
        chunks = response.iter_content(1024)
        first = next(chunks)  # the read transaction is open now
        writer = make_engine(node.catalog_url, busy_timeout_ms=2000)
        done = threading.Event()

        def sync_commits() -> None:
            with writer.begin() as conn:
                conn.execute(update(tables.courses).values(title="changed by the sync"))
            done.set()

        thread = threading.Thread(target=sync_commits)
        thread.start()
        thread.join(5)
        assert done.is_set(), "the sync waited for the reader"
        body = first + b"".join(chunks)
        writer.dispose()
    assert b"changed by the sync" not in body  # one snapshot, from its first read
    assert body.rstrip().endswith(b"]}")


def test_a_client_going_away_mid_stream_ends_its_read_transaction(node: Node) -> None:
    """However far waitress got in buffering the streamed body before the client left (it may
    have read it all already: the check that one connection was still out raced with that), the
    read transaction ends once the client has gone."""
    response = requests.get(f"{node.url}/exchange/tsinghua.json", stream=True, timeout=10)
    next(response.iter_content(1024))  # more chunks are still to come
    response.close()
    deadline = time.monotonic() + 5
    while node.engine.pool.checkedout() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert node.engine.pool.checkedout() == 0
