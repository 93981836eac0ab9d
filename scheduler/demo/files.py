"""The files of the demo's config: ``config.toml`` and the equivalence register it names.

:func:`write_config` writes them for the addresses the sample platforms got, and records what it
wrote (scheduler/demo/state.py), so that a later ``moocx demo`` can tell an edited config from
its own and leave the edit alone.
"""

from __future__ import annotations

from pathlib import Path

from scheduler.demo.state import DemoState, digest, write_state

CONFIG_TEMPLATE = """\
# Written by `moocx demo`. The feeds point at the demo's sample platforms on this machine: they
# run while `moocx demo` runs, and `moocx demo --serve` starts them again until Ctrl-C.
# Edit this file freely: `moocx demo` then leaves it alone (`moocx demo --force` replaces it).
# Copy config.example.toml for a real deployment.

[catalog]
url = "sqlite:///catalog.db"   # relative to this file

# The demo writes these; `moocx export --all` rebuilds them, and `moocx serve` after every sync
# that changed the catalog (and at start when one is missing). Paths are relative to this file.
[[exports]]
format = "json"
path = "catalog.json"

[[exports]]
format = "site"
path = "site-vnu"
audience = "vnu"

[[exports]]
format = "site"
path = "site-tsinghua"
audience = "tsinghua"

[[exports]]
format = "csv"
path = "offers-vnu.csv"
audience = "vnu"

[[exports]]
format = "csv"
path = "offers-tsinghua.csv"
audience = "tsinghua"

# `moocx --config config.toml web` publishes this catalog on this machine: OAI-PMH at
# http://127.0.0.1:8080/oai, MOOChub at /moochub/courses, Atom at /feeds/vnu.atom, the sites
# at /site/vnu/ (README: "Publishing your catalog").
[publish]
node_id = "demo.mooc-exchange.test"
base_url = "http://127.0.0.1:8080"
repository_name = "mooc-exchange demo node"
admin_email = "admin@demo.mooc-exchange.test"
institutions = ["vnu", "tsinghua"]

[web]
listen = "127.0.0.1:8080"

[[credit_systems]]
id = "tin_chi"                 # Vietnamese tín chỉ
hours_per_credit = 15
names = {{ vi = "tín chỉ", zh = "越南学分", en = "Vietnamese credit" }}

[[credit_systems]]
id = "xuefen"                  # Chinese 学分
hours_per_credit = 16
names = {{ vi = "học phần (Trung Quốc)", zh = "学分", en = "Chinese credit" }}

[credits]
rounding = 0.5
equivalences = "equivalences.csv"

[[institutions]]
id = "vnu"
country = "VN"
timezone = "Asia/Ho_Chi_Minh"
credit_system = "tin_chi"
[institutions.names]
vi = "Đại học Quốc gia Hà Nội"
zh = "越南河内国家大学"
en = "Vietnam National University, Hanoi"

[[institutions]]
id = "tsinghua"
country = "CN"
timezone = "Asia/Shanghai"
credit_system = "xuefen"
[institutions.names]
vi = "Đại học Thanh Hoa"
zh = "清华大学"
en = "Tsinghua University"

[[feeds]]
id = "vnu-openedx"
institution = "vnu"
connector = "openedx"
base_url = "{vnu_url}"
schedule = "0 */6 * * *"

[feeds.options]
page_size = 25
language = "vi"

[[feeds]]
id = "tsinghua-xuetangx"
institution = "tsinghua"
connector = "xuetangx"
base_url = "{tsinghua_url}"
schedule = "30 2 * * *"

[feeds.options]
requests_per_second = 1000   # a local server; keep the default (1) for the real platform

# VNU opens its courses taught in Vietnamese or English to Tsinghua students ...
[[exchange]]
id = "vnu-to-tsinghua"
from = "vnu"
to = "tsinghua"
include = {{ languages = ["vi", "en"] }}
default_credits = 3

[exchange.notes]   # shown to each student in their own language
vi = "Đăng ký qua Văn phòng Hợp tác quốc tế ĐHQGHN"
zh = "通过越南国家大学国际合作处报名"
en = "Apply through the VNU Office of International Cooperation"

[[exchange.terms]]
name = "2025-2026 HK1"
application_start = 2025-08-01
application_end = 2025-09-15
seats = 40
runs_starting_from = 2025-07-01
runs_starting_until = 2025-12-31

[[exchange.terms]]
name = "2025-2026 HK2"
application_start = 2025-12-01
application_end = 2026-12-31
seats = 40
runs_starting_from = 2026-01-01
runs_starting_until = 2026-12-31

# ... and Tsinghua opens its courses to VNU students.
[[exchange]]
id = "tsinghua-to-vnu"
from = "tsinghua"
to = "vnu"
default_credits = 2

[exchange.notes]
zh = "清华大学在线课程，面向越南国家大学学生开放"
vi = "Khóa học trực tuyến của Đại học Thanh Hoa, mở cho sinh viên ĐHQGHN"
en = "Tsinghua online courses, open to VNU students"

[[exchange.terms]]
name = "2026-2027学年"
application_start = 2026-09-01
application_end = 2027-01-31
seats = 50
"""

EQUIVALENCES = """\
host_institution,host_course,home_institution,home_course,status,home_credits,valid_terms
vnu,UETx+INT3401,tsinghua,THU-30240243,approved,3,2025-2026 HK1;2025-2026 HK2
"""


def write_config(directory: Path, urls: dict[str, str]) -> Path:
    """Write the demo's config for the platforms at ``urls`` (``vnu``, ``tsinghua``) into
    ``directory``, record their digests and the platforms' addresses; returns the config."""
    texts = {
        "equivalences.csv": EQUIVALENCES,
        "config.toml": CONFIG_TEMPLATE.format(vnu_url=urls["vnu"], tsinghua_url=urls["tsinghua"]),
    }
    written = {}
    for name, text in texts.items():
        data = text.encode("utf-8")
        (directory / name).write_bytes(data)  # bytes: the digest is of exactly what is on disk
        written[name] = digest(data)
    write_state(directory, DemoState(written=written, platforms=dict(urls)))
    return directory / "config.toml"
