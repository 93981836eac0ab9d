"""Config mistakes an admin makes, caught before anything runs: `moocx feeds` on a config.toml
with the mistake exits 2 and prints exactly one line for it, naming the key path and the id of
the feed, rule or institution it is in, and what to write instead (the keys, ids, tags or
schedules that are known).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler import cli
from scheduler.config import ENV_CONFIG, load_config
from scheduler.cron import cron_trigger
from scheduler.langtags import is_language_tag

CONFIG = """\
[catalog]
url = "sqlite:///catalog.db"

[service]
timezone = "Asia/Ho_Chi_Minh"

[[credit_systems]]
id = "tin_chi"
hours_per_credit = 15

[[credit_systems]]
id = "xuefen"
hours_per_credit = 16

[[institutions]]
id = "vnu"
country = "VN"
timezone = "Asia/Ho_Chi_Minh"
credit_system = "tin_chi"
names = { vi = "Đại học Quốc gia Hà Nội" }

[[institutions]]
id = "thu"
country = "CN"
timezone = "Asia/Shanghai"
credit_system = "xuefen"
names = { zh = "清华大学" }

[[institutions]]
id = "hou"
country = "VN"
names = { vi = "Trường Đại học Mở Hà Nội" }

[[feeds]]
id = "vnu-openedx"
institution = "vnu"
connector = "openedx"
base_url = "https://courses.vnu.edu.vn"
schedule = "0 2 * * *"

[feeds.options]
page_size = 50
language = "vi"

[feeds.auth]
client_id = "moocx-harvester"
client_secret = "${VNU_SECRET}"

[[feeds]]
id = "thu-xuetangx"
institution = "thu"
connector = "xuetangx"
base_url = "https://www.xuetangx.com"
schedule = "30 2 * * *"

[feeds.options]
language = "zh"

[[feeds]]
id = "hou-oai"
institution = "hou"
connector = "oaipmh"
base_url = "https://oai.hou.edu.vn/oai/request"
schedule = "15 3 * * *"

[feeds.http]
min_interval = 0.5

[[exchange]]
id = "thu-to-vnu"
from = "thu"
to = "vnu"
notes = { vi = "Nộp hồ sơ qua Phòng Hợp tác", zh = "请通过国际处申请" }

[exchange.include]
languages = ["zh", "en"]

[[exchange]]
id = "vnu-to-thu"
from = "vnu"
to = "thu"
default_credits = 3

[exchange.include]
languages = ["vi", "en"]

[exchange.exclude]
organizations = ["VJUx"]

[[exchange.terms]]
name = "2025-2026 HK2"
application_start = 2026-01-05
application_end = 2026-02-15
seats = 40
runs_starting_from = 2026-01-01
runs_starting_until = 2026-06-30

