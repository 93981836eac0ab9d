"""The one hardened XML parser: hostile documents (feedparser-style fixtures), both entry points.

Each file in tests/fixtures/xml_attacks/ says what it is and what must happen in a comment:
``Description: …`` and ``Expect: error <regex>`` (refused with that message) or ``Expect: ok``.
One parametrized test runs every file through the whole-document and the streaming API.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gzip
import http.server
import re
import resource
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lxml import etree

from connectors import xmlsafe
from connectors.xmlsafe import XmlError, has_doctype_prolog, iter_elements, parse_document
from tests.support.loopback import serving

ATTACKS = Path(__file__).resolve().parents[1] / "fixtures" / "xml_attacks"
SENTINEL_TEXT = "TOP-SECRET-SENTINEL-7f3a"
DTD_FILES = [
    "xxe_local_file.xml",
    "external_dtd.xml",
    "parameter_entity.xml",
    "billion_laughs.xml",
    "quadratic_blowup.xml",
    "plain_doctype.xml",
]


def _whole(body: bytes) -> str:
    return etree.tostring(parse_document(body), encoding="unicode")


def _streamed(body: bytes) -> str:
    return "".join(etree.tostring(e, encoding="unicode") for e in iter_elements(body, ["course"]))


ENTRY_POINTS: dict[str, Callable[[bytes], str]] = {
    "parse_document": _whole,
    "iter_elements": _streamed,
}


def _expectation(raw: bytes) -> tuple[str, str]:
    text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("latin-1")
    description = re.search(r"^Description: (.+)$", text, re.M)
    expect = re.search(r"^Expect: (.+)$", text, re.M)
    assert description and expect, "every attack fixture says what it is and what must happen"
    return description.group(1), expect.group(1)


@pytest.fixture
def sentinel_url(tmp_path: Path) -> str:
    """A local file the attacks try to read; its text must never come back."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SENTINEL_TEXT, encoding="utf-8")
    return secret.as_uri()


def _load(name: str, sentinel_url: str) -> bytes:
    return (ATTACKS / name).read_bytes().replace(b"@SENTINEL_URL@", sentinel_url.encode())


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize("name", sorted(p.name for p in ATTACKS.glob("*.xml")))
def test_hostile_documents_are_refused_or_left_unexpanded(
    name: str, entry: str, sentinel_url: str
) -> None:
    body = _load(name, sentinel_url)
    _description, expect = _expectation(body)
    rss_before, started = _max_rss_mb(), time.monotonic()
    if expect == "ok":
        result = ENTRY_POINTS[entry](body)
        assert "<course" in result
    else:
        pattern = expect.removeprefix("error ")
        with pytest.raises(XmlError, match=pattern) as info:
            ENTRY_POINTS[entry](body)
        result = str(info.value)
    assert time.monotonic() - started < 5, "a bomb must be refused quickly"
    assert _max_rss_mb() - rss_before < 100, "a bomb must not grow memory"
    assert SENTINEL_TEXT not in result
    assert "\ufffd" not in result  # never mojibake


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_xinclude_is_kept_as_an_element_and_never_expanded(entry: str, sentinel_url: str) -> None:
    result = ENTRY_POINTS[entry](_load("xinclude.xml", sentinel_url))
    assert f'<xi:include href="{sentinel_url}" parse="text"/>' in result
    assert SENTINEL_TEXT not in result


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_the_libxml2_error_message_is_kept_with_its_position(entry: str) -> None:
    body = b"<feed>\n<course><title>Data&nbsp;Science</title></course></feed>"
    with pytest.raises(XmlError) as info:
        ENTRY_POINTS[entry](body)
    # lxml's iterparse would say "no element found (line 0)"; the parser's log says why.
    assert str(info.value) == "Entity 'nbsp' not defined (line 2, column 26)"


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_x8_a_text_node_over_10_mb_is_refused_in_libxml2s_words_without_its_advice(
    entry: str,
) -> None:
    """X8: ``huge_tree`` stays off, so one 11 MiB text node is an error; libxml2's "try
    XML_PARSE_HUGE" (a programmer's option, no admin can set it) becomes what the limit is."""
    body = b"<feed><course><title>" + b"x" * (11 * 1024 * 1024) + b"</title></course></feed>"
    with pytest.raises(XmlError) as info:
        ENTRY_POINTS[entry](body)
    message = str(info.value)
    assert message.startswith("Resource limit exceeded: Text node too long (line 1, column ")
    assert "XML_PARSE_HUGE" not in message
    assert message.endswith(
        "at most 10,000,000 bytes of text in one node and 256 levels of nesting)"
    )


