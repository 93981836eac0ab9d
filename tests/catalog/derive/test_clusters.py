"""One course, one entry: the clustering decision, from the platforms' own records.

The courses come from their connectors' mappings of payloads in each platform's shape (an Open
edX LMS ``/api/courses/v1/courses/`` page, a XuetangX ``get_product_list`` page, an OAI-PMH
node's provenance), so the test is what the catalog will cluster, not hand-made candidates.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from catalog.derive.clusters import (
    Cluster,
    ClusterCandidate,
    Override,
    OverrideError,
    candidate_from_record,
    cluster,
    explain,
    parse_overrides,
)
from catalog.derive.clusters_match import edx_course_key, normal_title, normal_url
from connectors.openedx_mapping import map_runs
from connectors.records import CourseRecord, Origin
from connectors.xuetangx_mapping import map_product

LMS = "https://courses.tsinghua.example.edu"
XTX = "https://www.xuetangx.com"
TSINGHUA = [["TsinghuaX", "清华大学"]]


def _edx_run(run: str, start: str, name: str = "Data Structures and Algorithms (Part 1)") -> dict:
    """One result of an Open edX LMS course list, as the LMS sends it."""
    course = f"course-v1:TsinghuaX+30240184.1X+{run}"
    return {
        "blocks_url": f"{LMS}/api/courses/v2/blocks/?course_id={course}",
        "effort": "4 hours/week",
        "id": course,
        "course_id": course,
        "name": name,
        "number": "30240184.1X",
        "org": "TsinghuaX",
        "short_description": "Linear structures, trees and the analysis of algorithms.",
        "start": start,
        "end": None,
        "pacing": "instructor",
        "hidden": False,
        "invitation_only": False,
        "media": {"image": {"raw": f"{LMS}/asset-v1:TsinghuaX+30240184.1X+{run}.jpg"}},
    }


def _product(sign: str, name: str, starts: list[str], **extra: object) -> dict:
    """One item of XuetangX's ``product_list``, as the platform sends it."""
    return {
        "id": 1516700,
        "course_id": 1516700,
        "name": name,
        "sign": sign,
        "course_sign": sign,
        "classroom_id": [3017000 + i for i in range(len(starts))],
        "short_intro": "Linear structures, trees and the analysis of algorithms.",
        "org": {"name": "清华大学"},
        "language": "en",
        "live_status": [],
        "sku_class_time": [[start, "2026-01-18T23:59:00+08:00"] for start in starts],
        "modified": "2025-01-10 09:12:05",
        **extra,
    }


def _from_edx(results: list[dict], feed: str = "thu-lms") -> ClusterCandidate:
    (record,) = map_runs(results, base_url=LMS, default_language="en")  # as the feed sets it
    assert isinstance(record, CourseRecord)
    return candidate_from_record(
        feed, record, institution="tsinghua", platform="openedx", base_url=LMS
    )


def _from_xtx(
    product: dict, feed: str = "thu-xtx", institution: str = "tsinghua"
) -> ClusterCandidate:
    record = map_product(product, base_url=XTX, tz=ZoneInfo("Asia/Shanghai"))
    return candidate_from_record(
        feed, record, institution=institution, platform="xuetangx", base_url=XTX
    )


@pytest.fixture
def edx() -> ClusterCandidate:
    return _from_edx(
        [_edx_run("2024_T3", "2024-09-09T01:00:00Z"), _edx_run("2025_T3", "2025-09-08T01:00:00Z")]
    )


@pytest.fixture
def xtx() -> ClusterCandidate:
    return _from_xtx(
        _product(
            "THU08091000384", "Data structures & algorithms – Part 1", ["2025-09-15T00:00:00+08:00"]
        )
    )


def test_one_course_on_an_open_edx_lms_and_on_xuetangx_is_one_entry(edx, xtx) -> None:
    assert edx.course_key == "TSINGHUAX+30240184.1X"
    (found,) = cluster([xtx, edx], organizations=TSINGHUA)
    assert found.id == "thu-lms:TsinghuaX+30240184.1X"
    assert found.members == ("thu-lms:TsinghuaX+30240184.1X", "thu-xtx:THU08091000384")
    (evidence,) = found.evidence
    assert evidence.decision.rule == "similarity" and evidence.decision.joined
    assert evidence.decision.score == 100
    assert "runs 7 days apart" in evidence.decision.reason


def test_explain_says_which_rule_decided_with_the_score(edx, xtx) -> None:
    decision = explain(edx, xtx, organizations=TSINGHUA)
    assert (decision.joined, decision.rule, decision.score) == (True, "similarity", 100)
    assert decision.reason == "titles score 100 ≥ 92, runs 7 days apart"
    # Without the config saying that TsinghuaX is 清华大学, the organisations differ.
    apart = explain(edx, xtx)
    assert (apart.joined, apart.rule) == (False, "similarity")
    assert apart.reason == "titles score 100 but organisations differ (TsinghuaX / 清华大学)"
    other = replace(xtx, title="Discrete Mathematics")
    low = explain(edx, other, organizations=TSINGHUA)
    assert not low.joined and low.score is not None and low.score < 92
    assert low.reason == f"titles score {low.score:g} < 92"


