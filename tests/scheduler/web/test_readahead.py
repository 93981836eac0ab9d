"""The read-ahead of list pages: the next page is rendered once, before it is asked for, and the
harvester gets exactly what rendering it then would have given; bounded, and never stale."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from catalog.present.publish.response import PublishResponse
from scheduler.web import readahead
from scheduler.web.readahead import ReadAhead


class Pages:
    """A list of ``pages`` pages: page N names page N+1 as the next request."""

    def __init__(self, pages: int) -> None:
        self.pages, self.rendered = pages, []
        self.lock = threading.Lock()

    def __call__(self, args: Mapping[str, Sequence[str]]) -> PublishResponse:
        token = args.get("resumptionToken", ["0"])[0]
        with self.lock:
            self.rendered.append(token)
        n = int(token)
        follow = (("verb", "ListRecords"), ("resumptionToken", str(n + 1)))
        return PublishResponse(
            200, f"page {n}".encode(), "text/xml", next_request=follow if n + 1 < self.pages else ()
        )


def _harvest(ahead: ReadAhead) -> list[bytes]:
    bodies, args = [], {"verb": ["ListRecords"], "metadataPrefix": ["oai_dc"]}
    while True:
        response = ahead.answer(args)
        bodies.append(response.body)
        if not response.next_request:
            return bodies
        args = {name: [value] for name, value in response.next_request}
        for _at, future in list(ahead._ahead.values()):  # the harvester parses meanwhile
            future.result()


def test_every_page_is_rendered_once_and_served_as_rendered() -> None:
    pages = Pages(5)
    ahead = ReadAhead(pages)
    assert _harvest(ahead) == [f"page {n}".encode() for n in range(5)]
    assert sorted(pages.rendered, key=int) == ["0", "1", "2", "3", "4"]  # none twice
    assert ahead.hits == 4 and ahead.misses == 0
    ahead.close()


def test_a_page_asked_for_before_its_turn_came_is_rendered_at_once_and_only_once() -> None:
    pages = Pages(2)
    ahead = ReadAhead(pages)
    first = pages({"verb": ["ListRecords"]})
    blocker = threading.Event()
    ahead._executor.submit(blocker.wait, 5)  # the background thread is busy with another
    ahead._read_ahead(first)  # page 1 queued behind it
    args = {name: [value] for name, value in first.next_request}
    assert ahead.answer(args).body == b"page 1"  # not waiting for the queue
    blocker.set()
    ahead.close()
    assert pages.rendered.count("1") == 1


def test_a_page_kept_too_long_is_rendered_again(monkeypatch) -> None:
    now = [0.0]
    pages = Pages(3)
    ahead = ReadAhead(pages, clock=lambda: now[0])
    first = ahead.answer({"verb": ["ListRecords"]})
    now[0] = readahead.TTL_S + 1
    args = {name: [value] for name, value in first.next_request}
    assert ahead.answer(args).body == b"page 1"
    assert pages.rendered.count("1") == 2 and ahead.misses == 1
    ahead.close()


def test_at_most_entries_pages_are_kept(monkeypatch) -> None:
    monkeypatch.setattr(readahead, "ENTRIES", 3)
    pages = Pages(100)
    ahead = ReadAhead(pages)
    for n in range(10):  # ten harvesters, each at its first page
        ahead.answer({"verb": ["ListRecords"], "resumptionToken": [str(n * 10)]})
    assert len(ahead._ahead) == 3
    ahead.close()


def test_a_request_with_a_repeated_argument_is_never_answered_from_ahead() -> None:
    pages = Pages(3)
    ahead = ReadAhead(pages)
    ahead.answer({"verb": ["ListRecords"]})
    repeated = {"verb": ["ListRecords"], "resumptionToken": ["1", "1"]}
    ahead.answer(repeated)
    assert ahead.hits == 0
    ahead.close()