# -- the parser options are a second line of defence behind the DTD refusal -----------------


@pytest.mark.parametrize(
    "parse",
    [
        pytest.param(lambda b: etree.fromstring(b, xmlsafe.make_parser()), id="fromstring"),
        pytest.param(
            lambda b: [
                e for _, e in etree.iterparse(__import__("io").BytesIO(b), **xmlsafe.PARSER_OPTIONS)
            ][-1],
            id="iterparse",
        ),
    ],
)
def test_without_the_dtd_refusal_the_parser_still_reads_no_file(parse, sentinel_url: str) -> None:
    root = parse(_load("xxe_local_file.xml", sentinel_url))
    assert SENTINEL_TEXT not in etree.tostring(root, encoding="unicode")


@pytest.mark.parametrize("name", ["billion_laughs.xml", "quadratic_blowup.xml"])
def test_without_the_dtd_refusal_libxml2_still_stops_entity_bombs(name: str) -> None:
    started = time.monotonic()
    with pytest.raises(etree.XMLSyntaxError, match="Maximum entity amplification factor"):
        etree.fromstring((ATTACKS / name).read_bytes(), xmlsafe.make_parser())
    assert time.monotonic() - started < 5


@pytest.fixture
def evil_server() -> Iterator[tuple[str, list[str]]]:
    """A loopback server that would serve a DTD; it records every request that reaches it."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            body = f'<!ENTITY remote "{SENTINEL_TEXT}">'.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with serving(Handler) as base:
        yield base + "/", hits


@pytest.mark.parametrize("name", ["external_dtd.xml", "parameter_entity.xml"])
def test_external_dtds_are_never_fetched(name: str, evil_server) -> None:
    base, hits = evil_server
    body = (ATTACKS / name).read_bytes().replace(b"http://127.0.0.1:1/", base.encode())
    for parse in ENTRY_POINTS.values():
        with pytest.raises(XmlError, match="DTD not allowed"):
            parse(body)
    # Behind the refusal, the options alone load nothing either.
    root = etree.fromstring(body, xmlsafe.make_parser())
    assert SENTINEL_TEXT not in etree.tostring(root, encoding="unicode")
    assert hits == []


# -- input, prolog scan, root check ------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("<feed/>", id="str"),
        pytest.param("/etc/passwd", id="a-path-as-str"),
        pytest.param(Path("/etc/passwd"), id="a-Path"),
        pytest.param(bytearray(b"<feed/>"), id="bytearray"),
    ],
)
def test_only_bytes_are_parsed_never_text_paths_or_urls(body: object) -> None:
    with pytest.raises(TypeError, match="parses bytes"):
        parse_document(body)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="parses bytes"):
        list(iter_elements(body, ["course"]))  # type: ignore[arg-type]


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_gzip_bytes_are_not_decompressed_by_the_parser(entry: str) -> None:
    with pytest.raises(XmlError, match="Start tag expected"):
        ENTRY_POINTS[entry](gzip.compress(b"<feed><course/></feed>"))


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_an_empty_body_is_an_error(entry: str) -> None:
    with pytest.raises(XmlError, match="empty document"):
        ENTRY_POINTS[entry](b"  \n")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(b"<!DOCTYPE r><r/>", True, id="first-thing"),
        pytest.param(b'\xef\xbb\xbf<?xml version="1.0"?>\n<!DOCTYPE r><r/>', True, id="bom-decl"),
        pytest.param(b"<!-- x --><?pi y?>\n\t <!DOCTYPE r><r/>", True, id="after-comment-and-pi"),
        pytest.param(b"<!doctype r><r/>", True, id="lowercase"),
        pytest.param(b"<!-- <!DOCTYPE r> --><r/>", False, id="inside-a-comment"),
        pytest.param(b"<?pi <!DOCTYPE r> ?><r/>", False, id="inside-a-pi"),
        pytest.param(b"<r><![CDATA[<!DOCTYPE r>]]></r>", False, id="in-content"),
        pytest.param(b"<!-- never closed <!DOCTYPE r>", False, id="unterminated-comment"),
        pytest.param(b"", False, id="empty"),
    ],
)
def test_prolog_scan_finds_a_doctype_only_where_one_can_be(body: bytes, expected: bool) -> None:
    assert has_doctype_prolog(body) is expected


@pytest.mark.parametrize("entry", ["parse_document", "iter_elements"])
def test_the_document_element_can_be_required(entry: str) -> None:
    body = b'<rss version="2.0"><course/></rss>'
    with pytest.raises(XmlError, match="document element is rss, expected feed"):
        if entry == "parse_document":
            parse_document(body, root="feed")
        else:
            list(iter_elements(body, ["course"], root="feed"))
    assert parse_document(b"<feed/>", root="feed").tag == "feed"


def test_the_root_is_checked_even_when_no_wanted_element_occurs() -> None:
    with pytest.raises(XmlError, match="expected feed"):
        list(iter_elements(b"<html><body/></html>", ["course"], root="feed"))


# -- streaming ----------------------------------------------------------------------------------


def test_streaming_yields_wanted_elements_in_order_and_clears_them_after_use() -> None:
    body = (
        b'<f xmlns="urn:x"><head>h</head><c n="1"><t>a</t></c><skip/><c n="2"><t>b</t></c>'
        b"<tail>z</tail></f>"
    )
    seen, kept = [], []
    for element in iter_elements(body, ["{urn:x}c", "{urn:x}tail"]):
        seen.append(
            (etree.QName(element).localname, element.get("n"), element.findtext("{urn:x}t"))
        )
        kept.append(element)
    assert seen == [("c", "1", "a"), ("c", "2", "b"), ("tail", None, None)]
    assert kept[0].get("n") is None and len(kept[0]) == 0  # cleared once the caller moved on
    assert kept[0].getparent() is None  # and detached from the tree


def test_an_enclosing_wanted_element_arrives_after_its_children_with_them_cleared() -> None:
    body = b"<f><list><c>1</c><c>2</c><token>t</token></list></f>"
    order = [(e.tag, "".join(e.itertext())) for e in iter_elements(body, ["c", "token", "list"])]
    assert order == [("c", "1"), ("c", "2"), ("token", "t"), ("list", "")]


def test_a_syntax_error_is_raised_when_reached_so_callers_collect_before_acting() -> None:
    body = b"<f><c>1</c><c>2</c><c>3</c"
    got = []
    with pytest.raises(XmlError, match=r"expected '>' \(line 1, column 27\)"):
        got.extend(e.text for e in iter_elements(body, ["c"]))
    assert got == ["1", "2"]


def _malloc_in_use() -> Callable[[], int] | None:
    """glibc's count of bytes in use: libxml2 allocates there, where tracemalloc cannot see."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        mallinfo2 = libc.mallinfo2
    except (OSError, AttributeError, TypeError):
        return None

    class MallInfo2(ctypes.Structure):
        _fields_ = [
            (n, ctypes.c_size_t)
            for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                      "uordblks", "fordblks", "keepcost")
        ]  # fmt: skip

    mallinfo2.restype = MallInfo2
    return lambda: mallinfo2().uordblks + mallinfo2().hblkhd