def test_similar_titles_at_different_institutions_stay_apart(edx) -> None:
    pku = _from_xtx(
        _product("PKU08091000384", "Data Structures and Algorithms (Part 1)", []),
        feed="pku-xtx",
        institution="pku",
    )
    assert cluster([edx, pku], organizations=[["TsinghuaX", "清华大学"]]) == []
    decision = explain(edx, pku)
    assert (decision.joined, decision.rule) == (False, "institution")
    assert decision.reason == "different institutions (tsinghua / pku)"
    # Not even an identity joins two institutions: the same about page at both.
    same_url = replace(pku, url=edx.url, course_key=edx.course_key)
    assert cluster([edx, same_url]) == []


def test_one_institution_other_organisation_language_part_or_runs_stay_apart(edx, xtx) -> None:
    cases = {
        "organisations differ": replace(xtx, organization="Peking University"),
        "languages differ": replace(xtx, language="zh"),
        "parts differ (1 / 2)": replace(xtx, title="Data structures & algorithms – Part 2"),
        "a word differs": replace(xtx, title="Data Structures and Algorithmic (Part 1)"),
        "the nearest runs are 371 days apart": replace(
            xtx, starts=(datetime(2026, 9, 14, tzinfo=UTC),)
        ),
    }
    for why, other in cases.items():
        decision = explain(edx, other, organizations=TSINGHUA)
        assert not decision.joined and why in decision.reason, (why, decision)
        assert cluster([edx, other], organizations=TSINGHUA) == [], why
    micro = replace(xtx, title="Principles of Microeconomics", starts=())
    macro = replace(edx, title="Principles of Macroeconomics", starts=())
    decision = explain(micro, macro, organizations=TSINGHUA)
    assert decision.score is not None and decision.score >= 92
    assert not decision.joined and decision.reason.endswith("but a word differs")
    # Two courses of one feed are the source's two courses, however alike.
    reissued = replace(xtx, id="thu-xtx:THU2025", url=None, origins=())
    decision = explain(xtx, reissued)
    assert not decision.joined
    assert decision.reason == "titles score 100 but feed thu-xtx lists them as two courses"
    # One side without runs, or without organisation or language: the titles decide.
    assert explain(edx, replace(xtx, starts=(), organization=None, language=None)).joined


def test_identity_by_open_edx_course_key_in_two_feeds() -> None:
    lms = _from_edx([_edx_run("2025_T3", "2025-09-08T01:00:00Z", name="数据结构（上）")])
    mirror = _from_edx(
        [_edx_run("2025_T3", "2025-09-08T01:00:00Z", name="Totally renamed")], feed="thu-lms2"
    )
    mirror = replace(mirror, course_key="tsinghuax+30240184.1x", origins=())
    decision = explain(lms, mirror)
    assert (decision.joined, decision.rule) == (True, "course key")
    assert decision.reason == "the same Open edX course TSINGHUAX+30240184.1X"
    (found,) = cluster([lms, mirror])
    assert [e.decision.rule for e in found.evidence] == ["course key"]


def test_identity_by_about_url_normalised(edx, xtx) -> None:
    renamed = replace(xtx, title="Something else entirely", url=f"{xtx.url}/?utm_source=x")
    shouting = replace(edx, url="HTTP://WWW.XuetangX.com:80/course/THU08091000384/#about")
    decision = explain(shouting, renamed)
    assert (decision.joined, decision.rule) == (True, "url")
    assert decision.reason == "the same about page xuetangx.com/course/THU08091000384"
    (found,) = cluster([shouting, renamed])
    assert found.evidence[0].decision.rule == "url"


def test_a_landing_page_shared_by_one_feed_joins_nothing(edx, xtx) -> None:
    home = f"{XTX}/courses"
    one = replace(xtx, title="Calculus", url=home)
    two = replace(xtx, id="thu-xtx:THU2", title="Linear Algebra", url=home, origins=())
    three = replace(edx, title="Optics", url=home)
    assert cluster([one, two, three]) == []
    assert normal_url(f"{XTX}/") is None  # a site's root names no course