[[exports]]
format = "site"
path = "site-vnu"
audience = "vnu"
"""


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def moocx_feeds(
    tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[str]]:
    """`moocx --config … feeds`: its exit code and the error lines under the header."""
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    code = cli.run(["--config", str(path), "feeds"])
    out, err = capsys.readouterr()
    lines = err.splitlines()
    if code == 2:
        assert out == ""
        assert lines[0].startswith(f"{path}: "), err
        assert lines[0].endswith(" in the config:"), err
    return code, [line.strip() for line in lines[1:]]


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_CONFIG, raising=False)
    monkeypatch.delenv("VNU_SECRET", raising=False)  # `moocx feeds` does not need it


def test_the_base_config_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = moocx_feeds(tmp_path, CONFIG, capsys)
    assert code == 0, lines


LANGUAGE_HINT = "use a BCP 47 tag such as vi, zh-Hans, en-US"
THU_TERM = "exchange[1] (vnu-to-thu).terms[0]"
UNDER_HEADER = "(in TOML, the keys after a header belong to that table)"

MISTAKES = [
    # -- the same id twice ---------------------------------------------------------------------
    pytest.param(
        ('id = "thu-to-vnu"', 'id = "vnu-to-thu"'),
        "exchange[1] (vnu-to-thu).id: 'vnu-to-thu' is already used by exchange[0]",
        id="rule-id-used-twice",
    ),
    pytest.param(
        ('id = "hou-oai"', 'id = "thu-xuetangx"'),
        "feeds[2] (thu-xuetangx).id: 'thu-xuetangx' is already used by feeds[1]",
        id="feed-id-used-twice",
    ),
    pytest.param(
        ('id = "xuefen"', 'id = "tin_chi"'),
        [
            "credit_systems[1] (tin_chi).id: 'tin_chi' is already used by credit_systems[0]",
            "institutions[1] (thu).credit_system: unknown credit system 'xuefen'; "
            "[[credit_systems]] ids: tin_chi",
        ],
        id="credit-system-id-used-twice",
    ),
    # -- rules that cannot mean what they say --------------------------------------------------
    pytest.param(
        ('from = "thu"\nto = "vnu"', 'from = "thu"\nto = "thu"'),
        "exchange[0] (thu-to-vnu).to: 'thu' is also the rule's from; a rule opens one "
        "institution's courses to another institution's students",
        id="rule-from-equals-to",
    ),
    pytest.param(
        ("application_end = 2026-02-15", "application_end = 2025-12-31"),
        f"{THU_TERM}.application_end: 2025-12-31 is before application_start 2026-01-05; "
        "the window must end on or after the day it starts",
        id="application-ends-before-it-starts",
    ),
    pytest.param(
        ("runs_starting_until = 2026-06-30", 'runs_starting_until = "2025-06-30"'),
        f"{THU_TERM}.runs_starting_until: 2025-06-30 is before runs_starting_from 2026-01-01; "
        "the window must end on or after the day it starts",
        id="run-window-ends-before-it-starts",
    ),
    # -- languages that are not BCP 47 tags ----------------------------------------------------
    pytest.param(
        ('languages = ["vi", "en"]', 'languages = ["Vietnamese", "en"]'),
        "exchange[1] (vnu-to-thu).include.languages[0]: 'Vietnamese' is not a BCP 47 language "
        f"tag (did you mean 'vi'?); {LANGUAGE_HINT}",
        id="rule-language-name",
    ),
    pytest.param(
        ('organizations = ["VJUx"]', 'languages = ["vi_VN"]'),
        "exchange[1] (vnu-to-thu).exclude.languages[0]: 'vi_VN' is not a BCP 47 language tag "
        f"(did you mean 'vi-VN'?); {LANGUAGE_HINT}",
        id="rule-language-underscore",
    ),
    pytest.param(
        ('language = "vi"', 'language = "english"'),
        "feeds[0] (vnu-openedx).options.language: 'english' is not a BCP 47 language tag "
        f"(did you mean 'en'?); {LANGUAGE_HINT}",
        id="connector-option-language",
    ),
    pytest.param(
        ("[feeds.http]\nmin_interval = 0.5", '[feeds.options]\nlanguage = "Tiếng Việt"'),
        "feeds[2] (hou-oai).options.language: 'Tiếng Việt' is not a BCP 47 language tag "
        f"(did you mean 'vi'?); {LANGUAGE_HINT}",
        id="oaipmh-option-language",
    ),
    # -- authentication a connector does not take ---------------------------------------------
    pytest.param(
        (
            "[feeds.http]\nmin_interval = 0.5",
            '[feeds.auth]\nclient_id = "moocx"\nclient_secret = "${HOU_SECRET}"',
        ),
        "feeds[2] (hou-oai).auth: the oaipmh connector takes no authentication; remove "
        "[feeds.auth] (connectors that take it: discovery, openedx)",
        id="auth-on-oaipmh",
    ),
    # -- schedules -----------------------------------------------------------------------------
    pytest.param(
        ('schedule = "15 3 * * *"', 'schedule = "@reboot"'),
        "feeds[2] (hou-oai).schedule: @reboot is not supported: moocx serve runs feeds on a "
        "clock, not at boot; give a schedule such as @daily (to sync at boot, put `moocx sync` "
        "in a @reboot crontab line)",
        id="reboot",
    ),
    pytest.param(
        ('schedule = "15 3 * * *"', 'schedule = "@dayly"'),
        "feeds[2] (hou-oai).schedule: unknown shorthand @dayly (did you mean @daily?); crontab "
        "knows @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly",
        id="shorthand-typo",
    ),
    pytest.param(
        ('schedule = "15 3 * * *"', 'schedule = "15 27 * * *"'),
        'feeds[2] (hou-oai).schedule: "15 27 * * *" is not a cron expression: Error validating '
        "expression '27': the last value (27) is higher than the maximum value (23)",
        id="hour-27",
    ),
    # -- unknown keys, at every level ----------------------------------------------------------
    pytest.param(
        ('[service]\ntimezone = "Asia/Ho_Chi_Minh"', '[servce]\ntimezone = "Asia/Ho_Chi_Minh"'),
        "servce: unknown key (did you mean 'service'?)",
        id="top-level-section",
    ),
    pytest.param(
        ("[catalog]\n", "harvest_everything = true\n[catalog]\n"),
        "harvest_everything: unknown key; known keys: catalog, http, sync, service, exports, "
        "credit_systems, credits, exchange, subjects, institutions, feeds, publish, web",
        id="top-level-key-nothing-close",
    ),
    pytest.param(
        ('timezone = "Asia/Ho_Chi_Minh"\n\n[[credit', 'time_zone = "Asia/Ho_Chi_Minh"\n\n[[credit'),
        "service.time_zone: unknown key (did you mean 'timezone'?)",
        id="service",
    ),
    pytest.param(
        ('url = "sqlite:///catalog.db"', 'url = "sqlite:///catalog.db"\n[sync]\nlease_tl = "5m"'),
        "sync.lease_tl: unknown key (did you mean 'lease_ttl'?)",
        id="sync",
    ),
    pytest.param(
        ('url = "sqlite:///catalog.db"', 'url = "sqlite:///catalog.db"\n[http]\nread_timout = 5'),
        "http.read_timout: unknown key (did you mean 'read_timeout'?)",
        id="http",
    ),
    pytest.param(
        ('url = "sqlite:///catalog.db"', 'uri = "sqlite:///catalog.db"'),
        "catalog.uri: unknown key (did you mean 'url'?)",
        id="catalog",
    ),
    pytest.param(
        ("hours_per_credit = 16", "hours_per_credit = 16\nname = { zh = '学分' }"),
        "credit_systems[1] (xuefen).name: unknown key (did you mean 'names'?)",
        id="credit-systems",
    ),
    pytest.param(
        ('credit_system = "xuefen"', 'credit_sytem = "xuefen"'),
        "institutions[1] (thu).credit_sytem: unknown key (did you mean 'credit_system'?)",
        id="institutions",
    ),
    pytest.param(
        ('names = { zh = "清华大学" }', 'names = { zh = "清华大学", fr = "Tsinghua" }'),
        "institutions[1] (thu).names.fr: unknown key; known keys: vi, zh, en",
        id="institution-names",
    ),
    pytest.param(
        ('schedule = "0 2 * * *"', 'shedule = "0 2 * * *"'),
        "feeds[0] (vnu-openedx).shedule: unknown key (did you mean 'schedule'?)",
        id="feeds",
    ),
    pytest.param(
        ("page_size = 50", "pagesize = 50"),
        "feeds[0] (vnu-openedx).options.pagesize: unknown option (did you mean 'page_size'?); "
        "this connector takes: page_size, org, include_hidden, include_invitation_only, "
        "language, max_pages, include_ccx",
        id="feed-options",
    ),
    pytest.param(
        ("min_interval = 0.5", "min_intervall = 0.5"),
        "feeds[2] (hou-oai).http.min_intervall: unknown key (did you mean 'min_interval'?)",
        id="feed-http",
    ),
    pytest.param(
        ('client_id = "moocx-harvester"', 'client_id = "moocx-harvester"\ntoken_typ = "jwt"'),
        "feeds[0] (vnu-openedx).auth.token_typ: unknown key (did you mean 'token_type'?)",
        id="feed-auth",
    ),
    pytest.param(
        ("default_credits = 3", "default_credit = 3"),
        "exchange[1] (vnu-to-thu).default_credit: unknown key (did you mean 'default_credits'?)",
        id="exchange",
    ),
    pytest.param(
        ('languages = ["vi", "en"]', 'language = ["vi", "en"]'),
        "exchange[1] (vnu-to-thu).include.language: unknown key (did you mean 'languages'?)",
        id="exchange-include",
    ),
    pytest.param(
        ('organizations = ["VJUx"]', 'organisations = ["VJUx"]'),
        "exchange[1] (vnu-to-thu).exclude.organisations: unknown key "
        "(did you mean 'organizations'?)",
        id="exchange-exclude",
    ),
    pytest.param(
        ("seats = 40", "seat = 40"),
        f"{THU_TERM}.seat: unknown key (did you mean 'seats'?)",
        id="exchange-terms",
    ),
    pytest.param(
        ('zh = "请通过国际处申请" }', 'zh = "请通过国际处申请", cn = "…" }'),
        "exchange[0] (thu-to-vnu).notes.cn: unknown key; known keys: vi, zh, en",
        id="exchange-notes-by-language",
    ),
    pytest.param(
        ('url = "sqlite:///catalog.db"', 'url = "sqlite:///catalog.db"\n[credits]\nround = 1'),
        "credits.round: unknown key (did you mean 'rounding'?)",
        id="credits",
    ),
    # -- a key written under the wrong header ---------------------------------------------------
    pytest.param(
        ('page_size = 50\nlanguage = "vi"', 'page_size = 50\nlanguage = "vi"\nenabled = false'),
        "feeds[0] (vnu-openedx).options.enabled: unknown option; enabled belongs to [[feeds]]: "
        f"move it above [feeds.options] {UNDER_HEADER}",
        id="feed-key-under-options",
    ),
    pytest.param(
        ('organizations = ["VJUx"]', 'organizations = ["VJUx"]\ndefault_credits = 2'),
        "exchange[1] (vnu-to-thu).exclude.default_credits: unknown key; default_credits belongs "
        f"to [[exchange]]: move it above [exchange.exclude] {UNDER_HEADER}",
        id="rule-key-under-exclude",
    ),
    pytest.param(
        ("seats = 40", 'seats = 40\nnotes = "Hạn chót: 15/2"'),
        f"{THU_TERM}.notes: unknown key; notes belongs to [[exchange]]: move it above "
        f"[[exchange.terms]] {UNDER_HEADER}",
        id="rule-key-under-terms",
    ),
    # -- unknown ids list the known ones -------------------------------------------------------
    pytest.param(
        ('institution = "hou"', 'institution = "hanoi-open"'),
        "feeds[2] (hou-oai).institution: unknown institution 'hanoi-open'; [[institutions]] ids: "
        "vnu, thu, hou",
        id="feed-institution",
    ),
    pytest.param(
        ('from = "thu"', 'from = "tsinghua"'),
        "exchange[0] (thu-to-vnu).from: unknown institution 'tsinghua'; [[institutions]] ids: "
        "vnu, thu, hou",
        id="rule-from",
    ),
    pytest.param(
        ('to = "thu"', 'to = "thu2"'),
        "exchange[1] (vnu-to-thu).to: unknown institution 'thu2' (did you mean 'thu'?); "
        "[[institutions]] ids: vnu, thu, hou",
        id="rule-to",
    ),
    pytest.param(
        ('audience = "vnu"', 'audience = "vnu-students"'),
        "exports[0].audience: unknown institution 'vnu-students'; "
        "[[institutions]] ids: vnu, thu, hou",
        id="export-audience",
    ),
    pytest.param(
        ('credit_system = "xuefen"', 'credit_system = "ects"'),
        "institutions[1] (thu).credit_system: unknown credit system 'ects'; [[credit_systems]] "
        "ids: tin_chi, xuefen",
        id="institution-credit-system",
    ),
    pytest.param(
        ('connector = "oaipmh"', 'connector = "oai-pmh"'),
        "feeds[2] (hou-oai).connector: unknown connector 'oai-pmh' (did you mean 'oaipmh'?); "
        "known connectors: discovery, moochub, oaipmh, openedx, xuetangx",
        id="connector",
    ),
    pytest.param(
        ('id = "hou-oai"', 'id = "HOU OAI"'),
        "feeds[2] (HOU OAI).id: 'HOU OAI' is not an id: use lowercase letters, digits, - and _ "
        "(at most 64), starting with a letter or digit",
        id="id-not-an-identifier",
    ),
]


@pytest.mark.parametrize(("change", "line"), MISTAKES)
def test_a_mistake_is_one_line_with_its_key_path_and_id(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: tuple[str, str],
    line: str | list[str],
) -> None:
    code, lines = moocx_feeds(tmp_path, edit(CONFIG, *change), capsys)
    assert code == 2
    assert lines == ([line] if isinstance(line, str) else line)
    assert not (tmp_path / "catalog.db").exists()  # nothing was opened


def test_an_export_key_typo_also_says_the_site_needs_its_audience(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = moocx_feeds(
        tmp_path, edit(CONFIG, 'audience = "vnu"', 'audiance = "vnu"'), capsys
    )
    assert code == 2
    assert lines == [
        "exports[0].audiance: unknown key (did you mean 'audience'?)",
        "exports[0].audience: the site export is for one audience",
    ]


def test_mistakes_in_one_file_come_together_in_the_files_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = edit(CONFIG, 'schedule = "15 3 * * *"', 'schedule = "@reboot"')
    text = edit(text, 'id = "thu-to-vnu"', 'id = "vnu-to-thu"')
    text = edit(text, 'credit_system = "xuefen"', 'credit_system = "ects"')
    text = edit(text, "seats = 40", "seat = 40")
    code, lines = moocx_feeds(tmp_path, text, capsys)
    assert code == 2
    assert [line.split(":", 1)[0] for line in lines] == [
        "institutions[1] (thu).credit_system",
        "feeds[2] (hou-oai).schedule",
        "exchange[1] (vnu-to-thu).terms[0].seat",
        "exchange[1] (vnu-to-thu).id",
    ]


# -- what is right is accepted -----------------------------------------------------------------


@pytest.mark.parametrize(
    "tag",
    ["vi", "vie", "zh", "zh-Hans", "zh-Hant-TW", "en-US", "EN-us", "es-419", "de-CH-1996",
     "sr-Latn-RS", "zh-yue", "en-US-x-vnu", "x-klingon", "de-DE-u-co-phonebk"],
)  # fmt: skip
def test_bcp47_tags_are_well_formed(tag: str) -> None:
    assert is_language_tag(tag)


@pytest.mark.parametrize(
    "tag",
    ["Vietnamese", "english", "vi_VN", "vi-", "-vi", "v", "vi--VN", "zh-Hans-Hant-CN", "中文",
     "en-US-x", "tiếng việt", "en US", ""],
)  # fmt: skip
def test_other_language_names_are_not(tag: str) -> None:
    assert not is_language_tag(tag)


def test_bcp47_tags_in_rules_and_connector_options_load(tmp_path: Path) -> None:
    text = edit(CONFIG, 'languages = ["vi", "en"]', 'languages = ["vie", "zh-Hans", "en-US"]')
    text = edit(text, 'language = "zh"', 'language = "zh-Hans"')
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path, env={})
    assert config.exchange[1].include.languages == ["vie", "zh-Hans", "en-US"]
    assert config.feed_options["thu-xuetangx"].language == "zh-Hans"


@pytest.mark.parametrize(
    ("schedule", "first"),
    [
        # From Wednesday 1 January 2025, 12:00 UTC = 19:00 in Hanoi ([service] timezone).
        pytest.param("@daily", datetime(2025, 1, 1, 17, 0, tzinfo=UTC), id="daily"),
        pytest.param("@midnight", datetime(2025, 1, 1, 17, 0, tzinfo=UTC), id="midnight"),
        pytest.param("@weekly", datetime(2025, 1, 4, 17, 0, tzinfo=UTC), id="weekly-sunday"),
        pytest.param("@monthly", datetime(2025, 1, 31, 17, 0, tzinfo=UTC), id="monthly"),
        pytest.param("@yearly", datetime(2025, 12, 31, 17, 0, tzinfo=UTC), id="yearly"),
        pytest.param("@annually", datetime(2025, 12, 31, 17, 0, tzinfo=UTC), id="annually"),
        pytest.param("@hourly", datetime(2025, 1, 1, 12, 0, tzinfo=UTC), id="hourly"),
    ],
)
def test_crontab_shorthands_load_and_fire_in_the_service_time_zone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], schedule: str, first: datetime
) -> None:
    text = edit(CONFIG, 'schedule = "15 3 * * *"', f'schedule = "{schedule}"')
    code, lines = moocx_feeds(tmp_path, text, capsys)
    assert code == 0, lines
    config = load_config(tmp_path / "config.toml", env={})
    feed = config.feed("hou-oai")
    assert feed.schedule == schedule
    trigger = cron_trigger(feed.schedule, config.service.timezone)
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, now) == first
