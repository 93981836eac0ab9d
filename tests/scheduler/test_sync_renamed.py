"""C15: the source changes its id scheme — every key gains a prefix — so a harvest sees ten new
courses and ten absent ones. The guard holds the old ones back, `moocx review` says they look
renamed and what to do, the exports and the exchange list each course once (under its new key)
while the old rows stay in the catalog, and `moocx sync --accept-withdrawals FEED` withdraws
them — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import responses
from sqlalchemy import create_engine, text

from scheduler.cli import run
from tests.support import openedx_feed as feed

CONFIG = """
[catalog]
url = "{catalog_url}"

[[institutions]]
id = "vnu"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[institutions]]
id = "tsinghua"
names = {{ zh = "清华大学" }}

[[feeds]]
id = "vnu"
institution = "vnu"
connector = "openedx"
base_url = "{base}"

[feeds.options]
page_size = 20

[[exchange]]
id = "vnu-to-tsinghua"
from = "vnu"
to = "tsinghua"

[[exports]]
format = "json"
path = "out/catalog.json"

[[exports]]
format = "csv"
path = "out/offers-tsinghua.csv"
audience = "tsinghua"

[[exports]]
format = "site"
path = "out/site-tsinghua"
audience = "tsinghua"
"""
TITLES = [f"Khóa học số {i}" for i in range(10)]
OLD = [feed.run(f"C{i:02d}", TITLES[i]) for i in range(10)]
#: The same courses after the platform's migration: every course number gained "V2_".
NEW = [feed.run(f"V2_C{i:02d}", TITLES[i]) for i in range(10)]
OLD_KEYS = [f"VNUx+C{i:02d}" for i in range(10)]
NEW_KEYS = [f"VNUx+V2_C{i:02d}" for i in range(10)]


def moocx(config: Path, *args: str) -> int:
    return run(["--config", str(config), *args])


def sync_from(config: Path, runs: list[dict[str, Any]], *args: str) -> int:
    with responses.RequestsMock() as mock:
        for url, body in feed.pages(runs, 20):
            mock.get(url, json=body)
        return moocx(config, "sync", "--quiet", *args)


def statuses(url: str) -> dict[str, str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = dict(conn.execute(text("SELECT key, status FROM courses")).all())
    engine.dispose()
    return found


def offered(url: str) -> list[str]:
    """The keys of the courses the exchange offers (to anyone)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        keys = conn.execute(
            text("SELECT DISTINCT c.key FROM offers o JOIN courses c ON c.id = o.course_id")
        ).scalars()
        found = sorted(keys)
    engine.dispose()
    return found


def exported(tmp_path: Path, config: Path) -> dict[str, list[str]]:
    """The course keys each export lists (``moocx export --all``), and the site's page count."""
    assert moocx(config, "export", "--all") == 0
    out = tmp_path / "out"
    document = json.loads((out / "catalog.json").read_text("utf-8"))
    rows = list(csv.DictReader(io.StringIO((out / "offers-tsinghua.csv").read_text("utf-8-sig"))))
    return {
        "json": sorted(c["key"] for c in document["courses"] if c["status"] == "active"),
        "json withdrawn": sorted(c["key"] for c in document["courses"] if c["status"] != "active"),
        "csv": sorted(r["course_id"].split(":", 1)[1] for r in rows),
        "site": sorted(p.stem for p in (out / "site-tsinghua" / "courses").glob("*.html")),
    }


def test_a_source_that_renames_every_key_is_explained_and_listed_once(
    tmp_path: Path, catalog_url: str, capsys
) -> None:
    """C15: sync, the source renames every key, sync again → review explains, JSON / CSV / site
    and the exchange list each course once; --accept-withdrawals withdraws the old keys."""
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(catalog_url=catalog_url, base=feed.BASE), "utf-8")
    assert sync_from(config, OLD) == 0
    before = exported(tmp_path, config)
    assert before["json"] == before["csv"] == sorted(OLD_KEYS) and len(before["site"]) == 10

    capsys.readouterr()
    assert sync_from(config, NEW) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "new 10 · " in out and "held 10" in out
    assert "10 of 20 active courses would be withdrawn" in out
    assert set(statuses(catalog_url).values()) == {"active"}  # all 20 kept

    assert moocx(config, "review") == 0
    review = capsys.readouterr().out
    flat = " ".join(review.split())
    assert "10 of the 10 held courses reappear under new keys" in flat
    assert "the source probably changed its id scheme" in flat
    assert "moocx sync --accept-withdrawals vnu" in flat
    assert "VNUx+C03  renamed" in review and f"{TITLES[3]}  → VNUx+V2_C03" in review
    assert moocx(config, "review", "--json") == 0
    [doc] = json.loads(capsys.readouterr().out)["feeds"]
    assert doc["held"]["renamed"] == 10
    assert {c["key"]: c["renamed_to"] for c in doc["held"]["courses"]} == dict(
        zip(OLD_KEYS, NEW_KEYS, strict=True)
    )

    during = exported(tmp_path, config)  # each course once, under its new key
    assert during["json"] == during["csv"] == sorted(NEW_KEYS)
    assert during["json withdrawn"] == [] and len(during["site"]) == 10
    assert during["site"] != before["site"]  # the pages are the new keys'
    assert offered(catalog_url) == sorted(NEW_KEYS)  # the exchange offers each course once
    capsys.readouterr()
    assert moocx(config, "search", "Khóa học số 0", "--json") == 0  # and search finds it once
    hits = [json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()]
    assert [h.split(":", 1)[1] for h in hits if h.endswith("C00")] == [NEW_KEYS[0]]

    assert sync_from(config, NEW, "--accept-withdrawals", "vnu") == 0
    now = statuses(catalog_url)
    assert [k for k in OLD_KEYS if now[k] == "withdrawn"] == OLD_KEYS
    assert [k for k in NEW_KEYS if now[k] == "active"] == NEW_KEYS
    capsys.readouterr()
    assert moocx(config, "review") == 0
    assert "nothing to review" in capsys.readouterr().out
    after = exported(tmp_path, config)
    assert after["json"] == after["csv"] == sorted(NEW_KEYS) and after["site"] == during["site"]
    assert after["json withdrawn"] == sorted(OLD_KEYS)  # kept, marked withdrawn, as ever


def test_a_held_course_that_only_vanished_is_not_called_renamed(
    tmp_path: Path, catalog_url: str, capsys
) -> None:
    """The other side of C15: three courses gone and nothing new — held (30 % > 20 %), listed
    in the exports until the admin decides, and review says nothing about renames."""
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(catalog_url=catalog_url, base=feed.BASE), "utf-8")
    assert sync_from(config, OLD) == 0
    assert sync_from(config, OLD[:7]) == 0
    capsys.readouterr()
    assert moocx(config, "review") == 0
    review = capsys.readouterr().out
    assert "held 3 withdrawals back" in review and "reappear under new keys" not in review
    assert "VNUx+C09  absent" in review
    assert exported(tmp_path, config)["json"] == sorted(OLD_KEYS)