def test_streaming_20000_records_keeps_memory_flat() -> None:
    record = (
        "<record><header><identifier>oai:vnu:{i}</identifier></header><metadata><title>"
        "Khoa học máy tính {i} 计算机科学</title><description>"
        + "Mô tả khóa học. " * 20
        + "</description></metadata></record>"
    )
    body = ("<OAI-PMH><ListRecords>" + "".join(record.format(i=i) for i in range(20_000))
            + "</ListRecords></OAI-PMH>").encode()  # fmt: skip
    in_use = _malloc_in_use()

    # The size of the whole tree, for comparison (libxml2 memory, outside tracemalloc's view).
    before = in_use() if in_use else 0
    tree = etree.fromstring(body, xmlsafe.make_parser())
    tree_bytes = in_use() - before if in_use else None
    del tree

    tracemalloc.start()
    base = in_use() if in_use else 0
    count, widest, c_peak = 0, 0, 0
    try:
        for element in iter_elements(body, ["record"]):
            count += 1
            assert element.findtext("header/identifier") == f"oai:vnu:{count - 1}"
            widest = max(widest, len(element.getparent()))
            if in_use and count % 500 == 0:
                c_peak = max(c_peak, in_use() - base)
        _, py_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == 20_000
    # Structurally: processed records are gone; only what the parser read ahead is still there.
    assert widest < 500
    # Python-side allocations stay small and do not grow with the records (body: ~9 MB).
    assert py_peak < 2 * 1024 * 1024, py_peak
    if tree_bytes is not None:
        assert tree_bytes > 20 * 1024 * 1024  # the whole tree is big...
        assert c_peak < tree_bytes / 10, (c_peak, tree_bytes)  # ...the stream stays far below it
