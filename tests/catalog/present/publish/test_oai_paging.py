"""ListRecords / ListIdentifiers across resumption tokens: every record exactly once whatever
the page size, no token on the last page, tokens signed and stateless, and a sync writing
between two pages neither repeats nor skips a record of the harvest."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from catalog.present.publish.oai_tokens import decode
from tests.catalog.present.publish.oai_catalog import (
    NOW,
    ask,
    course,
    errors,
    harvest,
    harvest_all,
    identifiers,
    minutes,
    new_catalog,
    settings,
    token,
)

N = 12


def _subjects(i: int) -> tuple[str, ...]:
    return ("Mathematics",) if i % 3 == 0 else ("Computer Science",)


def _fill(engine: Engine) -> list[str]:
    """N courses: each sync adds one (the others unchanged), two syncs a minute apart, so some
    courses share a datestamp second and the keyset's tie-break on the key is exercised."""
    keys = [f"UETx+C{i:02d}" for i in range(N)]
    records = [course(k, subjects=_subjects(i)) for i, k in enumerate(keys)]
    for i in range(N):
        harvest(engine, "vnu", records[: i + 1], minutes(i // 2))
    return keys


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    path: Path = tmp_path_factory.mktemp("paging") / "catalog.db"
    engine = new_catalog(f"sqlite:///{path}")
    _fill(engine)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("page_size", [1, 3, 4, 5, 7, 11, 12, 13, 200])
@pytest.mark.parametrize("verb", ["ListRecords", "ListIdentifiers"])
def test_every_record_once_across_tokens(catalog: Engine, page_size: int, verb: str) -> None:
    pages = list(harvest_all(catalog, settings(page_size=page_size), verb))
    listed = [i for body in pages for i in identifiers(body)]
    assert len(listed) == N and len(set(listed)) == N
    assert len(pages) == -(-N // page_size)
    tokens = [token(body) for body in pages]
    if len(pages) == 1:
        assert tokens == [None]  # the whole list on its first page: no token at all
        return
    for number, found in enumerate(tokens):
        assert found is not None
        assert found.get("completeListSize") == str(N)
        assert found.get("cursor") == str(number * page_size)
    assert all(t.text for t in tokens[:-1])
    last = tokens[-1]
    assert not last.text and last.get("expirationDate") is None  # empty, even when N % size == 0


def test_token_expiry_is_the_configured_lifetime(catalog: Engine) -> None:
    found = token(ask(catalog, settings(), verb="ListRecords", metadataPrefix="oai_dc"))
    assert found.get("expirationDate") == "2026-12-05T09:30:15Z"  # two days, at least 24 h
    later = NOW + timedelta(days=2, seconds=1)
    expired = ask(catalog, settings(), now=later, verb="ListRecords", resumptionToken=found.text)
    assert errors(expired) == ["badResumptionToken"]
    fine = ask(
        catalog,
        settings(),
        now=NOW + timedelta(days=1),
        verb="ListRecords",
        resumptionToken=found.text,
    )
    assert errors(fine) == []


def test_reissuing_a_token_gives_the_same_page(catalog: Engine) -> None:
    first = ask(catalog, settings(), verb="ListRecords", metadataPrefix="lom")
    again = [
        ask(catalog, settings(), verb="ListRecords", resumptionToken=token(first).text)
        for _ in "ab"
    ]
    assert identifiers(again[0]) == identifiers(again[1]) and len(identifiers(again[0])) == 3
    assert again[0] == again[1]
    assert b"<lom " in again[0]  # the format travels in the token


def _forged(payload: object, key: bytes = b"node-a-key") -> str:
    text = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    mac = hmac.new(key, text.encode(), hashlib.sha256).digest()
    return f"{text}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def test_tampered_truncated_foreign_and_malformed_tokens_are_bad(catalog: Engine) -> None:
    good = token(ask(catalog, settings(), verb="ListIdentifiers", metadataPrefix="oai_dc")).text
    payload, signature = good.split(".")
    fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    fields[5] = 0  # the cursor, re-encoded without the key
    other = token(
        ask(
            catalog,
            settings(token_key=b"node-b-key"),
            verb="ListIdentifiers",
            metadataPrefix="oai_dc",
        )
    ).text
    bad = [
        good[:-1],
        good[:20],
        payload,
        f"{payload}.{signature[::-1]}",
        base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")
        + "."
        + signature,
        other,
        "." * 10,
        "é.é",
        _forged([1, 2, 3]),
        _forged(["oai_dc", None, None, "x", [1, "a", "b"], 0, 1, 2**40]),
        _forged(["oai_dc", None, None, 1, [1, "a", "b"], 0, 1, 2**62]),
        _forged(["marc21", None, None, 1, [1, "a", "b"], 0, 1, 2**40]),
        _forged({"a": 1}),
        "x" + good,
    ]
    for value in bad:
        body = ask(catalog, settings(), verb="ListIdentifiers", resumptionToken=value)
        assert errors(body) == ["badResumptionToken"], value
    assert (
        decode(
            _forged(["oai_dc", None, None, 10**30, [1, "a", "b"], 0, 1, 2**40]),
            b"node-a-key",
            now=NOW,
        )
        is None
    )


def test_sets_filter_the_listing(catalog: Engine) -> None:
    def listed(spec: str) -> list[str]:
        return [i for body in harvest_all(catalog, settings(), set=spec) for i in identifiers(body)]

    maths = listed("isced:05")
    assert len(maths) == 4 and all(int(i[-2:]) % 3 == 0 for i in maths)
    assert len(listed("isced:06")) == 8
    assert len(listed("isced")) == N and len(listed("institution")) == N
    assert len(listed("institution:vnu")) == N


def test_a_sync_between_pages_neither_repeats_nor_skips(tmp_path: Path) -> None:
    engine = new_catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    keys = _fill(engine)
    publish = settings(page_size=4)
    start = minutes(60)
    first = ask(engine, publish, now=start, verb="ListIdentifiers", metadataPrefix="oai_dc")
    delivered = identifiers(first)
    # A sync changes a delivered course and one not delivered yet, and adds a new one.
    changed = [
        course(
            k,
            title="Đổi tên" if k in (keys[0], keys[7]) else course(k).title,
            subjects=_subjects(i),
        )
        for i, k in enumerate(keys)
    ]
    harvest(engine, "vnu", [*changed, course("UETx+NEW")], minutes(61))
    next_token = token(first).text
    while next_token:
        body = ask(
            engine, publish, now=minutes(62), verb="ListIdentifiers", resumptionToken=next_token
        )
        delivered += identifiers(body)
        next_token = token(body).text
    assert len(delivered) == len(set(delivered))
    short = {i.rsplit(":", 1)[1] for i in delivered}
    assert short == set(keys) - {keys[7]}  # every unchanged course; the changed one is later
    # The next incremental harvest, from the first one's responseDate, brings the rest.
    rest = ask(
        engine,
        publish,
        now=minutes(63),
        verb="ListIdentifiers",
        metadataPrefix="oai_dc",
        **{"from": "2026-03-02T09:00:00Z"},
    )
    assert {i.rsplit(":", 1)[1] for i in identifiers(rest)} == {keys[0], keys[7], "UETx+NEW"}


def test_listing_on_both_backends(catalog_url: str) -> None:
    engine = new_catalog(catalog_url)
    try:
        keys = _fill(engine)
        pages = list(
            harvest_all(engine, settings(page_size=4), "ListRecords", set="institution:vnu")
        )
        assert len(pages) == 3
        assert sorted(i.rsplit(":", 1)[1] for b in pages for i in identifiers(b)) == keys
        assert token(pages[-1]).get("cursor") == "8" and not token(pages[-1]).text
        days = ask(
            engine,
            settings(),
            verb="ListIdentifiers",
            metadataPrefix="lom",
            until="2026-03-02",
            set="isced:05",
        )
        assert identifiers(days)[:1] == [f"oai:mooc.vnu.edu.vn:vnu:{keys[0]}"]
    finally:
        engine.dispose()
