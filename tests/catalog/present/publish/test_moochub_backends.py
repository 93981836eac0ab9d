"""MOOChub pages on both catalog backends (SQLite and PostgreSQL): the same pages, in the same
order, valid against the official schema, without withdrawn courses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest
from sqlalchemy import Engine, update

from catalog.derive.exchange import CreditSystem, ExchangeSettings, Rule, Term
from catalog.present.publish.moochub import moochub_response
from catalog.present.publish.settings import PublishSettings
from catalog.store import harvests
from catalog.store.ingest import Ingestor
from catalog.store.models import Course
from catalog.store.offers import rebuild
from connectors.records import CourseRecord, CourseRun, Page
from tests.catalog.present.publish.test_moochub import SCHEMA

START = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
NOW = datetime(2026, 2, 10, tzinfo=UTC)
SETTINGS = PublishSettings("node.example.org", "https://node.example.org", "Node", (), ("vnu",))


def _record(n: int) -> CourseRecord:
    runs = tuple(
        CourseRun(key=f"r{n}-{k}", start=START + timedelta(days=30 * k + n)) for k in range(n % 3)
    )
    return CourseRecord(
        key=f"UETx+C{n:03d}",
        title=f"Khóa học {n}",
        language="vi",
        organization="UETx",
        url=f"https://courses.vnu.edu.vn/courses/UETx+C{n:03d}/about" if n % 4 else None,
        effort="4 giờ mỗi tuần" if n % 2 else None,
        is_free=n % 2 == 0,
        runs=runs,
    )


@pytest.fixture
def published(engine: Engine) -> Engine:
    """25 VNU courses (5 withdrawn) offered to Tsinghua's students in one term."""
    harvests.register(
        engine,
        [harvests.InstitutionInfo("tsinghua", {"zh": "清华大学"}, "CN", "Asia/Shanghai")],
        [],
    )
    run_id = harvests.start_run(engine, "vnu")
    records = tuple(_record(n) for n in range(25))
    Ingestor(engine, "vnu", run_id).apply(
        Page(items=records, cursor=None, url="https://x/p1", number=1, last=True)
    )
    with engine.begin() as conn:
        keys = [f"UETx+C{n:03d}" for n in range(0, 25, 5)]
        conn.execute(update(Course).where(Course.key.in_(keys)).values(status="withdrawn"))
    term = Term("2026 HK2", datetime(2026, 2, 1).date(), datetime(2026, 3, 1).date(), 25)
    rebuild(
        engine,
        ExchangeSettings(
            rules=(Rule(id="to-thu", offering="vnu", audience="tsinghua", terms=(term,)),),
            credit_systems=(CreditSystem("tin_chi", 15), CreditSystem("xuefen", 16)),
            institution_systems={"vnu": "tin_chi", "tsinghua": "xuefen"},
            institution_zones={"vnu": "Asia/Ho_Chi_Minh"},
        ),
        now=NOW,
    )
    return engine


def pages(engine: Engine, size: int) -> list[dict[str, Any]]:
    found, number = [], 1
    with engine.connect() as conn:
        while True:
            args = {"page[number]": [str(number)], "page[size]": [str(size)]}
            response = moochub_response(conn, SETTINGS, args, accept=None, now=NOW)
            assert response.status == 200
            found.append(json.loads(response.body))
            if "next" not in found[-1]["links"]:
                return found
            number += 1


def test_pages_are_the_same_on_both_backends(published: Engine) -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    walked = pages(published, size=7)
    assert [len(page["data"]) for page in walked] == [7, 7, 6]
    for page in walked:
        assert not list(validator.iter_errors(page))
    ids = [item["id"] for page in walked for item in page["data"]]
    keys = [f"UETx+C{n:03d}" for n in range(25) if n % 5]
    assert ids == [f"oai:node.example.org:vnu:{key}" for key in keys]
    by_key = {
        item["id"].rsplit(":", 1)[1]: item["attributes"] for p in walked for item in p["data"]
    }
    assert by_key["UETx+C001"]["workload"] == {"timeValue": 4, "timeUnit": "h/week"}
    assert by_key["UETx+C004"]["url"].startswith("https://node.example.org/oai?verb=GetRecord&")
    assert by_key["UETx+C002"]["access"] == ["free"] and by_key["UETx+C003"]["access"] == ["paid"]