def test_identity_by_provenance_a_partner_node_and_the_source_directly(xtx) -> None:
    """The course reached us from XuetangX and through a partner node that re-publishes it."""
    via_node = CourseRecord(
        key="oai:node.vnu.example:thu-xtx:THU08091000384",
        title="数据结构与算法",
        language="zh",
        provenance=(
            Origin(XTX.upper() + "/", "THU08091000384", altered=True),
            Origin("https://node.vnu.example/oai", "oai:node.vnu.example:thu-xtx:THU08091000384"),
        ),
    )
    node = candidate_from_record(
        "vnu-node",
        via_node,
        institution="tsinghua",
        platform="oaipmh",
        base_url="https://node.vnu.example/oai",
    )
    decision = explain(xtx, node)
    assert (decision.joined, decision.rule) == (True, "provenance")
    assert decision.reason == "both come from THU08091000384 at xuetangx.com"


def test_the_override_file_wins_both_ways(edx, xtx) -> None:
    unrelated = replace(
        xtx, id="thu-xtx:THU1", title="中国古代史", language="zh", url=None, origins=()
    )
    overrides = parse_overrides(
        "course_a,course_b,same|not same,note\n"
        f'{edx.id},{xtx.id},not same,"the edX one is the English edition, 2 credits"\n'
        f"{unrelated.id},{edx.id},same,the admin knows\n"
    )
    assert overrides[0] == Override(
        edx.id, xtx.id, False, "the edX one is the English edition, 2 credits", 2
    )
    (found,) = cluster([edx, xtx, unrelated], overrides, organizations=TSINGHUA)
    assert found.members == (edx.id, unrelated.id)
    assert found.evidence[0].decision.reason == "override line 3 says same: the admin knows"
    decision = explain(edx, xtx, overrides, organizations=TSINGHUA)
    assert (decision.joined, decision.rule) == (False, "override")
    # "not same" splits an identity join too, and no third course bridges the pair.
    key_twin = replace(xtx, id="thu-x2:X", course_key=edx.course_key, title="Other", url=None)
    bridged = cluster(
        [edx, xtx, replace(key_twin, origins=xtx.origins)], overrides, organizations=TSINGHUA
    )
    assert [c.members for c in bridged] == [(edx.id, key_twin.id)]  # the first join stands


def test_an_override_across_institutions_is_an_error_naming_its_line(edx) -> None:
    pku = replace(edx, id="pku-lms:PKU+1", institution="pku")
    overrides = parse_overrides(f"# reviewed 2026-11\n{edx.id},{pku.id},same\n")
    with pytest.raises(OverrideError) as caught:
        cluster([edx, pku], overrides)
    assert str(caught.value) == (
        f"overrides line 2: {pku.id} and {edx.id} are of different institutions (pku / "
        "tsinghua); no override joins or splits across institutions"
    )


def test_malformed_override_lines_give_errors_naming_the_line() -> None:
    text = (
        "course_a,course_b,same|not same,note\n"
        "a:1,b:2,maybe\n"
        "a:1\n"
        "a:1,a:1,same\n"
        "justakey,b:2,same\n"
        "\n"
        "a:1,b:2,same,note,with,commas\n"
        "a:1,b:2,same\n"
        "b:2,a:1,NOT  SAME\n"
    )
    with pytest.raises(OverrideError) as caught:
        parse_overrides(text)
    assert caught.value.problems == (
        "overrides line 2: 'maybe' is neither 'same' nor 'not same'",
        "overrides line 3: 1 fields, expected course_a,course_b,same|not same[,note] (quote a"
        " note that has commas)",
        "overrides line 4: course_a and course_b are both a:1",
        "overrides line 5: course_a 'justakey' is not a course id (feed:key)",
        "overrides line 7: 6 fields, expected course_a,course_b,same|not same[,note] (quote a"
        " note that has commas)",
        "overrides line 9: a:1 and b:2 contradict line 8",
    )


def test_clusters_are_transitive_and_deterministic(edx, xtx) -> None:
    again = replace(xtx, id="thu-x2:Y", title="DATA STRUCTURES AND ALGORITHMS, PART I | edX")
    forward = cluster([edx, xtx, again], organizations=TSINGHUA)
    backward = cluster([again, xtx, edx], organizations=TSINGHUA)
    assert forward == backward
    assert forward == [
        Cluster(forward[0].id, tuple(sorted((edx.id, xtx.id, again.id))), forward[0].evidence)
    ]
    assert len(forward[0].evidence) == 2


def test_normalised_titles_and_course_keys() -> None:
    assert normal_title("Data Structures and Algorithms (Part 1)") == (
        ("data", "structures", "algorithms"),
        "1",
    )
    assert normal_title("大学物理（上）") == (("大学物理",), "上")
    assert normal_title("Kinh tế vĩ mô – Phần II")[1] == "2"
    assert normal_title("Calculus | edX") == (("calculus",), None)
    assert edx_course_key("course-v1:UETx+INT1001+2025_T1") == "UETX+INT1001"
    assert edx_course_key("UETx+INT1001") == "UETX+INT1001"
    assert edx_course_key("THU08091000384") is None
